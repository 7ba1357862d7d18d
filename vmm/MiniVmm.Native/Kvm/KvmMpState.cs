using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_mp_state for KVM_GET_MP_STATE: where a vCPU is in the INIT/SIPI/HLT life cycle.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmMpState
{
    // KVM_MP_STATE_* (linux/kvm.h), the x86 ones.
    public const uint Runnable = 0, Uninitialized = 1, InitReceived = 2, Halted = 3, SipiReceived = 4;

    public uint MpState;
}
