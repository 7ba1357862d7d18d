using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.Kvm;

/// <summary>
/// Part of an mmap'd region given to a VM as one KVM memory slot: the guest sees
/// [<see cref="GuestAddress"/>, + <see cref="SizeBytes"/>) backed by the region from
/// <see cref="RegionOffset"/>, and device code gets the same bytes as <see cref="Memory"/>.
/// The pointer arithmetic lives here, in the interop layer; the region must outlive the slot.
/// </summary>
public sealed unsafe class GuestMemorySlot
{
    public GuestMemorySlot(VirtualMachine vm, uint slot, GuestAddress guestAddress, MappedRegion region, ulong regionOffset, ulong sizeBytes)
    {
        if (sizeBytes == 0 || regionOffset > region.Length || sizeBytes > region.Length - regionOffset)
        {
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"slot {slot}: {sizeBytes} bytes at offset {regionOffset} do not fit a region of {region.Length}");
        }
        // Safe: offset + size were checked to lie inside the mapping just above.
        byte* host = region.Pointer + regionOffset;
        vm.SetUserMemoryRegion(slot, guestAddress, sizeBytes, host);
        Slot = slot;
        HostAddress = (ulong)host;
        GuestAddress = guestAddress;
        RegionOffset = regionOffset;
        SizeBytes = sizeBytes;
        Memory = new PointerGuestMemory(host, sizeBytes);
    }

    public uint Slot { get; }

    public GuestAddress GuestAddress { get; }

    public ulong RegionOffset { get; }

    /// <summary>Where this process maps the slot's first byte: what the kernel's vhost-net is given for it.</summary>
    public ulong HostAddress { get; }

    public ulong SizeBytes { get; }

    /// <summary>The slot's bytes from guest address 0 of the slot (callers place it at <see cref="GuestAddress"/>).</summary>
    public IGuestMemory Memory { get; }
}
