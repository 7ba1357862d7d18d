namespace MiniVmm.IntegrationTests.Infrastructure;

/// <summary>Where build.sh leaves its outputs, found from the test assembly's location.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Out => Path.Combine(Root, "out");

    public static string GuestImages => Path.Combine(Out, "guest-images");

    public static string Cli => Path.Combine(Out, "bin", "minivmm");

    public static string BpfObjects => Path.Combine(Out, "bpf");

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MiniVmm.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (MiniVmm.sln)");
    }
}
