using System.Buffers.Binary;
using System.Text;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>
/// AML encodings (ACPI 6.5, chapter 20) of the few terms MiniVmm's DSDT needs. Each method returns
/// the bytes of one term, so a namespace is written as nested calls that read like its ASL:
/// <c>Scope("\\_SB", Device("PCI0", Name("_HID", EisaId("PNP0A03"))))</c>. Integers take the shortest
/// encoding, as iasl emits them.
/// </summary>
public static class Aml
{
    // Opcodes (20.3, table 20.2).
    public const byte ZeroOp = 0x00, OneOp = 0x01, NameOp = 0x08, BytePrefix = 0x0A, WordPrefix = 0x0B,
        DWordPrefix = 0x0C, StringPrefix = 0x0D, QWordPrefix = 0x0E, ScopeOp = 0x10, BufferOp = 0x11,
        PackageOp = 0x12, DualNamePrefix = 0x2E, MultiNamePrefix = 0x2F, ExtOpPrefix = 0x5B, RootChar = 0x5C,
        ParentPrefixChar = 0x5E;

    /// <summary>DeviceOp is ExtOpPrefix followed by this byte.</summary>
    public const byte DeviceOpSuffix = 0x82;

    /// <summary>The largest PkgLength (20.2.4): 28 bits, in four bytes.</summary>
    public const int MaxPackageLength = (1 << 28) - 1;

    /// <summary>DefScope := ScopeOp PkgLength NameString TermList.</summary>
    public static byte[] Scope(string name, params byte[][] terms) => [ScopeOp, .. Package(Concat([NameString(name), .. terms]))];

    /// <summary>DefDevice := DeviceOp PkgLength NameString TermList.</summary>
    public static byte[] Device(string name, params byte[][] terms) =>
        [ExtOpPrefix, DeviceOpSuffix, .. Package(Concat([NameString(name), .. terms]))];

    /// <summary>DefName := NameOp NameString DataRefObject.</summary>
    public static byte[] Name(string name, byte[] data) => [NameOp, .. NameString(name), .. data];

    /// <summary>An integer constant: ZeroOp, OneOp, or the shortest of ByteConst .. QWordConst (20.2.3).</summary>
    public static byte[] Integer(ulong value)
    {
        if (value == 0) return [ZeroOp];
        if (value == 1) return [OneOp];
        if (value <= byte.MaxValue) return [BytePrefix, (byte)value];
        var bytes = new byte[value <= ushort.MaxValue ? 3 : value <= uint.MaxValue ? 5 : 9];
        bytes[0] = bytes.Length switch { 3 => WordPrefix, 5 => DWordPrefix, _ => QWordPrefix };
        for (int i = 1; i < bytes.Length; i++) bytes[i] = (byte)(value >> (8 * (i - 1)));
        return bytes;
    }

    /// <summary>String := StringPrefix AsciiCharList NullChar (ASCII 0x01..0x7F only).</summary>
    public static byte[] String(string ascii)
    {
        foreach (char c in ascii)
            if (c is < '\x01' or > '\x7F') throw new ArgumentException($"AML strings are ASCII without NUL: '{ascii}'", nameof(ascii));
        return [StringPrefix, .. Encoding.ASCII.GetBytes(ascii), 0];
    }

