namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// One test frame the host sends and where the virtio spec says it must land: the queue
/// (table[hash &amp; mask], or the unclassified queue) and the hash the device must report.
/// </summary>
public sealed record FlowExpectation(uint FrameId, string Description, int Queue, uint HashValue, int HashReport);
