using System.Buffers.Binary;
using System.Text;

namespace MiniVmm.Testing;

/// <summary>
/// Writes a minimal ELF64 guest: one PT_LOAD at 1 MiB whose code (64-bit, entered in long mode)
/// prints a text on COM1 with OUT instructions, then writes a value to the exit port 0x501
/// (or, with no exit value, waits forever with interrupts on and every interrupt masked, so the machine
/// sees a guest that is idle, not one that has stopped for good).
/// </summary>
public static class TinyGuestImage
{
    public const ulong LoadAddress = 0x10_0000;

    public static byte[] MachineCode(string text, byte? exitValue)
    {
        var code = new List<byte> { 0x66, 0xBA, 0xF8, 0x03 }; // mov dx, 0x3f8
        foreach (byte c in Encoding.ASCII.GetBytes(text)) code.AddRange([0xB0, c, 0xEE]); // mov al, c; out dx, al
        if (exitValue is byte v) code.AddRange([0x66, 0xBA, 0x01, 0x05, 0xB0, v, 0xEE]); // mov dx, 0x501; mov al, v; out dx, al
        // Idle forever: mask both 8259s first (the PIT would otherwise interrupt through the BSP's ExtINT
        // LINT0 into a guest with no IDT), then `sti; hlt; jmp back to sti`.
        if (exitValue is null) code.AddRange([0xB0, 0xFF, 0xE6, 0x21, 0xE6, 0xA1, 0xFB, 0xF4, 0xEB, 0xFC]);
        code.AddRange([0xFA, 0xF4, 0xEB, 0xFC]); // cli; hlt; jmp back to cli
        return code.ToArray();
    }

    public static byte[] Elf(byte[] code)
    {
        const int HeaderBytes = 64, PhBytes = 56, CodeOffset = 0x1000;
        var image = new byte[CodeOffset + code.Length];
        var h = image.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(h, 0x464C457F); // \x7fELF
        h[4] = 2; h[5] = 1; h[6] = 1; // ELFCLASS64, little endian, version 1
        BinaryPrimitives.WriteUInt16LittleEndian(h[16..], 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(h[18..], 62); // EM_X86_64
        BinaryPrimitives.WriteUInt32LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(h[24..], LoadAddress); // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(h[32..], HeaderBytes); // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(h[52..], HeaderBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(h[54..], PhBytes);
        BinaryPrimitives.WriteUInt16LittleEndian(h[56..], 1);
        var ph = h[HeaderBytes..];
        BinaryPrimitives.WriteUInt32LittleEndian(ph, 1); // PT_LOAD
        BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 5); // R+X
        BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], CodeOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], LoadAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], LoadAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], (ulong)code.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
        code.CopyTo(image, CodeOffset);
        return image;
    }

    /// <summary>Writes the image to a fresh temporary file and returns its path.</summary>
    public static string WriteTemporary(string text, byte? exitValue)
    {
        string path = Path.Combine(Path.GetTempPath(), $"minivmm-tiny-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, Elf(MachineCode(text, exitValue)));
        return path;
    }
}
