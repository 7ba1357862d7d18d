using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.VhostUser;

/// <summary>
/// Everything a device needs to serve one split ring, as the front end set it up. Addresses are
/// guest-physical (the session translated the front end's user addresses and checked that each
/// part of the ring lies inside one region of guest memory).
/// </summary>
/// <param name="Size">Queue size (SET_VRING_NUM): a power of two, at most 32768.</param>
/// <param name="DescriptorTable">Descriptor table, 16 * Size bytes.</param>
/// <param name="AvailableRing">Driver area, 6 + 2 * Size bytes.</param>
/// <param name="UsedRing">Device area, 6 + 8 * Size bytes.</param>
/// <param name="LastAvailIndex">
/// Where the device resumes reading the available ring (SET_VRING_BASE). The used index is not
/// passed: the device reads used->idx from guest memory when it starts, so a restart after the
/// guest's own reset continues where the guest is (rust-vmm/vhost#180 broke on exactly that).
/// </param>
/// <param name="Kick">
/// Readable when the driver has made buffers available (an eventfd from both front ends; read
/// 8 bytes to clear). Owned by the session; valid until <see cref="IVhostUserDevice.StopRing"/>
/// or <see cref="IVhostUserDevice.Reset"/> returned.
/// </param>
/// <param name="Call">Interrupts the driver for this ring. The session may swap the descriptor behind it while the ring runs.</param>
/// <param name="Error">Tells the front end the ring failed (SET_VRING_ERR's descriptor).</param>
public sealed record VhostRingSetup(
    int Size,
    GuestAddress DescriptorTable,
    GuestAddress AvailableRing,
    GuestAddress UsedRing,
    ushort LastAvailIndex,
    FileDescriptor Kick,
    IVhostRingNotifier Call,
    IVhostRingNotifier Error);
