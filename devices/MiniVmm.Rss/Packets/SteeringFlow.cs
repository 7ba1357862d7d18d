namespace MiniVmm.Rss.Packets;

/// <summary>One test frame of <see cref="SteeringFlowSet"/>: its id (also in the frame's last 8 bytes), a kind name and the bytes.</summary>
public sealed record SteeringFlow(uint Id, string Kind, byte[] Frame)
{
    public override string ToString() => $"{Id} {Kind} ({Frame.Length} bytes)";
}
