using System.Buffers.Binary;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The guest the startup benchmark boots: a minimal ELF64 whose code writes one byte to COM1 and
/// then halts with interrupts off, so the VMM stays up (and measurable) until it is signalled.
/// </summary>
public static class StartupGuest
{
    public static string Write()
    {
        byte[] code = [0x66, 0xBA, 0xF8, 0x03, 0xB0, (byte)'R', 0xEE, 0xFA, 0xF4, 0xEB, 0xFC]; // out 0x3f8,'R'; cli; hlt; loop
        var image = new byte[0x1000 + code.Length];
        var h = image.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x464C457F);
        h[4] = 2; h[5] = 1; h[6] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62);
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], 64);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], 56);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], 1);
        var ph = h[64..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], 0x1000);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], 0x100000);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
        code.CopyTo(image, 0x1000);
        string path = Path.Combine(Path.GetTempPath(), $"minivmm-startup-{Environment.ProcessId}.elf");
        File.WriteAllBytes(path, image);
        return path;
    }
}
