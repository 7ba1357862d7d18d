namespace MiniVmm.Fuzzing.Queues;

/// <summary>The first u16 of a queue input: direction, negotiated features and back-end behaviour.</summary>
[Flags]
public enum QueueMode : ushort
{
    /// <summary>Receive, no optional feature.</summary>
    None = 0,
    /// <summary>Transmit (ProcessTx) instead of receive (ProcessRx).</summary>
    Transmit = 1 << 0,
    EventIdx = 1 << 1,
    IndirectDesc = 1 << 2,
    MergeableRxBuffers = 1 << 3,
    HashReport = 1 << 4,
    /// <summary>The back end's vnet header is 20 bytes (else 12).</summary>
    BackendHashHeader = 1 << 5,
    /// <summary>CSUM, GUEST_CSUM and the TSO features.</summary>
    Offloads = 1 << 6,
    /// <summary>The back end reports the hash fields of its header (as a hashing kernel), else it hashes in process.</summary>
    HashFromHeader = 1 << 7,
    /// <summary>No RSS or hash configuration in force (hashing off).</summary>
    NoRssConfiguration = 1 << 8,
    /// <summary>Resume at <see cref="QueueCase.Base"/> (vhost-user's SET_VRING_BASE) instead of 0.</summary>
    SetBase = 1 << 9,
}
