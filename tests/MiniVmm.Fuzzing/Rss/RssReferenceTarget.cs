using MiniVmm.Rss;

namespace MiniVmm.Fuzzing.Rss;

/// <summary>
/// The frame classifier and Toeplitz hash (devices/MiniVmm.Rss) against the C reference: for any
/// frame and configuration, <see cref="RssHasher.Compute"/> gives the reference's hash, report and
/// queue; the bytes <see cref="RssHasher.Classify"/> picks hash, in the reference's Toeplitz too, to
/// the same value; the queue is the table entry the hash selects (unclassified when nothing is
/// hashed) and the report names an enabled type (virtio 1.2 §5.1.6.4.3, §5.1.6.5.7.3).
/// </summary>
public sealed class RssReferenceTarget : IFuzzTarget
{
    private readonly ToeplitzReferenceProcess _reference = new();
    private readonly byte[] _hashInput = new byte[RssHasher.MaxInputBytes];

    public string Name => "rss";

    public OutcomeCounts Outcomes { get; } = new();

    public string Oracle => "managed classifier + Toeplitz = the C reference (hash, report, queue, and the hash of the classified bytes); queue = table[hash & mask] or unclassified; report names an enabled type";

    public void Run(ReadOnlySpan<byte> input)
    {
        RssCase c = RssCase.Read(input, 65535);
        RssConfiguration config = c.Configuration;
        RssResult managed = RssHasher.Compute(c.Frame, config);
        RssResult reference = _reference.Compute(c.Frame, config);
        OracleViolationException.Check(managed == reference, () => $"managed {managed} but the C reference {reference} for frame {Convert.ToHexString(c.Frame)}");

        VirtioNetHashReport report = RssHasher.Classify(c.Frame, config.HashTypes, _hashInput, out int length);
        OracleViolationException.Check(report == managed.HashReport, () => $"Classify reports {report}, Compute {managed.HashReport}");
        Outcomes.Add(report.ToString());
        if (report == VirtioNetHashReport.None)
        {
            OracleViolationException.Check(managed.HashValue == 0 && managed.Queue == config.UnclassifiedQueue,
                () => $"an unhashed frame got {managed}, not hash 0 on unclassified queue {config.UnclassifiedQueue}");
            return;
        }
        OracleViolationException.Check((RssHasher.TypeOf(report) & config.HashTypes) != 0, () => $"report {report} is not among the enabled types {config.HashTypes}");
        byte[] hashed = _hashInput[..length];
        uint referenceHash = _reference.Hash(config.Key, hashed);
        uint managedHash = config.Toeplitz.Hash(hashed);
        OracleViolationException.Check(managedHash == managed.HashValue && referenceHash == managed.HashValue,
            () => $"hash of the classified bytes {Convert.ToHexString(hashed)}: ToeplitzKey {managedHash:x8}, reference {referenceHash:x8}, Compute {managed.HashValue:x8}");
        ushort expectedQueue = config.IndirectionTable[(int)(managed.HashValue & (uint)(config.IndirectionTable.Length - 1))];
        OracleViolationException.Check(managed.Queue == expectedQueue, () => $"queue {managed.Queue}, but table[hash & mask] is {expectedQueue}");
    }

    public void Dispose() => _reference.Dispose();
}
