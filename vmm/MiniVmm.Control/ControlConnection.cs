using MiniVmm.Control.Protocol;
using MiniVmm.Native;
using MiniVmm.Native.Unix;

namespace MiniVmm.Control;

/// <summary>
/// One client of the control socket, on its own thread: reads request lines (at most
/// <see cref="ControlRequestParser.MaxRequestBytes"/> each), answers each with one line, and ends
/// when the client closes, sends a line too long, stays silent past the idle timeout, or does not
/// read its answers (an answer that does not fit the socket buffer at once closes the connection,
/// so a client can never block this thread, let alone the VM). Descriptors a client passes are closed.
/// </summary>
internal sealed class ControlConnection
{
    private readonly UnixStreamSocket _socket;
    private readonly ControlRequestHandler _handler;
    private readonly TimeSpan _idleTimeout;
    private readonly Action<ControlConnection> _ended;
    private readonly Thread _thread;

    public ControlConnection(UnixStreamSocket socket, ControlRequestHandler handler, TimeSpan idleTimeout, Action<ControlConnection> ended)
    {
        _socket = socket;
        _handler = handler;
        _idleTimeout = idleTimeout;
        _ended = ended;
        _thread = new Thread(Run) { Name = "api-client", IsBackground = true };
    }

    public void Start() => _thread.Start();

    /// <summary>Wakes the thread (its receive sees end of stream) and joins it.</summary>
    public void Stop()
    {
        _socket.Shutdown();
        _thread.Join();
    }

    /// <summary>Answers a client that cannot be served with one "busy" error, without waiting for it, and closes it.</summary>
    public static void Refuse(UnixStreamSocket client, string message)
    {
        using (client)
        {
            TrySend(client, ControlRequestHandler.Encode(ControlAnswer.Failed(ControlError.Busy, message)));
        }
    }

    private void Run()
    {
        try
        {
            Serve();
        }
        catch (Exception e)
        {
            // A failure of ours on one connection closes that connection, never the VMM.
            _handler.Log($"control socket: a connection failed: {e.GetType().Name}: {e.Message}");
        }
        finally
        {
            _socket.Dispose();
            _ended(this);
        }
    }

    private void Serve()
    {
        var buffer = new byte[ControlRequestParser.MaxRequestBytes + 1];
        var fds = new List<FileDescriptor>();
        int filled = 0;
        // Measured from the last answer, not the last byte: a client trickling a line byte by byte is closed as well.
        long deadline = Environment.TickCount64 + (long)_idleTimeout.TotalMilliseconds;
        while (true)
        {
            if (!_socket.WaitReadable(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64))))
            {
                TrySend(_socket, ControlRequestHandler.Encode(ControlAnswer.Failed(ControlError.Timeout,
                    $"no complete request within {_idleTimeout.TotalSeconds:0.###} s; closing")));
                return;
            }
            UnixReceiveResult received = _socket.Receive(buffer.AsSpan(filled), fds);
            foreach (FileDescriptor fd in fds) fd.Dispose();
            fds.Clear();
            if (received.Bytes == 0) return; // the client left (a half line with it is dropped)
            filled += received.Bytes;

            int start = 0;
            while (Array.IndexOf(buffer, (byte)'\n', start, filled - start) is int newline and >= 0)
            {
                ReadOnlySpan<byte> line = buffer.AsSpan(start, newline - start).TrimEnd((byte)'\r');
                start = newline + 1;
                if (line.Trim(" \t"u8).IsEmpty) continue; // blank lines get no answer
                if (!TrySend(_socket, _handler.AnswerLine(line))) return;
                deadline = Environment.TickCount64 + (long)_idleTimeout.TotalMilliseconds;
            }
            buffer.AsSpan(start, filled - start).CopyTo(buffer);
            filled -= start;
            if (filled > ControlRequestParser.MaxRequestBytes)
            {
                TrySend(_socket, ControlRequestHandler.Encode(ControlAnswer.Failed(ControlError.TooLong,
                    $"no newline within {ControlRequestParser.MaxRequestBytes} bytes; closing")));
                return;
            }
        }
    }

    /// <summary>Sends a whole answer without blocking; false when the client is gone or its socket buffer is full.</summary>
    private static bool TrySend(UnixStreamSocket socket, byte[] line)
    {
        try
        {
            return socket.Send(line, dontWait: true);
        }
        catch (SyscallException)
        {
            // EPIPE: the client left; EAGAIN after part of the line: it does not read its answers.
            return false;
        }
    }
}
