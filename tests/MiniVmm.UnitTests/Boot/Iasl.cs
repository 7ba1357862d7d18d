using System.Diagnostics;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// ACPICA's iasl (Debian acpica-tools, installed by build.sh): disassembles a table the way Linux's
/// ACPICA parses it, so a test can check our bytes with a parser that is not ours.
/// </summary>
public static class Iasl
{
    /// <summary>Disassembles one table image; returns the ASL text iasl wrote (its warnings and errors included as comments).</summary>
    public static string Disassemble(ReadOnlySpan<byte> table, string name)
    {
        byte[] image = table.ToArray();
        return InTemporaryDirectory(dir =>
        {
            string input = Path.Combine(dir, $"{name}.dat");
            File.WriteAllBytes(input, image);
            string log = Run(dir, "-d", input);
            string output = Path.Combine(dir, $"{name}.dsl");
            Assert.True(File.Exists(output), $"iasl -d {name} wrote nothing:\n{log}");
            return File.ReadAllText(output);
        });
    }

    /// <summary>
    /// Compiles ASL source to AML with named-reference optimisation off (-on), so "\_SB" stays a root path
    /// as we write it; returns the table image and iasl's summary line ("Compilation successful. 0 Errors, ...").
    /// </summary>
    public static (byte[] Table, string Summary) Compile(string asl) =>
        InTemporaryDirectory(dir =>
        {
            string input = Path.Combine(dir, "table.asl");
            File.WriteAllText(input, asl);
            string log = Run(dir, "-on", "-p", Path.Combine(dir, "table"), input);
            string output = Path.Combine(dir, "table.aml");
            Assert.True(File.Exists(output), $"iasl did not compile:\n{log}");
            string summary = log.Split('\n').LastOrDefault(l => l.StartsWith("Compilation")) ?? log;
            return (File.ReadAllBytes(output), summary.Trim());
        });

    private static string Run(string dir, params string[] args)
    {
        var start = new ProcessStartInfo("iasl", args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = dir };
        using var p = Process.Start(start) ?? throw new InvalidOperationException("iasl did not start (is acpica-tools installed? build.sh does it)");
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"iasl {string.Join(' ', args)} failed ({p.ExitCode}):\n{stdout}\n{stderr}");
        return stdout + stderr;
    }

    private static T InTemporaryDirectory<T>(Func<string, T> work)
    {
        string dir = Directory.CreateTempSubdirectory("minivmm-iasl-").FullName;
        try
        {
            return work(dir);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
