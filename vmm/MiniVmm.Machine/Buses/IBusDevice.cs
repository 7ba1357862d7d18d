namespace MiniVmm.Machine.Buses;

/// <summary>
/// A device on the port I/O or MMIO bus. Offsets are relative to the start of the range the device
/// was registered for. Called from vCPU threads, possibly several at once.
/// </summary>
public interface IBusDevice
{
    /// <summary>A guest read: fill <paramref name="data"/> (1, 2, 4 or 8 bytes).</summary>
    void Read(ulong offset, Span<byte> data);

    /// <summary>A guest write of <paramref name="data"/>.</summary>
    void Write(ulong offset, ReadOnlySpan<byte> data);
}
