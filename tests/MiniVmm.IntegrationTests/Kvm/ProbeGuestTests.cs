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
}
