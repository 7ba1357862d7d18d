using MiniVmm.Machine.Devices;
using MiniVmm.Native;
using Tmds.Linux;

namespace MiniVmm.Machine.Runtime;

/// <summary>
/// Host terminal to guest serial: when stdin is a terminal, puts it in raw mode (no echo, no line
/// editing; ISIG stays on so Ctrl-C still stops the VM) and forwards every byte to the UART from a
/// background thread. Restores the terminal on dispose.
/// </summary>
public sealed unsafe class TerminalInput : IDisposable
{
    private readonly Serial8250 _serial;
    private readonly EventFd _stopEvent = new();
    private readonly Thread? _thread;
    private termios _saved;
    private bool _rawMode;

    public TerminalInput(Serial8250 serial)
    {
        _serial = serial;
        if (LibC.isatty(0) != 1) return;
        termios saved;
        // Safe: termios structs are locals the calls fill or read in full.
        if (LibC.tcgetattr(0, &saved) == 0)
        {
            _saved = saved;
            termios raw = saved;
            raw.c_lflag &= ~(uint)(LibC.ICANON | LibC.ECHO | LibC.IEXTEN);
            raw.c_iflag &= ~(uint)(LibC.ICRNL | LibC.IXON);
            raw.c_cc[LibC.VMIN] = 1;
            raw.c_cc[LibC.VTIME] = 0;
            _rawMode = LibC.tcsetattr(0, (int)LibC.TCSANOW, &raw) == 0;
        }
        _thread = new Thread(Forward) { Name = "stdin", IsBackground = true };
        _thread.Start();
    }

    private void Forward()
    {
        int epfd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (epfd < 0) return;
        try
        {
            // Safe: epoll_event and the 64-byte buffer are locals; read() is bounded by the buffer size.
            var ev = new epoll_event { events = LibC.EPOLLIN, data = { fd = 0 } };
            LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, 0, &ev);
            ev.data.fd = _stopEvent.Fd;
            LibC.epoll_ctl(epfd, LibC.EPOLL_CTL_ADD, _stopEvent.Fd, &ev);
            byte* buffer = stackalloc byte[64];
            epoll_event ready;
            while (true)
            {
                int n = LibC.epoll_wait(epfd, &ready, 1, -1);
                if (n < 0 && LibC.errno == Errno.EINTR) continue;
                if (n <= 0 || ready.data.fd != 0) return;
                long got = LibC.read(0, buffer, 64);
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
        finally
        {
            LibC.close(epfd);
        }
    }

    public void Dispose()
    {
        _stopEvent.Signal();
        _thread?.Join(500);
        if (_rawMode)
        {
            termios saved = _saved;
            // Safe: a local copy of the saved termios.
            LibC.tcsetattr(0, (int)LibC.TCSANOW, &saved);
            _rawMode = false;
        }
        _stopEvent.Dispose();
    }
}
