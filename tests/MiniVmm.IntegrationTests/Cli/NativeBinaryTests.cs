using System.Diagnostics;
using System.Text;
using System.Text.Json;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// out/bin/minivmm is the NativeAOT product binary and needs nothing beside it: copied alone into
/// an empty directory it boots a guest (run needs Mono.Unix's native signal code, linked in
/// statically), stops on SIGTERM through that code, and answers caps.
/// </summary>
public sealed class NativeBinaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("minivmm-alone-").FullName;
    private readonly string _binary;

    public NativeBinaryTests()
    {
        Assert.True(File.Exists(RepoPaths.Cli), $"the CLI is missing at {RepoPaths.Cli}: run ./build.sh first");
        _binary = Path.Combine(_dir, "minivmm");
        File.Copy(RepoPaths.Cli, _binary);
        File.SetUnixFileMode(_binary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_product_binary_is_a_native_elf_not_a_dotnet_apphost()
    {
        byte[] bytes = File.ReadAllBytes(RepoPaths.Cli);
        Assert.Equal([0x7f, (byte)'E', (byte)'L', (byte)'F'], bytes[..4]);
        // NativeAOT's unwind section; a framework-dependent apphost has none and needs minivmm.dll.
        Assert.True(bytes.AsSpan().IndexOf(".dotnet_eh_table"u8) >= 0, "no .dotnet_eh_table section: not a NativeAOT binary");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(RepoPaths.Cli)!, "minivmm.dll")), "out/bin has minivmm.dll: a JIT build");
    }

    [HostFact(HostNeeds.Kvm)]
    public void Copied_alone_it_runs_a_guest_and_returns_its_status()
    {
        string kernel = TinyGuestImage.WriteTemporary("alone\n", exitValue: 5);
        try
        {
            var r = Run(TimeSpan.FromSeconds(30), "run", "--kernel", kernel, "--memory", "64M");
            Assert.True(r.ExitCode == 11 && r.Stdout == "alone\n" && r.Stderr == "", $"exit {r.ExitCode}, stdout '{r.Stdout}', stderr '{r.Stderr}'"); // (5 << 1) | 1
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Copied_alone_it_stops_on_sigterm_with_status_143()
    {
        string kernel = TinyGuestImage.WriteTemporary("up\n", exitValue: null); // halts forever
        try
        {
            var start = new ProcessStartInfo(_binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
            foreach (string a in new[] { "run", "--kernel", kernel, "--memory", "64M" }) start.ArgumentList.Add(a);
            using Process p = Process.Start(start)!;
            Assert.Equal("up", p.StandardOutput.ReadLine()); // the guest runs, so the signal watcher is installed
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            Assert.True(p.WaitForExit(10_000), "minivmm did not stop within 10 s of SIGTERM");
            Assert.True(p.ExitCode == 143, $"exit {p.ExitCode}; stderr: {p.StandardError.ReadToEnd()}");
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void Copied_alone_caps_probes_kvm_tap_and_loads_the_embedded_bpf_program()
    {
        var r = Run(TimeSpan.FromSeconds(60), "caps", "--json");
        Assert.True(r.ExitCode == 0 && r.Stderr == "", $"exit {r.ExitCode}, stderr '{r.Stderr}'");
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        Assert.True(doc.RootElement.GetProperty("kvm").GetProperty("available").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("tap").GetProperty("available").GetBoolean());
        JsonElement steering = doc.RootElement.GetProperty("steering");
        // The steering program is an embedded resource: a real load proves it is in the one file.
        Assert.True(steering.GetProperty("ebpf_steering").GetBoolean(), steering.GetProperty("ebpf_steering_reason").GetString());
    }

    private (int ExitCode, string Stdout, string Stderr) Run(TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = _dir,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (string v in start.Environment.Keys.Where(k => k.StartsWith("MINIVMM_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(v);
        using Process p = Process.Start(start)!;
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync(), stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"minivmm {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
