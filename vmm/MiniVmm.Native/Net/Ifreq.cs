using System.Runtime.InteropServices;
using System.Text;

namespace MiniVmm.Native.Net;

/// <summary>
/// struct ifreq (linux/if.h): a 16-byte interface name and a 24-byte union, 40 bytes on x86-64.
/// Only the union members we use are mapped: ifr_flags and ifr_ifindex, both at offset 16.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = SizeBytes)]
public unsafe struct Ifreq
{
    public const int SizeBytes = 40;

    /// <summary>IFNAMSIZ: the name including its terminating NUL.</summary>
    public const int NameBytes = 16;

    [FieldOffset(0)] public fixed byte Name[NameBytes];
    [FieldOffset(16)] public ushort Flags;
    [FieldOffset(16)] public int IfIndex;

    /// <summary>A request for <paramref name="name"/>; throws when the name cannot be an interface name.</summary>
    public static Ifreq ForName(string name)
    {
        CheckName(name);
        var req = new Ifreq();
        byte[] bytes = Encoding.ASCII.GetBytes(name);
        for (int i = 0; i < bytes.Length; i++) req.Name[i] = bytes[i];
        return req;
    }

    /// <summary>The name the kernel wrote back (up to the first NUL).</summary>
    public readonly string GetName()
    {
        fixed (byte* p = Name)
        {
            // Safe: p points at this struct's 16-byte array; the length is bounded by it.
            var span = new ReadOnlySpan<byte>(p, NameBytes);
            int end = span.IndexOf((byte)0);
            return Encoding.ASCII.GetString(end < 0 ? span : span[..end]);
        }
    }

    /// <summary>
    /// The kernel's rules (dev_valid_name): 1..15 bytes, not "." or "..", no '/', ':' or whitespace.
    /// A '%d' is allowed: the kernel replaces it with the first free number.
    /// </summary>
    public static void CheckName(string name)
    {
        string? problem = name.Length == 0 ? "is empty"
            : name.Length >= NameBytes ? $"is longer than {NameBytes - 1} characters"
            : name is "." or ".." ? "is reserved"
            : name.Any(c => c > 0x7e || c <= 0x20 || c == '/' || c == ':') ? "contains a character not allowed in an interface name ('/', ':', space or non-ASCII)"
            : null;
        if (problem is not null) throw new ArgumentException($"interface name '{name}' {problem}", nameof(name));
    }
}
