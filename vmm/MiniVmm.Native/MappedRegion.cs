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
    public static MappedRegion Shared(FileDescriptor fd, ulong length, string what)
    {
        void* p = LibC.mmap(null, (size_t)length, LibC.PROT_READ | LibC.PROT_WRITE, LibC.MAP_SHARED, fd.Fd, 0);
        if (p == (void*)-1) throw SyscallException.FromErrno($"mmap {what}");
        return new MappedRegion((byte*)p, length);
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
