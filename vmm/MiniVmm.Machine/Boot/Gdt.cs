using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The boot GDT. Linux's 64-bit entry wants CS = __BOOT_CS (0x10) and DS/ES/SS = __BOOT_DS (0x18)
/// (boot.rst, "64-bit Boot Protocol"; arch/x86/include/asm/segment.h: GDT_ENTRY_BOOT_CS = 2,
/// GDT_ENTRY_BOOT_DS = 3), so entries 0 and 1 are null.
/// </summary>
public static class Gdt
{
    public const ulong Address = BootLayout.GdtAddress;
    public const int EntryCount = 4;
    public const ushort Limit = EntryCount * 8 - 1;
    public const ushort CodeSelector = 0x10;
    public const ushort DataSelector = 0x18;

    // Segment descriptors (SDM 3A 3.4.5): base 0, limit 0xFFFFF with G=1 (4 GiB).
    /// <summary>Code: access 0x9B (present, DPL 0, code, execute/read, accessed), flags G=1 L=1 D=0.</summary>
    public const ulong CodeDescriptor = 0x00AF_9B00_0000_FFFF;

    /// <summary>Data: access 0x93 (present, DPL 0, data, read/write, accessed), flags G=1 D/B=1.</summary>
    public const ulong DataDescriptor = 0x00CF_9300_0000_FFFF;

    public static void Write(IGuestMemory memory)
    {
        ulong[] entries = [0, 0, CodeDescriptor, DataDescriptor];
        for (int i = 0; i < entries.Length; i++) memory.WriteU64(new GuestAddress(Address + (ulong)i * 8), entries[i]);
    }
}
