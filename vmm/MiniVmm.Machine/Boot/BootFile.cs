using Microsoft.Win32.SafeHandles;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// A kernel or initrd file opened for reading, whose every failure becomes a one-line
/// <see cref="BootImageException"/> naming the file.
/// </summary>
internal sealed class BootFile : IDisposable
{
    // Large images go to guest memory in pieces so no span ever exceeds int.MaxValue bytes.
    private const int ChunkBytes = 16 << 20;

    private readonly SafeFileHandle _handle;

    private BootFile(string role, string path, SafeFileHandle handle, long length)
    {
        Role = role;
        Path = path;
        _handle = handle;
        Length = length;
    }

    public string Role { get; }

    public string Path { get; }

    public long Length { get; }

    public static BootFile Open(string role, string path)
    {
        if (string.IsNullOrEmpty(path)) throw new BootImageException(role, "''", "no file name given");
        if (Directory.Exists(path)) throw new BootImageException(role, path, "is a directory, not a file");
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BootImageException(role, path, "no such file", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new BootImageException(role, path, "cannot read it (permission denied)", e);
        }
        catch (IOException e)
        {
            throw new BootImageException(role, path, $"cannot read it ({e.Message})", e);
        }
        try
        {
            return new BootFile(role, path, handle, RandomAccess.GetLength(handle));
        }
        catch (IOException e)
        {
            handle.Dispose();
            throw new BootImageException(role, path, $"cannot read it ({e.Message})", e);
        }
    }

    public BootImageException Error(string problem) => new(Role, Path, problem);

    /// <summary>Reads up to buffer.Length bytes at offset; fewer only at the end of the file.</summary>
    public int ReadAt(long offset, Span<byte> buffer)
    {
        int total = 0;
        try
        {
            while (total < buffer.Length)
            {
                int n = RandomAccess.Read(_handle, buffer[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
        }
        catch (IOException e)
        {
            throw new BootImageException(Role, Path, $"cannot read it ({e.Message})", e);
        }
        return total;
    }

    /// <summary>Reads exactly buffer.Length bytes at offset, or fails naming <paramref name="structure"/> as truncated.</summary>
    public void ReadExactly(long offset, Span<byte> buffer, string structure)
    {
        if (ReadAt(offset, buffer) != buffer.Length) throw Error($"truncated {structure} (file is {Length} bytes)");
    }

    /// <summary>Copies [offset, offset + length) of the file into guest memory at address.</summary>
    public void CopyTo(IGuestMemory memory, GuestAddress address, long offset, ulong length, string structure)
    {
        ulong done = 0;
        while (done < length)
        {
            int chunk = (int)Math.Min((ulong)ChunkBytes, length - done);
            Span<byte> target = memory.GetSpan(address + done, (ulong)chunk);
            ReadExactly(offset + (long)done, target, structure);
            done += (ulong)chunk;
        }
    }

    public void Dispose() => _handle.Dispose();
}
