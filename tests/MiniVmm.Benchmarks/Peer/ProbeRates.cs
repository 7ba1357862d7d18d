using System.Globalization;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The probe's timing lines in quiet=1 mode (guest-images/probe/README.md):
/// `probe: rx frames=N us=T` (first to last received frame) and `tx q=Q sent=N us=T` (per TX
/// job). The rest of the protocol is ProbeReport's.
/// </summary>
public sealed class ProbeRates
{
    private readonly Dictionary<int, (long Sent, long Microseconds)> _tx = [];
    private readonly Dictionary<int, long> _kicks = [];

    /// <summary>Notifications the guest's TX jobs sent (`kicks=` of the tx lines), or -1 when the probe did not say.</summary>
    public long TxKicks => _kicks.Count == 0 ? -1 : _kicks.Values.Sum();

    public long RxFrames { get; private set; }

    public long RxMicroseconds { get; private set; }

    /// <summary>TX queue -> frames sent and the microseconds the job took.</summary>
    public IReadOnlyDictionary<int, (long Sent, long Microseconds)> Tx => _tx;

    /// <summary>Frames per second received by the guest (0 before the rx line came).</summary>
    public double RxRate => RxMicroseconds > 0 ? RxFrames * 1e6 / RxMicroseconds : 0;

    /// <summary>Frames per second over all TX jobs (the probe runs them one after the other).</summary>
    public double TxRate
    {
        get
        {
            long us = _tx.Values.Sum(t => t.Microseconds);
            return us > 0 ? _tx.Values.Sum(t => t.Sent) * 1e6 / us : 0;
        }
    }

    public void Accept(string line)
    {
        if (line.StartsWith("probe: rx frames=", StringComparison.Ordinal))
        {
            var f = Fields(line);
            if (f.TryGetValue("frames", out long n) && f.TryGetValue("us", out long us))
            {
                RxFrames = n;
                RxMicroseconds = us;
            }
        }
        else if (line.StartsWith("tx q=", StringComparison.Ordinal))
        {
            var f = Fields(line);
            if (f.TryGetValue("q", out long q) && f.TryGetValue("sent", out long sent) && f.TryGetValue("us", out long us))
            {
                _tx[(int)q] = (sent, us);
                if (f.TryGetValue("kicks", out long kicks)) _kicks[(int)q] = kicks;
            }
        }
    }

    private static Dictionary<string, long> Fields(string line)
    {
        var fields = new Dictionary<string, long>();
        foreach (string word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=');
            if (eq > 0 && long.TryParse(word.AsSpan(eq + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long v))
            {
                fields[word[..eq]] = v;
            }
        }
        return fields;
    }
}
