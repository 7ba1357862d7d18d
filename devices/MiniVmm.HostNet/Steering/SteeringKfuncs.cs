namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The hash-storing kfuncs the ebpf+kfuncs back end needs (docs/STEERING.md). No mainline kernel
/// has them; the names are our assumption and must match the ones MiniVmm.Bpf's kfunc program variant calls.
/// </summary>
public static class SteeringKfuncs
{
    /// <summary>Stores hash value and report type for the packet: int (struct __sk_buff *skb, u32 hash_value, u16 hash_report).</summary>
    public const string SetVnetHash = "bpf_skb_set_vnet_hash";

    /// <summary>Every kfunc the back end needs, all of which must exist.</summary>
    public static IReadOnlyList<string> Required { get; } = [SetVnetHash];

    /// <summary>Modules whose BTF may hold the kfuncs besides vmlinux (tun may be a module).</summary>
    public static IReadOnlyList<string> Modules { get; } = ["tun"];
}
