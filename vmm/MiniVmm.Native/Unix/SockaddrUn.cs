using System.Runtime.InteropServices;
using System.Text;

namespace MiniVmm.Native.Unix;

/// <summary>struct sockaddr_un (sys/un.h, 110 bytes): a Unix socket path.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SockaddrUn
{
    public const int SizeBytes = 110;

    public ushort Family;
    public fixed byte Path[UnixSocketAbi.SunPathBytes];

    /// <summary>The address of a filesystem path; throws when the path does not fit (with its NUL).</summary>
    public static SockaddrUn ForPath(string path)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length == 0 || bytes.Length >= UnixSocketAbi.SunPathBytes || bytes.Contains((byte)0))
        {
            throw new ArgumentException($"socket path '{path}' must be 1..{UnixSocketAbi.SunPathBytes - 1} bytes without NUL", nameof(path));
        }
        var address = new SockaddrUn { Family = UnixSocketAbi.AF_UNIX };
        for (int i = 0; i < bytes.Length; i++) address.Path[i] = bytes[i];
        return address;
    }
}
