using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVmm.Memory;

namespace MiniVmm.Virtio.Queues;

/// <summary>
/// Checked little-endian access to ring fields and buffers (a range outside RAM is a
/// <see cref="VirtioDeviceException"/>, never a host fault). Ring indices use acquire/release ordering
/// (virtio 1.2 §2.7.13.3.1: the driver publishes descriptors before the index; the device must
/// write used elements before the used index).
/// </summary>
internal static class RingAccess
{
    public static Span<byte> Field(IGuestMemory memory, GuestAddress address, ulong length) =>
        memory.TryGetSpan(address, length, out Span<byte> span)
            ? span
            : throw new VirtioDeviceException(VirtioError.AddressOutsideMemory, $"ring field {address}+{length} is outside guest memory");

    public static ushort ReadU16(IGuestMemory memory, GuestAddress address) =>
        BinaryPrimitives.ReadUInt16LittleEndian(Field(memory, address, 2));

    public static void WriteU16(IGuestMemory memory, GuestAddress address, ushort value) =>
        BinaryPrimitives.WriteUInt16LittleEndian(Field(memory, address, 2), value);

    /// <summary>A ring index read with acquire semantics (the host is little-endian x86-64; the field is 2-aligned).</summary>
    public static ushort ReadIndexAcquire(IGuestMemory memory, GuestAddress address) =>
        Volatile.Read(ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(Field(memory, address, 2))));

    /// <summary>A ring index written with release semantics, after the entries it publishes.</summary>
    public static void WriteIndexRelease(IGuestMemory memory, GuestAddress address, ushort value) =>
        Volatile.Write(ref Unsafe.As<byte, ushort>(ref MemoryMarshal.GetReference(Field(memory, address, 2))), value);
}
