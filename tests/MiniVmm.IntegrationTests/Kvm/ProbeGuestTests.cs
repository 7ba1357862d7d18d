using System.Text;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>Boots the steering probe (built by build.sh into out/guest-images/probe.elf) under real KVM.</summary>
public sealed class ProbeGuestTests
{
    [HostFact(HostNeeds.Kvm)]
    public void Probe_says_hello_and_exits_with_the_status_from_its_command_line()
    {
        string probe = Path.Combine(RepoPaths.GuestImages, "probe.elf");
        Assert.True(File.Exists(probe), $"{probe} is missing: run ./build.sh (make -C guest-images/probe OUT=out/guest-images) first");

        var output = new MemoryStream();
        using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
        {
            KernelPath = probe, CommandLine = "exit=5", MemoryBytes = 128UL << 20, SerialOutput = output,
            ForwardStdin = false, HandleHostSignals = false,
        });
        var timeout = Task.Delay(TimeSpan.FromSeconds(60)).ContinueWith(_ => machine.Stop.Fail("the probe did not exit within 60 s"));
        int status = machine.Run();

        string serial = Encoding.ASCII.GetString(output.ToArray());
        Assert.Null(machine.Stop.Error);
        string[] lines = serial.Replace("\r", "").Split('\n');
        Assert.Equal("probe: hello", lines[0]);
        Assert.Contains("probe: cmdline exit=5", lines);
        Assert.Contains("probe: exit 5", lines);
        Assert.Equal(11, status); // (5 << 1) | 1
    }

    [HostFact(HostNeeds.Kvm)]
    public void With_6G_the_probe_touches_its_last_page_above_4_gib()
    {
        string probe = Path.Combine(RepoPaths.GuestImages, "probe.elf");
        Assert.True(File.Exists(probe), $"{probe} is missing: run ./build.sh first");
        var start = new System.Diagnostics.ProcessStartInfo(RepoPaths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "run", "--kernel", probe, "--memory", "6G", "--cmdline", "ram=top net=off exit=3" }) start.ArgumentList.Add(a);
        using var p = System.Diagnostics.Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        bool exited = p.WaitForExit(60_000);
        if (!exited) p.Kill(entireProcessTree: true);
        Assert.True(exited, "the probe did not exit within 60 s");

        string[] lines = stdout.Result.Replace("\r", "").Split('\n');
        // 6 GiB: 3 GiB at 0 and 3 GiB from 4 GiB up, so RAM ends at 7 GiB and its last page is 7 GiB - 4 KiB.
        Assert.Contains("probe: ram top=0x1c0000000 last_page=0x1bffff000 ok", lines);
        Assert.Equal("", stderr.Result);
        Assert.Equal(7, p.ExitCode); // (3 << 1) | 1
    }
}
