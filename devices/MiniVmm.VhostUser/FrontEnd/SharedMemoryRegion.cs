using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// One piece of guest RAM as a back end maps it: where it is for the guest, how long, the file (a
/// memfd) and offset it comes from, <see cref="UserAddress"/>, the address space vhost-user ring
/// addresses are given in (QEMU gives its own virtual addresses; we give guest-physical ones, so ours
/// equals the guest address), and <see cref="HostAddress"/>, where this process really maps it.
/// </summary>
/// <remarks>
/// Two addresses, because the two kinds of back end read them differently. A vhost-user process maps
/// <see cref="File"/> itself and only uses <see cref="UserAddress"/> to translate the ring addresses we
/// send; we send guest-physical ones, so user address = guest address keeps that translation the
/// identity (see GuestRam). The kernel's vhost-net maps nothing: it dereferences the table's
/// userspace_addr and the ring addresses as pointers into this process, so it needs
/// <see cref="HostAddress"/>, the real address of our mapping. A separate field (rather than a second
/// meaning of UserAddress) leaves the vhost-user table exactly as it was.
/// </remarks>
/// <param name="File">The memfd the region comes from; null when guest RAM is private memory, which only a
/// back end inside this process's address space (vhost-net) can use.</param>
public sealed record SharedMemoryRegion(GuestAddress GuestAddress, ulong SizeBytes, FileDescriptor? File, ulong FileOffset, ulong UserAddress)
{
    /// <summary>Where this process maps the region (0: not given); what vhost-net's table and rings are given in.</summary>
    public ulong HostAddress { get; init; }

    /// <summary>The user address of a guest address inside this region.</summary>
    public bool TryTranslate(GuestAddress address, out ulong user)
    {
        user = 0;
        if (address.Value < GuestAddress.Value || address.Value - GuestAddress.Value >= SizeBytes) return false;
        user = UserAddress + (address.Value - GuestAddress.Value);
        return true;
    }

    /// <summary>
    /// The host address of [<paramref name="address"/>, + <paramref name="bytes"/>) when all of it lies in this
    /// region (a ring must be contiguous in the VMM's mapping, which only holds inside one region).
    /// </summary>
    public bool TryTranslateToHost(GuestAddress address, ulong bytes, out ulong host)
    {
        host = 0;
        if (HostAddress == 0 || address.Value < GuestAddress.Value) return false;
        ulong offset = address.Value - GuestAddress.Value;
        if (offset >= SizeBytes || bytes > SizeBytes - offset) return false;
        host = HostAddress + offset;
        return true;
    }
}
