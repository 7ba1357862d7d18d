using System.Buffers.Binary;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>The System Description Table Header every ACPI table but the RSDP and FACS starts with (ACPI 6.5, 5.2.6).</summary>
public static class AcpiTableHeader
{
    public const int Size = 36;
    public const int LengthOffset = 4, RevisionOffset = 8, ChecksumOffset = 9;

    /// <summary>Clears <paramref name="table"/> and writes its header; Length is the span's length.</summary>
    public static void Write(Span<byte> table, ReadOnlySpan<byte> signature, byte revision)
    {
        table.Clear();
        signature.CopyTo(table);
        BinaryPrimitives.WriteUInt32LittleEndian(table[LengthOffset..], (uint)table.Length);
        table[RevisionOffset] = revision;
        "MINVMM"u8.CopyTo(table[10..]);       // OEMID, 6 bytes
        "MINIVMM "u8.CopyTo(table[16..]);     // OEM Table ID, 8 bytes
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], 1); // OEM Revision
        "MVMM"u8.CopyTo(table[28..]);         // Creator ID
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], 1); // Creator Revision
    }

    /// <summary>Sets the Checksum byte so that "the entire table, including the checksum field, must add to zero".</summary>
    public static void Seal(Span<byte> table)
    {
        table[ChecksumOffset] = 0;
        table[ChecksumOffset] = Checksum(table);
    }

    /// <summary>The byte that makes <paramref name="bytes"/> sum to zero (mod 256) when added.</summary>
    public static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)-sum;
    }
}
