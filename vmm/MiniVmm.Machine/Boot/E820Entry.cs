namespace MiniVmm.Machine.Boot;

/// <summary>
/// One entry of the BIOS e820 memory map as boot_params carries it (struct boot_e820_entry in
/// arch/x86/include/uapi/asm/bootparam.h: __u64 addr; __u64 size; __u32 type; packed, 20 bytes).
/// </summary>
public readonly record struct E820Entry(ulong Address, ulong Size, uint Type)
{
    public const int SizeBytes = 20;

    // Types from arch/x86/include/asm/e820/types.h.
    public const uint Ram = 1;
    public const uint Reserved = 2;

    public ulong End => Address + Size;
}
