using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniVmm.Cli.SteerTest.Linux;

/// <summary>
/// One line of the frame observer inside the Linux guest (guest-images/uml/frame-observer.c):
/// <c>obs q=1 qm=2 hash=0x3a1b2c4d len=66 type=1 ... id=5</c>, i.e. the receive queue and the
/// skb hash that Linux's virtio_net gave the frame, read by an eBPF socket filter from
/// <c>__sk_buff</c>. The hash report type is not visible there (the driver turns it into an skb
/// hash type that <c>__sk_buff</c> does not expose), so it is left out.
/// </summary>
public static partial class ObserverLine
{
    /// <summary>sll_pkttype of a frame the guest itself sent (PACKET_OUTGOING): not a received frame.</summary>
    private const int Outgoing = 4;

    /// <summary>The received frame a line describes, or null for other lines and for the guest's own transmissions.</summary>
    public static ProbeRxEvent? TryParse(string line)
    {
        Match m = Pattern().Match(line);
        if (!m.Success || Int(m, "type") == Outgoing) return null;
        return new ProbeRxEvent(Int(m, "q"), long.Parse(m.Groups["id"].Value, CultureInfo.InvariantCulture), Int(m, "len"),
            uint.Parse(m.Groups["hash"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), HashReport: -1);
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^obs q=(?<q>-?\d+) qm=\d+ hash=0x(?<hash>[0-9a-f]{8}) len=(?<len>\d+) type=(?<type>\d+) .*\bid=(?<id>-?\d+)")]
    private static partial Regex Pattern();
}
