using MiniVmm.Machine.Devices;

namespace MiniVmm.UnitTests.Machine;

/// <summary>The 8250/16550A register model, register by register (offsets from COM1 0x3F8).</summary>
public sealed class Serial8250Tests
{
    private const int Thr = 0, Ier = 1, Iir = 2, Fcr = 2, Lcr = 3, Mcr = 4, Lsr = 5, Msr = 6, Scr = 7;

    private readonly MemoryStream _output = new();
    private readonly List<bool> _irq = new();
    private readonly Serial8250 _uart;

    public Serial8250Tests()
    {
        _uart = new Serial8250(_output, level => _irq.Add(level));
    }

    private byte Read(int register)
    {
        Span<byte> b = stackalloc byte[1];
        _uart.Read((ulong)register, b);
        return b[0];
    }

    private void Write(int register, byte value) => _uart.Write((ulong)register, [value]);

    [Fact]
    public void Bytes_written_to_THR_reach_the_output()
    {
        foreach (char c in "ok\n") Write(Thr, (byte)c);
        Assert.Equal("ok\n"u8.ToArray(), _output.ToArray());
    }

    [Fact]
    public void LSR_reports_transmitter_empty_and_data_ready()
    {
        Assert.Equal(0x60, Read(Lsr)); // THRE | TEMT, no data
        Assert.True(_uart.TryEnqueueInput((byte)'x'));
        Assert.Equal(0x61, Read(Lsr));
        Assert.Equal((byte)'x', Read(Thr)); // RBR
        Assert.Equal(0x60, Read(Lsr));
    }

    [Fact]
    public void DLAB_switches_offsets_0_and_1_to_the_divisor_latch()
    {
        Write(Lcr, 0x80);
        Write(0, 0x01); // DLL
        Write(1, 0x02); // DLM
        Assert.Equal(0x01, Read(0));
        Assert.Equal(0x02, Read(1));
        Write(Lcr, 0x03); // 8N1, DLAB off
        Assert.Equal(0x0201, _uart.Divisor);
        Assert.Equal(0x00, Read(Ier)); // IER untouched by the divisor writes
        Assert.Empty(_output.ToArray()); // nor was anything transmitted
    }

    [Fact]
    public void Received_data_raises_the_interrupt_when_enabled_and_reading_clears_it()
    {
        Write(Ier, 0x01); // ERBFI
        Assert.Equal(0x01, Read(Iir)); // nothing pending
        Assert.True(_uart.TryEnqueueInput(0x41));
        Assert.Equal([true], _irq);
        Assert.Equal(0x04, Read(Iir)); // received data available
        Assert.Equal(0x41, Read(Thr));
        Assert.Equal([true, false], _irq);
        Assert.Equal(0x01, Read(Iir));
    }

    [Fact]
    public void Enabling_THR_empty_interrupt_raises_it_and_reading_IIR_clears_it()
    {
        Write(Ier, 0x02); // ETBEI while THR is empty
        Assert.Equal([true], _irq);
        Assert.Equal(0x02, Read(Iir)); // THR empty, and this read acknowledges it
        Assert.Equal([true, false], _irq);
        Assert.Equal(0x01, Read(Iir));
        Write(Thr, (byte)'a'); // transmitting empties THR again
        Assert.Equal([true, false, true], _irq);
    }

    [Fact]
    public void FIFO_enable_shows_in_IIR_high_bits()
    {
        Write(Fcr, 0x07);
        Assert.Equal(0xC1, Read(Iir));
    }

    [Fact]
    public void Loopback_sends_THR_to_RBR_and_maps_MCR_to_MSR()
    {
        Assert.Equal(0xB0, Read(Msr)); // DCD, DSR, CTS: a terminal is attached
        Write(Mcr, 0x1A); // LOOP | OUT2 | RTS, as Linux's 8250 autoconfig writes
        Assert.Equal(0x90, Read(Msr) & 0xF0); // DCD (from OUT2) | CTS (from RTS)
        Write(Thr, 0x5A);
        Assert.Empty(_output.ToArray());
        Assert.Equal(0x5A, Read(Thr));
    }

    [Fact]
    public void Scratch_register_holds_a_value()
    {
        Write(Scr, 0xA5);
        Assert.Equal(0xA5, Read(Scr));
    }

    [Fact]
    public void Receive_FIFO_is_bounded()
    {
        for (int i = 0; i < Serial8250.ReceiveFifoBytes; i++) Assert.True(_uart.TryEnqueueInput((byte)i));
        Assert.False(_uart.TryEnqueueInput(0xFF));
    }

    [Fact]
    public void Wide_and_out_of_range_accesses_are_harmless()
    {
        Span<byte> wide = stackalloc byte[4];
        wide.Fill(0xEE);
        _uart.Read(Lsr, wide);
        Assert.Equal(new byte[] { 0x60, 0, 0, 0 }, wide.ToArray());
        _uart.Write(8, [1]);
        _uart.Read(100, wide);
        _uart.Write(Thr, ReadOnlySpan<byte>.Empty);
        Assert.Empty(_output.ToArray());
    }
}
