namespace MiniVmm.Rss;

/// <summary>Transport layer of a parsed frame, as far as RSS cares ("the packet has a TCP/UDP header").</summary>
public enum TransportLayer : byte
{
    /// <summary>Neither TCP nor UDP, a fragment, or a TCP/UDP header cut short by the end of the frame.</summary>
    None = 0,
    Tcp = 6,
    Udp = 17,
}
