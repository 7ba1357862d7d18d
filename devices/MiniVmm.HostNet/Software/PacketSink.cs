namespace MiniVmm.HostNet.Software;

/// <summary>Takes one packet (vnet header + frame) into the guest's RX queue; false when the queue has no room (keep it for later).</summary>
public delegate bool PacketSink(ReadOnlySpan<byte> packet);
