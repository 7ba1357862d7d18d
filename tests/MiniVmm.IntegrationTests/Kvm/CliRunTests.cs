using System.Diagnostics;
using System.Text.Json;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>The minivmm process end to end under real KVM (the apphost copied next to this assembly).</summary>
public sealed class CliRunTests
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "minivmm");

    private static Process Start(params string[] args)
    {
        Assert.True(File.Exists(Cli), $"the minivmm apphost is missing at {Cli}");
        var start = new ProcessStartInfo(Cli) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    [HostFact(HostNeeds.Kvm)]
    public void Run_prints_guest_serial_output_and_exits_with_the_guest_status()
    {
        string kernel = TinyGuestImage.WriteTemporary("from the guest\n", exitValue: 20);
        try
        {
            using var p = Start("run", "--kernel", kernel, "--memory", "64M", "--cpus", "2");
            string stdout = p.StandardOutput.ReadToEnd();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(30_000));
            Assert.Equal("", stderr);
            Assert.Equal("from the guest\n", stdout);
            Assert.Equal(41, p.ExitCode); // (20 << 1) | 1
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Sigterm_stops_a_running_vm_with_status_143()
    {
        string kernel = TinyGuestImage.WriteTemporary("up\n", exitValue: null); // idles forever
        try
        {
            using var p = Start("run", "--kernel", kernel, "--memory", "64M", "--cpus", "2");
            Assert.Equal("up", p.StandardOutput.ReadLine()); // the guest is running
            Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
            Assert.True(p.WaitForExit(10_000), "minivmm did not stop within 10 s of SIGTERM");
            Assert.Equal(143, p.ExitCode);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostTheory(HostNeeds.Kvm)]
    [InlineData(new byte[] { 0x0F, 0x0B }, 1, "minivmm: vcpu0: the guest triple-faulted (KVM_EXIT_SHUTDOWN)\n")] // ud2, no IDT
    [InlineData(new byte[] { 0x66, 0xBA, 0x05, 0x05, 0xB0, 0x01, 0xEE, 0xFA, 0xF4 }, 4, "minivmm: the guest kernel panicked (pvpanic)\n")]
    [InlineData(new byte[] { 0x66, 0xBA, 0x04, 0x06, 0x66, 0xB8, 0x00, 0x34, 0x66, 0xEF, 0xFA, 0xF4 }, 0, "")] // ACPI S5
    [InlineData(new byte[] { 0xFA, 0xF4, 0xEB, 0xFC }, 0, "")] // cli; hlt on every CPU
    public void Run_exits_with_the_documented_status_and_one_line_saying_why(byte[] code, int status, string stderr)
    {
        string kernel = Path.Combine(Path.GetTempPath(), $"minivmm-cli-end-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(kernel, TinyGuestImage.Elf(code));
        try
        {
            using var p = Start("run", "--kernel", kernel, "--memory", "64M", "--cpus", "2");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var err = p.StandardError.ReadToEndAsync();
            bool exited = p.WaitForExit(60_000);
            if (!exited) p.Kill(entireProcessTree: true);
            Assert.True(exited, "minivmm did not exit within 60 s");
            Assert.Equal(stderr, err.Result);
            Assert.Equal(status, p.ExitCode);
            Assert.Equal("", stdout.Result);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Memory_the_host_cannot_give_is_one_line_and_exit_2_before_anything_starts()
    {
        string kernel = TinyGuestImage.WriteTemporary("never printed\n", exitValue: 1);
        try
        {
            using var p = Start("run", "--kernel", kernel, "--memory", "1048576G");
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            Assert.True(p.WaitForExit(30_000));
            Assert.Equal(2, p.ExitCode);
            Assert.Equal("", stdout.Result);
            string line = Assert.Single(stderr.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("minivmm: --memory 1048576G: more than this host can give a guest now (at most ", line);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Caps_json_is_valid_and_reports_the_kvm_api_version()
    {
        using var p = Start("caps", "--json");
        string stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(0, p.ExitCode);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(12, doc.RootElement.GetProperty("kvm").GetProperty("api_version").GetInt32());
        Assert.True(doc.RootElement.GetProperty("kvm").GetProperty("irqfd").GetBoolean());
        Assert.Equal(Directory.Exists("/sys/module/kvm_pvm"), doc.RootElement.GetProperty("guest_execution").GetProperty("pvm").GetBoolean());
        Assert.Equal(JsonValueKind.True, doc.RootElement.GetProperty("tap").GetProperty("available").ValueKind);
    }
}
