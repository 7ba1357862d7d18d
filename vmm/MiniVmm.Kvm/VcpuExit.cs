using System.Buffers.Binary;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Kvm;

/// <summary>
/// Why KVM_RUN returned: a view over the vCPU's mapped kvm_run page (no copy). Valid only until
/// the next <see cref="Vcpu.Run"/>. Data spans point into the page itself, so an IN or an MMIO
/// read is answered by writing into them.
/// </summary>
public readonly unsafe ref struct VcpuExit
{
    private readonly byte* _run;
    private readonly ulong _pageBytes;
    private readonly bool _interrupted;

    internal VcpuExit(byte* run, ulong pageBytes, bool interrupted)
    {
        _run = run;
        _pageBytes = pageBytes;
        _interrupted = interrupted;
    }

    public KvmExitReason Reason => _interrupted ? KvmExitReason.Interrupted : (KvmExitReason)ReadU32(KvmRunLayout.ExitReason);

    // KVM_EXIT_IO
    public ushort IoPort => ReadU16(KvmRunLayout.IoPort);
    public int IoSize => _run[KvmRunLayout.IoSize];
    public bool IoIsWrite => _run[KvmRunLayout.IoDirection] == KvmRunLayout.IoDirectionOut;

    /// <summary>How many accesses of <see cref="IoSize"/> bytes (string I/O: rep ins/outs).</summary>
    public uint IoCount => ReadU32(KvmRunLayout.IoCount);

    /// <summary>IoCount * IoSize bytes inside the run page; empty if the kernel's offsets do not fit the page.</summary>
    public Span<byte> IoData
    {
        get
        {
            ulong offset = ReadU64(KvmRunLayout.IoDataOffset);
            ulong length = (ulong)IoSize * IoCount;
            if (offset > _pageBytes || length > _pageBytes - offset) return Span<byte>.Empty;
            // Safe: [offset, offset + length) was just checked to lie inside the mapped page.
            return new Span<byte>(_run + offset, (int)length);
        }
    }

    // KVM_EXIT_MMIO
    public ulong MmioAddress => ReadU64(KvmRunLayout.MmioPhysAddr);
    public bool MmioIsWrite => _run[KvmRunLayout.MmioIsWrite] != 0;

    /// <summary>The access's bytes (len is at most 8, the size of kvm_run.mmio.data).</summary>
    public Span<byte> MmioData
    {
        get
        {
            int length = (int)Math.Min(ReadU32(KvmRunLayout.MmioLen), 8u);
            // Safe: mmio.data is an 8-byte array inside the page and length is clamped to 8.
            return new Span<byte>(_run + KvmRunLayout.MmioData, length);
        }
    }

    // KVM_EXIT_INTERNAL_ERROR
    public uint InternalSuberror => ReadU32(KvmRunLayout.InternalSuberror);

    /// <summary>internal.data[0 .. ndata) (at most 16 words).</summary>
    public ReadOnlySpan<ulong> InternalData
    {
        get
        {
            int n = (int)Math.Min(ReadU32(KvmRunLayout.InternalNdata), 16u);
            // Safe: internal.data is a 16-word array in the union and n is clamped to 16.
            return new ReadOnlySpan<ulong>(_run + KvmRunLayout.InternalData, n);
        }
    }

    // KVM_EXIT_SYSTEM_EVENT, KVM_EXIT_FAIL_ENTRY, KVM_EXIT_UNKNOWN
    public uint SystemEventType => ReadU32(KvmRunLayout.SystemEventType);
    public ulong FailEntryReason => ReadU64(KvmRunLayout.FailEntryReason);
    public ulong HardwareExitReason => ReadU64(KvmRunLayout.HwExitReason);

    // Safe (all three): offsets are constants inside the first 64 bytes of the page.
    private ushort ReadU16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(_run + offset, 2));
    private uint ReadU32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(new ReadOnlySpan<byte>(_run + offset, 4));
    private ulong ReadU64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(_run + offset, 8));
}
