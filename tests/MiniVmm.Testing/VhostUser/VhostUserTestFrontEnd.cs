using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// The front end's side of a test connection: sends raw messages with descriptors and reads the
/// back end's answers with a bounded wait. Not a protocol implementation: tests say exactly what
/// goes on the wire, hostile bytes included.
/// </summary>
public sealed class VhostUserTestFrontEnd(UnixStreamSocket socket) : IDisposable
{
    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(5);

    public UnixStreamSocket Socket { get; } = socket;

    public void Send(byte[] message, params FileDescriptor[] fds) => Socket.Send(message, fds);

    /// <summary>Reads one whole answer (header + payload), or throws TimeoutException.</summary>
    public (VhostUserHeader Header, byte[] Payload) ReadReply()
    {
        byte[] header = ReadExactly(VhostUserHeader.SizeBytes);
        VhostUserHeader h = VhostUserHeader.Read(header);
        return (h, ReadExactly((int)h.Size));
    }

    /// <summary>Sends a request that asks for a REPLY_ACK and returns the ack's status.</summary>
    public ulong SendAndAck(byte[] message, params FileDescriptor[] fds)
    {
        Send(message, fds);
        var (h, payload) = ReadReply();
        if (h.Flags != VhostUserHeader.ReplyFlags || payload.Length != 8) throw new InvalidDataException($"not an ack: {h}");
        return BitConverter.ToUInt64(payload);
    }

    /// <summary>True when the back end closed the connection within the timeout (reads end of stream).</summary>
    public bool WaitForClose()
    {
        var buffer = new byte[64];
        var fds = new List<FileDescriptor>();
        try
        {
            return PollReadable() && Socket.Receive(buffer, fds).Bytes == 0;
        }
        catch (SyscallException)
        {
            return true; // ECONNRESET: closed too
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
        }
    }

    public void Dispose() => Socket.Dispose();

    private byte[] ReadExactly(int count)
    {
        var bytes = new byte[count];
        var fds = new List<FileDescriptor>();
        int got = 0;
        try
        {
            while (got < count)
            {
                if (!PollReadable()) throw new TimeoutException($"no answer within {ReplyTimeout.TotalSeconds} s");
                int n = Socket.Receive(bytes.AsSpan(got), fds).Bytes;
                if (n == 0) throw new EndOfStreamException("the back end closed the connection");
                got += n;
            }
            return bytes;
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
        }
    }

    private bool PollReadable() => Socket.WaitReadable(ReplyTimeout);
}
