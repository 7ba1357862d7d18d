using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// An mmap'd region (anonymous guest RAM, or a file such as the kvm_run page). Unmapped on dispose.
/// </summary>
public sealed unsafe class MappedRegion : IDisposable
{
    private byte* _address;

    private MappedRegion(byte* address, ulong length)
    {
        _address = address;
        Length = length;
    }

    public ulong Length { get; }

    /// <summary>The start of the mapping. Valid until <see cref="Dispose"/>.</summary>
    public byte* Pointer => _address != null ? _address : throw new ObjectDisposedException(nameof(MappedRegion));

    /// <summary>Private anonymous memory, zero-filled, not yet backed by pages (guest RAM).</summary>
    public static MappedRegion Anonymous(ulong length)
    {
        void* p = LibC.mmap(null, (size_t)length, LibC.PROT_READ | LibC.PROT_WRITE,
            LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1, 0);
        if (p == (void*)-1) throw SyscallException.FromErrno("mmap anonymous");
        return new MappedRegion((byte*)p, length);
    }

    /// <summary>A shared mapping of <paramref name="length"/> bytes of a file descriptor.</summary>
    public static MappedRegion Shared(FileDescriptor fd, ulong length, string what) => Shared(fd, 0, length, what);

    /// <summary>
    /// A shared mapping of <paramref name="length"/> bytes of a file descriptor from
    /// <paramref name="fileOffset"/>, which must be a multiple of the page size (mmap(2)).
    /// </summary>
    public static MappedRegion Shared(FileDescriptor fd, ulong fileOffset, ulong length, string what)
    {
        if (length == 0) throw new ArgumentException("cannot map 0 bytes", nameof(length));
        if (fileOffset % (ulong)Environment.SystemPageSize != 0 || fileOffset > long.MaxValue)
        {
            throw new ArgumentException($"file offset 0x{fileOffset:x} is not a page-aligned file offset", nameof(fileOffset));
        }
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            void* p = LibC.mmap(null, (size_t)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Fd, (off_t)(long)fileOffset);
            if (p == (void*)-1) throw SyscallException.FromErrno($"mmap {what}");
            return new MappedRegion((byte*)p, length);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }

    /// <summary>
    /// A span over [offset, offset + length) of the mapping, or false when any byte is outside
    /// it (overflow-safe). The span is valid until <see cref="Dispose"/>.
    /// </summary>
    public bool TryGetSpan(ulong offset, ulong length, out Span<byte> span)
    {
        if (_address == null || length > int.MaxValue || length > Length || offset > Length - length)
        {
            span = default;
            return false;
        }
        // Safe: the range was checked against the mapping's length just above.
        span = new Span<byte>(_address + offset, (int)length);
        return true;
    }

    public void Dispose()
    {
        if (_address != null)
        {
            LibC.munmap(_address, (size_t)Length);
            _address = null;
        }
    }
}
