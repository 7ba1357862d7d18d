namespace MiniVmm.Virtio;

/// <summary>
/// Reads of a register block by (offset, length): the bytes that exist, zeros beyond them. Used
/// for every region a driver reads with arbitrary widths (common and device configuration, MSI-X).
/// </summary>
public static class RegisterWindow
{
    public static void Read(ReadOnlySpan<byte> registers, int offset, Span<byte> data)
    {
        data.Clear();
        if (offset >= 0 && offset < registers.Length)
        {
            ReadOnlySpan<byte> available = registers[offset..];
            available[..Math.Min(available.Length, data.Length)].CopyTo(data);
        }
    }
}
