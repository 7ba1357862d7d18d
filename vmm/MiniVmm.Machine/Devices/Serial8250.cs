using MiniVmm.Machine.Buses;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// An 8250/16550A UART (8 registers at COM1 0x3F8, IRQ 4). Transmitted bytes go straight to the
/// output stream; received bytes come from <see cref="TryEnqueueInput"/> (the host terminal).
/// The interrupt output is a level: high while an enabled condition is pending.
/// </summary>
public sealed class Serial8250 : IBusDevice
{
    public const ushort Com1Port = 0x3F8;
    public const uint Com1Irq = 4;
    public const int RegisterCount = 8;
    public const int ReceiveFifoBytes = 64;

    // Register offsets (DLAB = LCR bit 7 selects the divisor latch at 0 and 1).
    private const int RbrThrDll = 0, IerDlm = 1, IirFcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    // Bits.
    private const byte IerRxAvailable = 0x01, IerThrEmpty = 0x02, IerLineStatus = 0x04, IerModemStatus = 0x08;
    private const byte IirNone = 0x01, IirThrEmpty = 0x02, IirRxAvailable = 0x04, IirFifoEnabled = 0xC0;
    private const byte FcrEnable = 0x01, FcrClearRx = 0x02;
    private const byte LcrDlab = 0x80;
    private const byte McrDtr = 0x01, McrRts = 0x02, McrOut1 = 0x04, McrOut2 = 0x08, McrLoop = 0x10;
    private const byte LsrDataReady = 0x01, LsrThrEmpty = 0x20, LsrTransmitterEmpty = 0x40;
    private const byte MsrCts = 0x10, MsrDsr = 0x20, MsrRi = 0x40, MsrDcd = 0x80;

    private readonly object _lock = new();
    private readonly Stream _output;
    private readonly Action<bool> _setIrq;
    private readonly Queue<byte> _rx = new();
    private byte _ier, _lcr, _mcr = McrOut2, _scr, _dll = 0x0C, _dlm; // divisor 12 = 9600 baud
    private bool _fifoEnabled;
    private bool _thrEmptyPending = true; // THR starts empty; the interrupt fires once IER enables it
    private bool _irqLevel;

    /// <param name="output">Where guest output goes (stdout in the VMM).</param>
    /// <param name="setIrq">Drives the interrupt line; called only when the level changes.</param>
    public Serial8250(Stream output, Action<bool> setIrq)
    {
        _output = output;
        _setIrq = setIrq;
    }

    /// <summary>The divisor latch (baud = 115200 / divisor); exposed for tests.</summary>
    public ushort Divisor { get { lock (_lock) return (ushort)(_dll | (_dlm << 8)); } }

    /// <summary>Queues a byte for the guest to read; false when the FIFO is full (try again later).</summary>
    public bool TryEnqueueInput(byte value)
    {
        lock (_lock)
        {
            if (_rx.Count >= ReceiveFifoBytes) return false;
            _rx.Enqueue(value);
            UpdateIrq();
            return true;
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        // Registers are 8 bits wide; a wider access reads the register and zeros above it.
        data.Clear();
        if (data.Length == 0 || offset >= RegisterCount) return;
        lock (_lock)
        {
            data[0] = ReadRegister((int)offset);
            UpdateIrq();
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0 || offset >= RegisterCount) return;
        byte value = data[0];
        bool transmit = false;
        lock (_lock)
        {
            transmit = WriteRegister((int)offset, value);
            UpdateIrq();
        }
        if (transmit)
        {
            // Outside the lock: a slow terminal must not stall the other vCPUs' register accesses.
            _output.WriteByte(value);
            _output.Flush();
        }
    }

    private byte ReadRegister(int register)
    {
        bool dlab = (_lcr & LcrDlab) != 0;
        switch (register)
        {
            case RbrThrDll:
                if (dlab) return _dll;
                return _rx.Count > 0 ? _rx.Dequeue() : (byte)0;
            case IerDlm:
                return dlab ? _dlm : _ier;
            case IirFcr:
                byte iir = InterruptId();
                // Reading IIR while it reports "THR empty" clears that condition (16550 datasheet).
                if (iir == IirThrEmpty) _thrEmptyPending = false;
                return (byte)(iir | (_fifoEnabled ? IirFifoEnabled : 0));
            case Lcr:
                return _lcr;
            case Mcr:
                return _mcr;
            case Lsr:
                return (byte)(LsrThrEmpty | LsrTransmitterEmpty | (_rx.Count > 0 ? LsrDataReady : 0));
            case Msr:
                return ModemStatus();
            default:
                return _scr;
        }
    }

    /// <summary>Returns true when <paramref name="value"/> is a byte to transmit to the host.</summary>
    private bool WriteRegister(int register, byte value)
    {
        bool dlab = (_lcr & LcrDlab) != 0;
        switch (register)
        {
            case RbrThrDll:
                if (dlab) { _dll = value; return false; }
                // The byte leaves at once, so THR is empty again right away.
                _thrEmptyPending = true;
                if ((_mcr & McrLoop) != 0)
                {
                    if (_rx.Count < ReceiveFifoBytes) _rx.Enqueue(value);
                    return false;
                }
                return true;
            case IerDlm:
                if (dlab) { _dlm = value; return false; }
                byte enabled = (byte)(value & 0x0F);
                // Enabling the THR-empty interrupt while THR is empty raises it (Linux relies on this).
                if ((enabled & IerThrEmpty) != 0 && (_ier & IerThrEmpty) == 0) _thrEmptyPending = true;
                _ier = enabled;
                return false;
            case IirFcr:
                _fifoEnabled = (value & FcrEnable) != 0;
                if ((value & FcrClearRx) != 0) _rx.Clear();
                return false;
            case Lcr:
                _lcr = value;
                return false;
            case Mcr:
                _mcr = (byte)(value & 0x1F);
                return false;
            case Lsr:
            case Msr:
                return false; // read-only
            default:
                _scr = value;
                return false;
        }
    }

    private byte ModemStatus()
    {
        if ((_mcr & McrLoop) == 0) return MsrDcd | MsrDsr | MsrCts; // a host terminal is always there
        byte msr = 0;
        if ((_mcr & McrRts) != 0) msr |= MsrCts;
        if ((_mcr & McrDtr) != 0) msr |= MsrDsr;
        if ((_mcr & McrOut1) != 0) msr |= MsrRi;
        if ((_mcr & McrOut2) != 0) msr |= MsrDcd;
        return msr;
    }

    /// <summary>The highest-priority pending, enabled interrupt (IIR bits 3:0).</summary>
    private byte InterruptId()
    {
        if ((_ier & IerRxAvailable) != 0 && _rx.Count > 0) return IirRxAvailable;
        if ((_ier & IerThrEmpty) != 0 && _thrEmptyPending) return IirThrEmpty;
        return IirNone;
    }

    private void UpdateIrq()
    {
        bool level = InterruptId() != IirNone;
        if (level == _irqLevel) return;
        _irqLevel = level;
        _setIrq(level);
    }
}
