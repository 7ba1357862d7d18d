using MiniVmm.Memory;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>One split ring as the driver set it up: size and guest-physical addresses (virtio 1.2 §2.7).</summary>
public sealed record VhostRing(int Index, ushort Size, GuestAddress DescriptorTable, GuestAddress AvailableRing, GuestAddress UsedRing);
