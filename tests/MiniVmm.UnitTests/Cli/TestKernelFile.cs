using System.Buffers.Binary;

namespace MiniVmm.UnitTests.Cli;

/// <summary>A temporary, minimal x86-64 ELF64 executable (one PT_LOAD at 1 MiB): what the loader recognises.</summary>
public sealed class TestKernelFile : IDisposable
{
    public TestKernelFile()
    {
        var image = new byte[0x1001];
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
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
        image[0x1000] = 0xF4; // hlt
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"minivmm-test-kernel-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(Path, image);
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
