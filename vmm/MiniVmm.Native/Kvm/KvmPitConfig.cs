using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_pit_config for KVM_CREATE_PIT2.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmPitConfig
{
    /// <summary>KVM_PIT_SPEAKER_DUMMY: the kernel also answers port 0x61.</summary>
    public const uint SpeakerDummy = 1;

    public uint Flags;
    public fixed uint Pad[15];
}
