namespace MiniVmm.Control.Protocol;

/// <summary>A feature set as hex ("0x130000000ff") and as the spec's names without prefix ("MQ", "VERSION_1"; "bit 45" for bits without one).</summary>
public sealed record FeatureBits(string Hex, IReadOnlyList<string> Names);
