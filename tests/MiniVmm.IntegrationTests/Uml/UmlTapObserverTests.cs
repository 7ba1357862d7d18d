using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// The UML harness and the in-guest frame observer, proven on UML's own in-kernel TAP transport
/// (vec0, no vhost-user): one boot inside a network namespace the test creates, frames sent from
/// the host into the TAP there, and every one of them reported by the observer inside the guest.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlTapObserverTests
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(60);

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf | HostNeeds.Uml)]
    public void FramesSentIntoTheTap_AreEachReportedInsideTheGuest_WithQueueAndHashFields()
    {
        const int Frames = 12, Flows = 3;
        using var ns = NetworkNamespace.Create();
        string tap = "mvt-ut" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 3).ToLowerInvariant();
        ns.AddTap(tap);
        string script = $"""
            ip link set vec0 up
            {UmlPaths.FrameObserver} observe vec0 --frames {Frames} --timeout 30000 --idle 5000
            """;
        using var guest = UmlGuest.Start(new UmlGuestOptions
        {
            Script = script,
            KernelArguments = [$"vec0:transport=tap,ifname={tap}"],
            Namespace = ns,
        });
        guest.WaitForLine("^obs ready if=vec0$", BootTimeout);
        Assert.Contains($"sent frames={Frames}", ns.Exec(UmlPaths.FrameObserver, "send", tap, $"{Frames}", "--flows", $"{Flows}"));
        Assert.Equal(0, guest.WaitForExit(BootTimeout));
        Assert.Contains($"obs done frames={Frames}", guest.Lines);

        List<ObservedFrame> ours = [.. guest.ObservedFrames().Where(f => f.Id >= 0)];
        Assert.Equal(Enumerable.Range(0, Frames).Select(i => (long)i), ours.Select(f => f.Id));
        Assert.All(ours, f =>
        {
            Assert.False(f.LengthMismatch, "the filter's entry belongs to another frame");
            Assert.Equal(66, f.Length);          // 14 + 20 + 8 + 16 + 8, as frame-observer send builds them
            Assert.Equal(1, f.PacketType);       // PACKET_BROADCAST: frame-observer send addresses ff:ff:ff:ff:ff:ff
            Assert.Equal(1000 + (int)(f.Id % Flows), f.SourcePort);
            Assert.Equal(2000, f.DestinationPort);
            // UML's vector driver records no receive queue and sets no hash (and a 1-CPU UML has no
            // RPS to compute one): the observer reports exactly that. virtio_net over vhost-user does both.
            Assert.Equal(0u, f.QueueMapping);
            Assert.Equal(-1, f.Queue);
            Assert.Equal(0u, f.Hash);
        });
    }
}
