namespace MiniVmm.Cli.SteerTest;

/// <summary>A frame that did not arrive as expected, with a one-line reason.</summary>
public sealed record Mismatch(uint FrameId, string Description, string Problem);
