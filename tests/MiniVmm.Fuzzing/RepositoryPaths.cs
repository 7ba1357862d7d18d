namespace MiniVmm.Fuzzing;

/// <summary>Where the corpora, saved crashes and build outputs are, found from this assembly's location.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>tests/MiniVmm.Fuzzing: Corpus/TARGET and Crashes/TARGET live here.</summary>
    public static string Project => Path.Combine(Root, "tests", "MiniVmm.Fuzzing");

    public static string Corpus(string target) => Path.Combine(Project, "Corpus", target);

    public static string Crashes(string target) => Path.Combine(Project, "Crashes", target);

    /// <summary>The C reference behind a pipe, built by the project (Reference/Makefile).</summary>
    public static string ToeplitzPipe => Path.Combine(Root, "out", "fuzz", "toeplitz_pipe");

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MiniVmm.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException($"cannot find the repository root (MiniVmm.sln) above {AppContext.BaseDirectory}");
    }
}
