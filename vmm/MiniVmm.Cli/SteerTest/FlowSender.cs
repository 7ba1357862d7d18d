using System.Globalization;
using MiniVmm.HostNet;
using MiniVmm.Rss.Packets;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// Sends a flow set into the TAP from the host side, at the pace the guest takes it: no more
/// than a window of frames ahead of what the device has put into the guest's receive rings,
/// because a burst larger than a TAP queue's ring would be dropped by the kernel, not steered.
/// </summary>
public static class FlowSender
{
    /// <summary>Frames allowed between the host and the guest's RX rings: below a TAP queue's 1000-packet ring and the probe's 256 buffers per queue.</summary>
    public const int InFlightWindow = 200;

    /// <summary>Sends <paramref name="flows"/>; gives up at <paramref name="deadline"/> or when <paramref name="stop"/> is cancelled.</summary>
    public static void Send(PacketInjector injector, VirtioNetDevice device, IReadOnlyList<SteeringFlow> flows, string phase, DateTime deadline, TextWriter log,
        CancellationToken stop = default)
    {
        int step = Math.Max(1, flows.Count / 10);
        ulong delivered0 = Delivered(device);
        for (int i = 0; i < flows.Count && !stop.IsCancellationRequested; i++)
        {
            var spin = new SpinWait();
            while ((ulong)i > Delivered(device) - delivered0 + InFlightWindow && DateTime.UtcNow < deadline && !stop.IsCancellationRequested) spin.SpinOnce(sleep1Threshold: 20);
            injector.Send(flows[i].Frame);
            if (flows.Count >= 2000 && (i + 1) % step == 0)
                log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"steer-test: {phase}: sent {i + 1}/{flows.Count} frames"));
        }
    }

    /// <summary>Frames the device that carries the data path (ours in-process, or the back end's) put in the guest's rings.</summary>
    public static ulong Delivered(VirtioNetDevice device)
    {
        ulong sum = 0;
        foreach (var pair in device.Pairs) sum += pair.Counters.RxPackets;
        return sum;
    }

    /// <summary>Keeps the host's own IPv6 traffic (router solicitations) off the guest's queues.</summary>
    public static void DisableIPv6(string tap)
    {
        try { File.WriteAllText($"/proc/sys/net/ipv6/conf/{tap}/disable_ipv6", "1"); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
