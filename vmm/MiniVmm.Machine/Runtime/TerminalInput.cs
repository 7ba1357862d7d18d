using MiniVmm.Machine.Devices;
using MiniVmm.Native;
using MiniVmm.Native.Net;

namespace MiniVmm.Machine.Runtime;

/// <summary>
/// Host terminal to guest serial: when stdin is a terminal, puts it in raw mode (no echo, no line
/// editing; ISIG stays on so Ctrl-C still stops the VM) and forwards every byte to the UART from a
/// background thread that waits in epoll on stdin and a stop eventfd. Restores the terminal on dispose.
/// </summary>
public sealed class TerminalInput : IDisposable
{
    private const ulong TokenInput = 1, TokenStop = 2;

    private readonly Serial8250 _serial;
    private readonly EventFd _stopEvent = new();
    private readonly FileDescriptor _stdin = new(0, ownsHandle: false);
    private readonly Thread? _thread;
    private readonly TerminalMode? _rawMode;

    public TerminalInput(Serial8250 serial)
    {
        _serial = serial;
        if (!TerminalMode.IsTerminal(0)) return;
        _rawMode = TerminalMode.EnterRaw(0);
        _thread = new Thread(Forward) { Name = "stdin", IsBackground = true };
        _thread.Start();
    }

    private void Forward()
    {
        using var epoll = new Epoll();
        epoll.Add(_stdin, EpollEvents.In, TokenInput);
        epoll.Add(_stopEvent.Handle, EpollEvents.In, TokenStop);
        Span<EpollEvent> ready = stackalloc EpollEvent[1];
        Span<byte> buffer = stackalloc byte[64];
        while (true)
        {
            int n = epoll.Wait(ready, -1);
            if (n == 0) continue; // EINTR
            if (ready[0].Token != TokenInput) return;
            long got = FdIo.Read(_stdin, buffer, out _);
            if (got <= 0) return; // EOF or error: stop forwarding, the guest keeps running
            for (int i = 0; i < got; i++)
            {
                // The UART FIFO is small; wait for the guest to drain it rather than drop keys.
                while (!_serial.TryEnqueueInput(buffer[i]))
                {
                    if (_stopEvent.Drain() != 0) return;
                    Thread.Sleep(2);
                }
            }
        }
    }

    public void Dispose()
    {
        _stopEvent.Signal();
        _thread?.Join(500);
        _rawMode?.Dispose();
        _stopEvent.Dispose();
        _stdin.Dispose();
    }
}
