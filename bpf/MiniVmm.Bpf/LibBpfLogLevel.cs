namespace MiniVmm.Bpf;

/// <summary>enum libbpf_print_level.</summary>
public enum LibBpfLogLevel
{
    Warning = 0,
    Info = 1,
    Debug = 2,
}
