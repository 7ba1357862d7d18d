using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// The bare minimum of a PS/2 keyboard controller: data port 0x60, status/command port 0x64,
/// enough for a guest to find no keyboard and to reset the machine with command 0xFE (the
/// classic reboot path), which ends the VM with status 0. Registered on [0x60, 0x65);
/// port 0x61 in that range is answered by the in-kernel PIT and never reaches us.
/// </summary>
public sealed class I8042Controller : IBusDevice
{
    public const ushort BasePort = 0x60;
    public const int RangeLength = 5;
    private const int DataOffset = 0, CommandOffset = 4;

    private const byte CmdReadConfig = 0x20, CmdWriteConfig = 0x60, CmdSelfTest = 0xAA,
        CmdInterfaceTest = 0xAB, CmdWriteOutputPort = 0xD1, CmdPulseReset = 0xFE;
    private const byte StatusOutputFull = 0x01, StatusSystemFlag = 0x04, StatusCommand = 0x08;

    private readonly object _lock = new();
    private readonly MachineStop _stop;
    private byte _config = 0x44; // translation on, interrupts off (nothing would raise them)
    private byte? _output;
    private byte _pendingCommand;
    private bool _lastWasCommand;

    public I8042Controller(MachineStop stop)
    {
        _stop = stop;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (data.Length == 0) return;
        lock (_lock)
        {
            if (offset == CommandOffset)
            {
                data[0] = (byte)(StatusSystemFlag | (_output.HasValue ? StatusOutputFull : 0) | (_lastWasCommand ? StatusCommand : 0));
            }
            else if (offset == DataOffset)
            {
                data[0] = _output ?? 0;
                _output = null;
            }
            else
            {
                data[0] = 0xFF;
            }
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        byte value = data[0];
        lock (_lock)
        {
            if (offset == CommandOffset) Command(value);
            else if (offset == DataOffset) Data(value);
        }
    }

    private void Command(byte command)
    {
        _lastWasCommand = true;
        _pendingCommand = 0;
        switch (command)
        {
            case CmdReadConfig: _output = _config; break;
            case CmdWriteConfig: case CmdWriteOutputPort: _pendingCommand = command; break;
            case CmdSelfTest: _output = 0x55; break;
            case CmdInterfaceTest: _output = 0x00; break;
            case CmdPulseReset: _stop.Request(0); break;
            default: break; // port enable/disable and the rest: nothing to model
        }
    }

    private void Data(byte value)
    {
        _lastWasCommand = false;
        if (_pendingCommand == CmdWriteConfig) _config = value;
        // Output port bit 0 low is the reset line (what CmdWriteOutputPort is used for).
        else if (_pendingCommand == CmdWriteOutputPort && (value & 1) == 0) _stop.Request(0);
        _pendingCommand = 0;
    }
}
