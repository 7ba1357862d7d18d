using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// One piece of guest RAM as a back end maps it: where it is for the guest, how long, and the file
/// (a memfd) and offset it comes from; <see cref="UserAddress"/> is where the VMM mapped it, the
/// address vhost-user rings are given in (as QEMU gives its own virtual addresses).
/// </summary>
public sealed record SharedMemoryRegion(GuestAddress GuestAddress, ulong SizeBytes, FileDescriptor File, ulong FileOffset, ulong UserAddress)
{
    /// <summary>The user address of a guest address inside this region.</summary>
    public bool TryTranslate(GuestAddress address, out ulong user)
    {
        user = 0;
        if (address.Value < GuestAddress.Value || address.Value - GuestAddress.Value >= SizeBytes) return false;
        user = UserAddress + (address.Value - GuestAddress.Value);
        return true;
    }
}
