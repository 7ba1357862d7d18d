namespace MiniVmm.Cli.Caps;

/// <summary>A titled group of caps facts (kvm, guest_execution, tap, later bpf and steering).</summary>
public sealed record CapsSection(string Name, IReadOnlyList<CapsItem> Items);
