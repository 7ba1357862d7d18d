using System.Text;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Machine.Net;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// Guest TX under real KVM: frames the probe sends on transmit queue i (virtio 1.2 §5.1.6.2) leave
/// through TAP queue i and appear on the host interface.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class TransmitEndToEndTests
{
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData(SteeringRequest.EbpfHybrid)]
    [InlineData(SteeringRequest.Software)]
    public void Frames_sent_on_tx_queue_i_leave_through_tap_queue_i(SteeringRequest steering)
    {
        const int PerQueue = 25;
        var serial = new MemoryStream();
        using var machine = Machine.Machine.Create(new MachineOptions
        {
            KernelPath = SteerTestFixture.ProbePath,
            CommandLine = $"pairs=4 expect=0 tx=0:{PerQueue},1:{PerQueue},2:{PerQueue},3:{PerQueue}:200",
            MemoryBytes = 256UL << 20,
            SerialOutput = serial,
            ForwardStdin = false,
            HandleHostSignals = false,
        });
        string tapName = SteerTestFixture.UniqueTap();
        VirtioNetAttachment nic = VirtioNetAttachment.Create(machine, new NetworkOptions { TapName = tapName, Queues = 4, Steering = steering });
        using PacketInjector capture = PacketInjector.Open(tapName);

        int status = machine.Run();
        string output = Encoding.ASCII.GetString(serial.ToArray());
        Assert.True(status == 1, $"probe status {status}:\n{output}");

        var perQueue = new int[4];
        var frame = new byte[2048];
        int n;
        while ((n = capture.Capture(frame, TimeSpan.FromMilliseconds(500))) > 0)
        {
            // The probe's TX payload: "MVTX", u16 queue (big-endian), u32 sequence, after Ethernet+IPv4+UDP (42 bytes).
            if (n >= 48 && frame.AsSpan(42, 4).SequenceEqual("MVTX"u8)) perQueue[(frame[46] << 8) | frame[47]]++;
        }
        Assert.Equal(new[] { PerQueue, PerQueue, PerQueue, PerQueue }, perQueue);
        for (int q = 0; q < 4; q++)
        {
            Assert.Contains($"tx q={q} sent={PerQueue}", output);
            // transmitq q+1 went out through its own pair (and so through TAP queue q).
            Assert.Equal((ulong)PerQueue, nic.Device.Pairs[q].Counters.TxPackets);
        }
    }
}
