namespace MiniVmm.UnitTests.Cli;

/// <summary>Bad user input: exactly one "minivmm: ..." line on stderr, nothing on stdout, exit 2.</summary>
public sealed class CliBadInputTests
{
    private static void AssertOneErrorLine((int ExitCode, string Stdout, string Stderr) r, string expectedFragment)
    {
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        string[] lines = r.Stderr.TrimEnd('\n').Split('\n');
        string line = Assert.Single(lines);
        Assert.StartsWith("minivmm: ", line);
        Assert.Contains(expectedFragment, line);
    }

    [Fact]
    public void Missing_kernel_file() =>
        AssertOneErrorLine(CliProcess.Run("run", "--kernel", "/nonexistent/vmlinux"), "kernel /nonexistent/vmlinux: no such file");

    [Fact]
    public void Not_a_kernel()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "just some text, long enough to look at its header bytes................");
            AssertOneErrorLine(CliProcess.Run("run", "--kernel", path), "not a Linux kernel");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Memory_zero()
    {
        using var kernel = new TestKernelFile();
        AssertOneErrorLine(CliProcess.Run("run", "--kernel", kernel.Path, "--memory", "0"), "--memory 0: must be more than 0");
    }

    [Fact]
    public void Cpus_zero()
    {
        using var kernel = new TestKernelFile();
        AssertOneErrorLine(CliProcess.Run("run", "--kernel", kernel.Path, "--cpus", "0"), "--cpus 0: must be a whole number from 1 to 64");
    }

    [Fact]
    public void Unknown_option() =>
        AssertOneErrorLine(CliProcess.Run("run", "--kernal", "vmlinux"), "unknown option --kernal");

    [Fact]
    public void Unknown_command() => AssertOneErrorLine(CliProcess.Run("fly"), "unknown command 'fly'");

    [Fact]
    public void Unknown_caps_option() => AssertOneErrorLine(CliProcess.Run("caps", "--yaml"), "unknown option --yaml");

    [Fact]
    public void Help_and_version_succeed()
    {
        var help = CliProcess.Run("--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("  run ", help.Stdout);
        Assert.Contains("  caps ", help.Stdout);
        var runHelp = CliProcess.Run("run", "--help");
        Assert.Equal(0, runHelp.ExitCode);
        Assert.Contains("--memory <SIZE>", runHelp.Stdout);
        var version = CliProcess.Run("--version");
        Assert.Equal(0, version.ExitCode);
        Assert.StartsWith("minivmm ", version.Stdout);
    }
}
