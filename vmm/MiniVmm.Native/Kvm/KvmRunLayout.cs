namespace MiniVmm.Native.Kvm;

/// <summary>
/// Byte offsets inside the mmap'd struct kvm_run (x86-64). The page is read in place, never
/// copied, so these offsets are the interop; a unit test pins them against offsetof() in C.
/// </summary>
public static class KvmRunLayout
{
    public const int ImmediateExit = 1;
    public const int ExitReason = 8;
    public const int ExitUnion = 32;

    // union member io
    public const int IoDirection = ExitUnion + 0;
    public const int IoSize = ExitUnion + 1;
    public const int IoPort = ExitUnion + 2;
    public const int IoCount = ExitUnion + 4;
    public const int IoDataOffset = ExitUnion + 8;

    // union member mmio
    public const int MmioPhysAddr = ExitUnion + 0;
    public const int MmioData = ExitUnion + 8;
    public const int MmioLen = ExitUnion + 16;
    public const int MmioIsWrite = ExitUnion + 20;

    // union members internal, system_event, fail_entry, hw
    public const int InternalSuberror = ExitUnion + 0;
    public const int InternalNdata = ExitUnion + 4;
    public const int InternalData = ExitUnion + 8;
    public const int SystemEventType = ExitUnion + 0;
    public const int FailEntryReason = ExitUnion + 0;
    public const int HwExitReason = ExitUnion + 0;

    public const int IoDirectionIn = 0, IoDirectionOut = 1;
}
