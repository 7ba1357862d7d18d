using System.Runtime.InteropServices;

namespace MiniVmm.Bpf;

/// <summary>struct bpf_test_run_opts of libbpf 1.1 (bpf/bpf.h); sz tells libbpf which fields we know.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BpfTestRunOpts
{
    public nuint Size;
    public void* DataIn;
    public void* DataOut;
    public uint DataSizeIn;
    public uint DataSizeOut;
    public void* ContextIn;
    public void* ContextOut;
    public uint ContextSizeIn;
    public uint ContextSizeOut;
    public uint ReturnValue;
    public int Repeat;
    public uint DurationNanoseconds;
    public uint Flags;
    public uint Cpu;
    public uint BatchSize;
}
