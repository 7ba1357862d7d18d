namespace MiniVmm.Fuzzing.Control;

/// <summary>
/// One control command of an input: its bytes (class, command, command-specific data), where they
/// are cut into descriptors, and the shape of the chain around them: direct or indirect, what
/// device-writable room follows for the ack, whether the host fails the steering change.
/// </summary>
public sealed record ControlCommand(byte[] Bytes, int[] Cuts, bool Indirect, AckLayout Ack, bool HostFails);