    /// <summary>
    /// ASL's EisaId("PNP0A03") (19.6.47): three letters of five bits each (A = 1) in a big-endian word,
    /// then four hex digits in a big-endian word, the whole read as a little-endian DWordConst.
    /// </summary>
    public static byte[] EisaId(string id)
    {
        if (id.Length != 7 || !id[..3].All(c => c is >= 'A' and <= 'Z') || !id[3..].All(Uri.IsHexDigit))
            throw new ArgumentException($"an EISA id is three capital letters and four hex digits: '{id}'", nameof(id));
        int vendor = ((id[0] - '@') << 10) | ((id[1] - '@') << 5) | (id[2] - '@');
        int product = Convert.ToInt32(id[3..], 16);
        byte[] bytes = [DWordPrefix, 0, 0, 0, 0];
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(1), (ushort)vendor);
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(3), (ushort)product);
        return bytes;
    }

    /// <summary>DefPackage := PackageOp PkgLength NumElements PackageElementList (at most 255 elements).</summary>
    public static byte[] PackageOf(params byte[][] elements)
    {
        if (elements.Length > byte.MaxValue) throw new ArgumentException("a Package holds at most 255 elements", nameof(elements));
        return [PackageOp, .. Package(Concat([[(byte)elements.Length], .. elements]))];
    }

    /// <summary>DefBuffer := BufferOp PkgLength BufferSize ByteList.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> bytes) =>
        [BufferOp, .. Package(Concat([Integer((ulong)bytes.Length), bytes.ToArray()]))];

    /// <summary>
    /// ASL's ResourceTemplate (19.6.117): a Buffer of resource descriptors (6.4) closed by an End Tag
    /// whose checksum byte is 0 ("treated as if the checksum operation succeeded").
    /// </summary>
    public static byte[] ResourceTemplate(params byte[][] descriptors) =>
        Buffer(Concat([.. descriptors, AmlResource.EndTag()]));

    /// <summary>
    /// NameString (20.2.2): an optional root '\' or parent '^' prefixes, then dot-separated segments of up
    /// to four characters (A-Z, 0-9, '_'; not starting with a digit), padded with '_' to four.
    /// </summary>
    public static byte[] NameString(string path)
    {
        var bytes = new List<byte>();
        int at = 0;
        if (path.StartsWith('\\')) { bytes.Add(RootChar); at = 1; }
        else while (at < path.Length && path[at] == '^') { bytes.Add(ParentPrefixChar); at++; }
        string[] segments = path[at..].Length == 0 ? [] : path[at..].Split('.');
        if (segments.Length == 0 && bytes.Count == 0) throw new ArgumentException("an empty name", nameof(path));
        if (segments.Length == 2) bytes.Add(DualNamePrefix);
        else if (segments.Length > 2) { bytes.Add(MultiNamePrefix); bytes.Add(checked((byte)segments.Length)); }
        else if (segments.Length == 0) bytes.Add(0); // NullName after a prefix: "\" itself
        foreach (string s in segments) bytes.AddRange(NameSeg(s));
        return bytes.ToArray();
    }

    private static byte[] NameSeg(string segment)
    {
        bool valid = segment.Length is >= 1 and <= 4 && segment[0] is (>= 'A' and <= 'Z') or '_'
            && segment.All(c => c is (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_');
        if (!valid) throw new ArgumentException($"not an AML name segment: '{segment}'", nameof(segment));
        return Encoding.ASCII.GetBytes(segment.PadRight(4, '_'));
    }

    /// <summary>
    /// PkgLength followed by <paramref name="content"/> (20.2.4). PkgLength counts itself: one byte up to
    /// 63 in all; otherwise bits 7:6 of the lead byte say how many bytes follow, its bits 3:0 are the low
    /// nibble and each following byte carries the next eight bits.
    /// </summary>
    public static byte[] Package(byte[] content)
    {
        for (int extra = 0; extra <= 3; extra++)
        {
            long total = content.Length + 1 + extra;
            long limit = extra == 0 ? 0x40 : 1L << (4 + 8 * extra);
            if (total >= limit) continue;
            var bytes = new byte[1 + extra + content.Length];
            if (extra == 0) bytes[0] = (byte)total;
            else
            {
                bytes[0] = (byte)((extra << 6) | (int)(total & 0x0F));
                for (int i = 1; i <= extra; i++) bytes[i] = (byte)(total >> (4 + 8 * (i - 1)));
            }
            content.CopyTo(bytes, 1 + extra);
            return bytes;
        }
        throw new ArgumentException($"{content.Length} bytes do not fit a PkgLength (at most {MaxPackageLength})", nameof(content));
    }

    private static byte[] Concat(byte[][] parts)
    {
        var all = new byte[parts.Sum(p => p.Length)];
        int at = 0;
        foreach (byte[] p in parts) { p.CopyTo(all, at); at += p.Length; }
        return all;
    }
}
