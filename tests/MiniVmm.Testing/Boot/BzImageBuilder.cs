using System.Buffers.Binary;

namespace MiniVmm.Testing;

/// <summary>
/// Writes a minimal bzImage: boot sector + setup sectors carrying a setup header at 0x1F1
/// (offsets from Documentation/arch/x86/boot.rst), then the protected-mode kernel.
/// </summary>
public sealed class BzImageBuilder
{
    public byte SetupSects { get; set; } = 4;
    public ushort Version { get; set; } = 0x020F;
    public byte LoadFlags { get; set; } = 0x01;       // LOADED_HIGH
    public ushort XLoadFlags { get; set; } = 0x0001;  // XLF_KERNEL_64
    public bool Relocatable { get; set; } = true;
    public uint KernelAlignment { get; set; } = 0x20_0000;
    public ulong PrefAddress { get; set; } = 0x100_0000;
    public uint Code32Start { get; set; } = 0x10_0000;
    public uint InitSize { get; set; } = 0x40_0000;
    public uint CmdlineSize { get; set; } = 0x7FF;
    public uint InitrdAddrMax { get; set; } = 0x7FFF_FFFF;
    public byte[] Kernel { get; set; } = ElfImageBuilder.Pattern(0x2000, 0x33);
    /// <summary>syssize override, in 16-byte paragraphs (null: the kernel's length).</summary>
    public uint? SysSize { get; set; }

    public byte[] Build()
    {
        int setup = (SetupSects == 0 ? 4 : SetupSects) + 1;
        var f = new byte[setup * 512 + Kernel.Length];
        Span<byte> s = f;
        s[0x1EF] = 0xFF;                                                                // boot_params.sentinel, as header.S sets it
        s[0x1F1] = SetupSects;                                                          // 01F1/1 setup_sects
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x1F4..], SysSize ?? (uint)((Kernel.Length + 15) / 16)); // 01F4/4 syssize
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1FA..], 0xFFFF);                   // 01FA/2 vid_mode
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x1FE..], 0xAA55);                   // 01FE/2 boot_flag
        s[0x200] = 0xEB; s[0x201] = 0x6A;                                               // 0200/2 jump: header ends at 0x202 + 0x6A
        "HdrS"u8.CopyTo(s[0x202..]);                                                    // 0202/4 header
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x206..], Version);                  // 0206/2 version
        s[0x211] = LoadFlags;                                                           // 0211/1 loadflags
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x214..], Code32Start);              // 0214/4 code32_start
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x22C..], InitrdAddrMax);            // 022C/4 initrd_addr_max
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x230..], KernelAlignment);          // 0230/4 kernel_alignment
        s[0x234] = (byte)(Relocatable ? 1 : 0);                                         // 0234/1 relocatable_kernel
        BinaryPrimitives.WriteUInt16LittleEndian(s[0x236..], XLoadFlags);               // 0236/2 xloadflags
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x238..], CmdlineSize);              // 0238/4 cmdline_size
        BinaryPrimitives.WriteUInt64LittleEndian(s[0x258..], PrefAddress);              // 0258/8 pref_address
        BinaryPrimitives.WriteUInt32LittleEndian(s[0x260..], InitSize);                 // 0260/4 init_size
        Kernel.CopyTo(f, setup * 512);
        return f;
    }
}
