using System.Buffers.Binary;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// Writes struct boot_params, the "zero page" (arch/x86/include/uapi/asm/bootparam.h;
/// Documentation/arch/x86/zero-page.rst). Offsets of the setup header part are in <see cref="SetupHeader"/>.
/// </summary>
public static class BootParams
{
    public const int Size = 0x1000;

    // Fields outside the setup header (zero-page.rst table).
    public const int AcpiRsdpAddrOffset = 0x070;    // u64 acpi_rsdp_addr (protocol 2.14+)
    public const int ExtRamdiskImageOffset = 0x0C0; // u32 ext_ramdisk_image: bits 63..32 of ramdisk_image
    public const int ExtRamdiskSizeOffset = 0x0C4;  // u32 ext_ramdisk_size
    public const int ExtCmdLinePtrOffset = 0x0C8;   // u32 ext_cmd_line_ptr
    public const int E820EntriesOffset = 0x1E8;     // u8  e820_entries
    public const int E820TableOffset = 0x2D0;       // struct boot_e820_entry e820_table[128]

    /// <summary>The boot protocol version we claim when building a header for an ELF vmlinux (2.15).</summary>
    public const ushort BuiltHeaderVersion = 0x020F;

    /// <summary>type_of_loader 0xFF: "undefined" boot loader (boot.rst, "type_of_loader").</summary>
    public const byte UndefinedLoader = 0xFF;

    /// <summary>heap_end_ptr: end of the setup heap minus 0x200, the value boot.rst's example loader uses.</summary>
    public const ushort HeapEndPtr = 0xFE00;

    /// <summary>Copies a bzImage's own setup header into boot_params.hdr (boot.rst, "64-bit Boot Protocol").</summary>
    public static void WriteImageHeader(Span<byte> zeroPage, SetupHeader header) =>
        header.Bytes.CopyTo(zeroPage[SetupHeader.SetupSectsOffset..]);

    /// <summary>
    /// Builds the setup header an ELF vmlinux has no copy of: only what the kernel reads after its
    /// 64-bit entry (boot_flag, "HdrS", version, loader type and flags, command line size).
    /// </summary>
    public static void WriteBuiltHeader(Span<byte> zeroPage, uint cmdlineSize)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[SetupHeader.VidModeOffset..], 0xFFFF); // "normal"
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[SetupHeader.BootFlagOffset..], SetupHeader.BootFlagValue);
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[SetupHeader.HeaderMagicOffset..], SetupHeader.HeaderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[SetupHeader.VersionOffset..], BuiltHeaderVersion);
        zeroPage[SetupHeader.LoadFlagsOffset] = SetupHeader.LoadedHigh;
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[SetupHeader.CmdlineSizeOffset..], cmdlineSize);
    }

    /// <summary>The fields a boot loader fills in (boot.rst: "write" and "modify" fields).</summary>
    public static void WriteLoaderFields(Span<byte> zeroPage, ulong cmdLinePtr, ulong ramdiskImage, ulong ramdiskSize)
    {
        zeroPage[SetupHeader.TypeOfLoaderOffset] = UndefinedLoader;
        zeroPage[SetupHeader.LoadFlagsOffset] |= SetupHeader.CanUseHeap;
        BinaryPrimitives.WriteUInt16LittleEndian(zeroPage[SetupHeader.HeapEndPtrOffset..], HeapEndPtr);
        WriteSplit(zeroPage, SetupHeader.CmdLinePtrOffset, ExtCmdLinePtrOffset, cmdLinePtr);
        WriteSplit(zeroPage, SetupHeader.RamdiskImageOffset, ExtRamdiskImageOffset, ramdiskImage);
        WriteSplit(zeroPage, SetupHeader.RamdiskSizeOffset, ExtRamdiskSizeOffset, ramdiskSize);
    }

    /// <summary>Tells the kernel where the RSDP is, so it need not scan for it.</summary>
    public static void WriteAcpiRsdpAddr(Span<byte> zeroPage, ulong rsdp) =>
        BinaryPrimitives.WriteUInt64LittleEndian(zeroPage[AcpiRsdpAddrOffset..], rsdp);

    public static void WriteE820(Span<byte> zeroPage, IReadOnlyList<E820Entry> entries)
    {
        if (entries.Count > E820Map.MaxEntries)
            throw new ArgumentException($"{entries.Count} e820 entries, boot_params holds {E820Map.MaxEntries}", nameof(entries));
        zeroPage[E820EntriesOffset] = (byte)entries.Count;
        for (int i = 0; i < entries.Count; i++)
        {
            Span<byte> e = zeroPage.Slice(E820TableOffset + i * E820Entry.SizeBytes, E820Entry.SizeBytes);
            BinaryPrimitives.WriteUInt64LittleEndian(e, entries[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], entries[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], entries[i].Type);
        }
    }

    // The low 32 bits go in the setup header field, the high 32 in the ext_* field (protocol 2.12+).
    private static void WriteSplit(Span<byte> zeroPage, int lowOffset, int highOffset, ulong value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[lowOffset..], (uint)value);
        BinaryPrimitives.WriteUInt32LittleEndian(zeroPage[highOffset..], (uint)(value >> 32));
    }
}
