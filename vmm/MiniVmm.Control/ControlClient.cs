using System.Text;
using System.Text.Json;
using MiniVmm.Control.Protocol;
using MiniVmm.Native;
using MiniVmm.Native.Unix;

namespace MiniVmm.Control;

/// <summary>
/// The client side of the control socket (<c>minivmm ctl</c>, tests): sends a request line and
/// reads the answer line, waiting at most a bounded time for it.
/// </summary>
public sealed class ControlClient : IDisposable
{
    /// <summary>The longest answer line accepted; a counters answer for 16 pairs is a few KiB.</summary>
    public const int MaxAnswerBytes = 1 << 20;

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly UnixStreamSocket _socket;
    private readonly string _path;
    private byte[] _pending = new byte[4096];
    private int _pendingBytes;

    private ControlClient(UnixStreamSocket socket, string path)
    {
        _socket = socket;
        _path = path;
    }

    /// <summary>Connects to the socket at <paramref name="path"/>; throws <see cref="ControlSocketException"/> with one line.</summary>
    public static ControlClient Connect(string path)
    {
        FileStatus? status;
        try
        {
            status = FileStatus.OfPath(path);
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"{path}: {e.Message}");
        }
        catch (ArgumentException e)
        {
            throw new ControlSocketException($"{path}: {e.Message}");
        }
        if (status is null) throw new ControlSocketException($"{path}: no such socket (is the VM running with --api-socket {path}?)");
        if (!status.Value.IsSocket) throw new ControlSocketException($"{path}: not a socket");
        try
        {
            return new ControlClient(UnixStreamSocket.Connect(path), path);
        }
        catch (SyscallException e) when (e.Errno == Errno.ECONNREFUSED)
        {
            throw new ControlSocketException($"{path}: nobody is listening (the VM has exited?)", isUsageError: false);
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"{path}: {e.Message}", isUsageError: false);
        }
        catch (ArgumentException e)
        {
            throw new ControlSocketException($"{path}: {e.Message}");
        }
    }

    /// <summary>Sends <paramref name="request"/> and returns the answer; throws <see cref="ControlSocketException"/> when none comes.</summary>
    public ControlAnswer Ask(ControlRequest request, TimeSpan? timeout = null) =>
        ParseAnswer(AskLine(request.ToJson(), timeout), _path);

    /// <summary>An answer line as the protocol's types; throws <see cref="ControlSocketException"/> for anything else.</summary>
    public static ControlAnswer ParseAnswer(string line, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(line, ControlJson.Wire.ControlAnswer)
                ?? throw new ControlSocketException($"{path}: the answer was null", isUsageError: false);
        }
        catch (JsonException e)
        {
            throw new ControlSocketException($"{path}: not an answer: {e.Message}", isUsageError: false);
        }
    }

    /// <summary>Sends <paramref name="line"/> and a newline as they are, and returns the next answer line without its newline.</summary>
    public string AskLine(string line, TimeSpan? timeout = null)
    {
        Send(Encoding.UTF8.GetBytes(line + "\n"));
        return ReadLine(timeout ?? DefaultTimeout)
            ?? throw new ControlSocketException($"{_path}: the server closed the connection without answering", isUsageError: false);
    }

    /// <summary>Sends raw bytes (tests: half lines, garbage); throws <see cref="ControlSocketException"/> when the server is gone.</summary>
    public void Send(ReadOnlySpan<byte> bytes)
    {
        try
        {
            _socket.Send(bytes);
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"{_path}: sending failed: {e.Message}", isUsageError: false);
        }
    }

    /// <summary>The next answer line without its newline; null when the server closed the connection first.</summary>
    public string? ReadLine(TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var fds = new List<FileDescriptor>();
        while (true)
        {
            int newline = Array.IndexOf(_pending, (byte)'\n', 0, _pendingBytes);
            if (newline >= 0)
            {
                string answer = Encoding.UTF8.GetString(_pending, 0, newline);
                _pending.AsSpan(newline + 1, _pendingBytes - newline - 1).CopyTo(_pending);
                _pendingBytes -= newline + 1;
                return answer;
            }
            if (_pendingBytes == _pending.Length)
            {
                if (_pending.Length >= MaxAnswerBytes) throw new ControlSocketException($"{_path}: an answer longer than {MaxAnswerBytes} bytes", isUsageError: false);
                Array.Resize(ref _pending, _pending.Length * 2);
            }
            if (!_socket.WaitReadable(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64))))
            {
                throw new ControlSocketException($"{_path}: no answer within {timeout.TotalSeconds:0.###} s", isUsageError: false);
            }
            int n;
            try
            {
                n = _socket.Receive(_pending.AsSpan(_pendingBytes), fds).Bytes;
            }
            catch (SyscallException e)
            {
                throw new ControlSocketException($"{_path}: receiving failed: {e.Message}", isUsageError: false);
            }
            foreach (FileDescriptor fd in fds) fd.Dispose();
            fds.Clear();
            if (n == 0) return null;
            _pendingBytes += n;
        }
    }

    public void Dispose() => _socket.Dispose();
}
