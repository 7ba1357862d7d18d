namespace MiniVmm.Rss;

/// <summary>Network layer of a parsed frame.</summary>
public enum NetworkLayer : byte
{
    /// <summary>Not IP, or an IP header that is truncated or malformed: nothing can be hashed.</summary>
    None = 0,
    IPv4 = 4,
    IPv6 = 6,
}
