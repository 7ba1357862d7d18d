using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniVmm.Testing.Uml;

/// <summary>
/// One line of frame-observer inside the guest: the frame's receive queue (-1 when the driver
/// recorded none), the skb hash, the length, sll_pkttype, the UDP/TCP ports and the "MVID" id.
/// </summary>
public sealed partial record ObservedFrame(int Queue, uint QueueMapping, uint Hash, int Length, int PacketType, int SourcePort, int DestinationPort, long Id, bool LengthMismatch)
{
    public static ObservedFrame? TryParse(string line)
    {
        Match m = Pattern().Match(line);
        if (!m.Success) return null;
        return new ObservedFrame(
            int.Parse(m.Groups["q"].Value, CultureInfo.InvariantCulture),
            uint.Parse(m.Groups["qm"].Value, CultureInfo.InvariantCulture),
            uint.Parse(m.Groups["hash"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["len"].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups["type"].Value, CultureInfo.InvariantCulture),
            m.Groups["sport"].Success ? int.Parse(m.Groups["sport"].Value, CultureInfo.InvariantCulture) : -1,
            m.Groups["dport"].Success ? int.Parse(m.Groups["dport"].Value, CultureInfo.InvariantCulture) : -1,
            long.Parse(m.Groups["id"].Value, CultureInfo.InvariantCulture),
            line.Contains("error=length", StringComparison.Ordinal));
    }

    [GeneratedRegex(@"^obs q=(?<q>-?\d+) qm=(?<qm>\d+) hash=0x(?<hash>[0-9a-f]{8}) len=(?<len>\d+) type=(?<type>\d+) .*?(ports=(?<sport>\d+)>(?<dport>\d+) )?id=(?<id>-?\d+)")]
    private static partial Regex Pattern();
}
