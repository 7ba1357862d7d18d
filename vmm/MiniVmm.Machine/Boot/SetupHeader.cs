using System.Buffers.Binary;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The Linux/x86 setup header (struct setup_header in arch/x86/include/uapi/asm/bootparam.h;
/// field table in Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header"). It sits at
/// offset 0x1F1 of a bzImage and at the same offset of boot_params, so the offsets below hold
/// for both. Fields newer than the image's protocol version read as whatever bytes are there;
/// <see cref="BzImageKernel"/> checks the version before trusting them.
/// </summary>
public sealed class SetupHeader
{
    // Offsets from the start of the image / of boot_params (boot.rst, "Offset/Size" column).
    public const int SetupSectsOffset = 0x1F1;      // u8  setup_sects
    public const int SysSizeOffset = 0x1F4;         // u32 syssize (16-byte paragraphs)
    public const int VidModeOffset = 0x1FA;         // u16 vid_mode
    public const int BootFlagOffset = 0x1FE;        // u16 boot_flag (0xAA55)
    public const int JumpOffset = 0x200;            // u16 jump; its second byte sizes the header
    public const int HeaderMagicOffset = 0x202;     // u32 header ("HdrS")
    public const int VersionOffset = 0x206;         // u16 version
    public const int TypeOfLoaderOffset = 0x210;    // u8  type_of_loader
    public const int LoadFlagsOffset = 0x211;       // u8  loadflags
    public const int Code32StartOffset = 0x214;     // u32 code32_start
    public const int RamdiskImageOffset = 0x218;    // u32 ramdisk_image
    public const int RamdiskSizeOffset = 0x21C;     // u32 ramdisk_size
    public const int HeapEndPtrOffset = 0x224;      // u16 heap_end_ptr
    public const int CmdLinePtrOffset = 0x228;      // u32 cmd_line_ptr
    public const int InitrdAddrMaxOffset = 0x22C;   // u32 initrd_addr_max
    public const int KernelAlignmentOffset = 0x230; // u32 kernel_alignment
    public const int RelocatableKernelOffset = 0x234; // u8 relocatable_kernel
    public const int XLoadFlagsOffset = 0x236;      // u16 xloadflags
    public const int CmdlineSizeOffset = 0x238;     // u32 cmdline_size
    public const int PrefAddressOffset = 0x258;     // u64 pref_address
    public const int InitSizeOffset = 0x260;        // u32 init_size
    /// <summary>End of struct setup_header in protocol 2.15 (after kernel_info_offset).</summary>
    public const int EndOffset = 0x26C;
    /// <summary>Where boot_params' hdr field region ends (_pad7 fills up to here).</summary>
    public const int RegionEnd = 0x290;

    public const uint HeaderMagic = 0x5372_6448; // "HdrS"
    public const ushort BootFlagValue = 0xAA55;

    // loadflags bits (boot.rst, "loadflags").
    public const byte LoadedHigh = 0x01;
    public const byte CanUseHeap = 0x80;

    // xloadflags bits (boot.rst, "xloadflags").
    public const ushort XlfKernel64 = 0x0001;

    private readonly byte[] _image; // bytes 0 .. HeaderEnd of the image

    private SetupHeader(byte[] image, int headerEnd)
    {
        _image = image;
        HeaderEnd = headerEnd;
    }

    /// <summary>Offset just past the header: 0x202 + the byte at 0x201 (boot.rst, "64-bit Boot Protocol").</summary>
    public int HeaderEnd { get; }

    /// <summary>Setup sectors after the boot sector; 0 means 4 (boot.rst, "setup_sects").</summary>
    public byte SetupSects => _image[SetupSectsOffset];
    public uint SysSize => U32(SysSizeOffset);
    public ushort BootFlag => U16(BootFlagOffset);
    public ushort Version => U16(VersionOffset);
    public byte LoadFlags => _image[LoadFlagsOffset];
    public uint Code32Start => U32(Code32StartOffset);
    public uint InitrdAddrMax => U32(InitrdAddrMaxOffset);
    public uint KernelAlignment => U32(KernelAlignmentOffset);
    public bool RelocatableKernel => _image[RelocatableKernelOffset] != 0;
    public ushort XLoadFlags => U16(XLoadFlagsOffset);
    public uint CmdlineSize => U32(CmdlineSizeOffset);
    public ulong PrefAddress => BinaryPrimitives.ReadUInt64LittleEndian(_image.AsSpan(PrefAddressOffset));
    public uint InitSize => U32(InitSizeOffset);

    /// <summary>The header bytes [0x1F1, HeaderEnd) to copy into boot_params.hdr.</summary>
    public ReadOnlySpan<byte> Bytes => _image.AsSpan(SetupSectsOffset, HeaderEnd - SetupSectsOffset);

    public static bool HasMagic(ReadOnlySpan<byte> head) =>
        head.Length >= HeaderMagicOffset + 4 &&
        BinaryPrimitives.ReadUInt32LittleEndian(head[HeaderMagicOffset..]) == HeaderMagic;

    /// <summary>
    /// Reads the header from the first bytes of an image that <see cref="HasMagic"/>. Bytes the file
    /// does not have read as zero; the caller checks the file is long enough for what it uses.
    /// </summary>
    public static SetupHeader Parse(ReadOnlySpan<byte> head)
    {
        if (!HasMagic(head)) throw new ArgumentException("no 'HdrS' setup header", nameof(head));
        int end = Math.Clamp(HeaderMagicOffset + head[JumpOffset + 1], VersionOffset + 2, RegionEnd);
        var image = new byte[RegionEnd];
        head[..Math.Min(head.Length, RegionEnd)].CopyTo(image);
        return new SetupHeader(image, end);
    }

    public string VersionText => $"{Version >> 8}.{Version & 0xFF:d2}";

    private ushort U16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_image.AsSpan(offset));
    private uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_image.AsSpan(offset));
}
