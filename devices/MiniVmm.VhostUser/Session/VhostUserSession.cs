using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

/// <summary>
/// One front-end connection, served by one control thread (the caller of <see cref="Run"/>):
/// read a header with its descriptors, read its payload, parse, hand it to the
/// <see cref="VhostUserRequestHandler"/>, send the answer. A refused message gets its error
/// answer and the session goes on; a framing error (a truncated message, a bad version, a payload
/// larger than any request) or end of stream ends it, and the device is reset and every
/// descriptor and mapping released before <see cref="Run"/> returns.
/// </summary>
public sealed class VhostUserSession : IDisposable
{
    private readonly UnixStreamSocket _socket;
    private readonly Action<string> _log;

    /// <summary>Takes ownership of <paramref name="socket"/>.</summary>
    public VhostUserSession(UnixStreamSocket socket, IVhostUserDevice device, Action<string> log)
    {
        _socket = socket;
        _log = log;
        Handler = new VhostUserRequestHandler(device, log);
    }

    public VhostUserRequestHandler Handler { get; }

    /// <summary>Why the session ended: None for end of stream at a message boundary (or <see cref="Stop"/>).</summary>
    public VhostUserRejectReason EndReason { get; private set; }

    /// <summary>Called with every message received (header, payload, descriptor count) before it is parsed: a debug trace.</summary>
    public Action<VhostUserHeader, ReadOnlyMemory<byte>, int>? Trace { get; init; }

    /// <summary>Serves the connection until it ends; never throws for anything the front end does.</summary>
    public void Run()
    {
        string why = "end of stream";
        try
        {
            while (true)
            {
                VhostUserRejectReason reason = ServeOne();
                if (reason == VhostUserRejectReason.None) continue;
                if (reason != EndOfStream)
                {
                    EndReason = reason;
                    why = reason.ToString();
                    _log($"vhost-user: session ended: {reason}");
                }
                break;
            }
        }
        catch (SyscallException e)
        {
            // The peer vanished under a send (EPIPE, ECONNRESET) or the socket was torn down.
            why = e.Message;
            _log($"vhost-user: session ended: {e.Message}");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // A bug of ours or the device's on this connection must not take the listener down.
            why = e.GetType().Name;
            EndReason = VhostUserRejectReason.DeviceFailed;
            _log($"vhost-user: session ended: internal error: {e}");
        }
        finally
        {
            Handler.End(why);
        }
    }

    /// <summary>From any thread: makes <see cref="Run"/> see end of stream and return.</summary>
    public void Stop() => _socket.Shutdown();

    public void Dispose()
    {
        Handler.End("disposed");
        _socket.Dispose();
    }

    // Not a reason a message is refused: the loop's "stop quietly".
    private const VhostUserRejectReason EndOfStream = (VhostUserRejectReason)(-1);

    private VhostUserRejectReason ServeOne()
    {
        var fds = new List<FileDescriptor>();
        try
        {
            Span<byte> headerBytes = stackalloc byte[VhostUserHeader.SizeBytes];
            int got = ReadFully(headerBytes, fds, out bool truncatedFds);
            if (got == 0) return EndOfStream;
            if (got < headerBytes.Length) return Fatal(0, VhostUserRejectReason.Truncated);
            VhostUserHeader header = VhostUserHeader.Read(headerBytes);
            VhostUserRejectReason framing = VhostUserParser.CheckHeader(header);
            if (framing != VhostUserRejectReason.None) return Fatal(header.Request, framing);
            var payload = new byte[header.Size];
            if (payload.Length > 0)
            {
                if (ReadFully(payload, fds, out bool moreTruncated) < payload.Length) return Fatal(header.Request, VhostUserRejectReason.Truncated);
                truncatedFds |= moreTruncated;
            }
            Trace?.Invoke(header, payload, fds.Count);
            byte[]? answer = VhostUserParser.TryParse(header, payload, fds.Count, truncatedFds, out VhostUserMessage? message, out VhostUserRejectReason reason)
                ? Handler.Handle(message, fds)
                : Handler.Refuse(header, reason);
            if (answer is not null) _socket.Send(answer);
            return VhostUserRejectReason.None;
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
        }
    }

    private VhostUserRejectReason Fatal(uint request, VhostUserRejectReason reason)
    {
        Handler.RecordFatal(request, reason);
        return reason;
    }

    // Reads until the buffer is full or the stream ends; returns the bytes read.
    private int ReadFully(Span<byte> buffer, List<FileDescriptor> fds, out bool fdsTruncated)
    {
        fdsTruncated = false;
        int total = 0;
        while (total < buffer.Length)
        {
            UnixReceiveResult r = _socket.Receive(buffer[total..], fds);
            fdsTruncated |= r.FdsTruncated;
            if (r.Bytes == 0) break;
            total += r.Bytes;
        }
        return total;
    }
}
