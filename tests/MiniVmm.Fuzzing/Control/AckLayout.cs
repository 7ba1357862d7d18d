namespace MiniVmm.Fuzzing.Control;

/// <summary>The device-writable part of a control chain (virtio 1.2 §5.1.6.5: one ack byte after the command).</summary>
public enum AckLayout
{
    /// <summary>One byte, as drivers send it.</summary>
    OneByte,
    /// <summary>Four bytes: the ack goes into the first.</summary>
    FourBytes,
    /// <summary>A zero-length writable descriptor, then the byte.</summary>
    EmptyThenOneByte,
    /// <summary>No writable byte at all: the device cannot answer (BadChainForQueue).</summary>
    None,
    /// <summary>The byte, then one more readable descriptor: readable after writable (BadChainLayout).</summary>
    ReadableAfter,
    /// <summary>An empty writable descriptor before the command, then the byte: readable after writable too.</summary>
    EmptyWritableFirst,
}
