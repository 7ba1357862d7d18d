using System.Buffers.Binary;
using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// QEMU's isa-debug-exit convention at port 0x501: a guest write of v ends the VM with status
/// (v &lt;&lt; 1) | 1, so a guest can never fake status 0 (that one means "reset" or host-side stop).
/// </summary>
public sealed class DebugExitPort : IBusDevice
{
    public const ushort Port = 0x501;

    private readonly MachineStop _stop;

    public DebugExitPort(MachineStop stop)
    {
        _stop = stop;
    }

    /// <summary>The exit status a written value stands for.</summary>
    public static int StatusFor(uint value) => unchecked((int)((value << 1) | 1));

    public void Read(ulong offset, Span<byte> data) => data.Fill(0xFF);

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        Span<byte> word = stackalloc byte[4];
        word.Clear();
        data[..Math.Min(data.Length, 4)].CopyTo(word);
        _stop.Request(StatusFor(BinaryPrimitives.ReadUInt32LittleEndian(word)));
    }
}
