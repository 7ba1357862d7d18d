using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// The front end's side of the vhost-user socket: sends requests (with their descriptors) and reads
/// the back end's replies with a bounded wait, checking each reply's header against the request. With
/// REPLY_ACK negotiated, a request that has no reply of its own asks for the ack and a non-zero status
/// is a refusal. Every failure is a <see cref="VhostBackendException"/> naming the request. A failure
/// other than a refusal (no reply, a reply that does not match its request, the peer gone) leaves
/// the stream at an unknown point, so the connection is shut down and every later request fails at
/// once: the watch thread then sees the hang-up and the front end treats the back end as gone.
/// </summary>
internal sealed class VhostUserConnection(UnixStreamSocket socket, TimeSpan replyTimeout) : IDisposable
{
    private readonly List<FileDescriptor> _stray = [];
    private string? _broken;

    public UnixStreamSocket Socket => socket;

    /// <summary>Set once REPLY_ACK is negotiated: requests without a reply of their own then ask for an ack.</summary>
    public bool ReplyAck { get; set; }

    /// <summary>A request answered by a u64 (GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM).</summary>
    public ulong GetU64(VhostUserRequest request)
    {
        Send(VhostUserEncoder.Request(request, []), request);
        byte[] payload = Reply(request, 8);
        return BinaryPrimitives.ReadUInt64LittleEndian(payload);
    }

    /// <summary>A request without a reply of its own: acknowledged when REPLY_ACK is negotiated.</summary>
    public void Set(VhostUserRequest request, byte[] message, params FileDescriptor[] fds)
    {
        if (ReplyAck) message[4] |= (byte)VhostUserHeaderFlags.NeedReply;
        Send(message, request, fds);
        if (!ReplyAck) return;
        ulong status = BinaryPrimitives.ReadUInt64LittleEndian(Reply(request, 8));
        if (status != 0) throw new VhostBackendException($"the back end refused {VhostUserParser.Name((uint)request)} (status {status})");
    }

    public void SetU64(VhostUserRequest request, ulong value, params FileDescriptor[] fds) =>
        Set(request, VhostUserEncoder.U64Request(request, value), fds);

    public void SetState(VhostUserRequest request, VringState state) =>
        Set(request, VhostUserEncoder.StateRequest(request, state));

    /// <summary>GET_VRING_BASE: the ring stops and the back end answers its last_avail_idx.</summary>
    public VringState GetState(VhostUserRequest request, VringState state)
    {
        Send(VhostUserEncoder.StateRequest(request, state), request);
        return VringState.Read(Reply(request, VringState.SizeBytes));
    }

    /// <summary>GET_CONFIG: the reply has the request's size, or is empty (an error, vhost-user.rst).</summary>
    public byte[] GetConfig(uint offset, uint size)
    {
        var config = new VhostUserConfig(offset, size, 0, new byte[size]);
        Send(VhostUserEncoder.ConfigMessage(VhostUserRequest.GetConfig, config, reply: false), VhostUserRequest.GetConfig);
        byte[] payload = Reply(VhostUserRequest.GetConfig, VhostUserConfig.HeaderBytes + (int)size, allowEmpty: true);
        if (payload.Length == 0) throw new VhostBackendException("the back end refused GET_CONFIG (an empty reply)");
        return payload[VhostUserConfig.HeaderBytes..];
    }

    public void Dispose()
    {
        foreach (FileDescriptor fd in _stray) fd.Dispose();
        socket.Dispose();
    }

    private void Send(byte[] message, VhostUserRequest request, params FileDescriptor[] fds)
    {
        string name = VhostUserParser.Name((uint)request);
        if (_broken is not null) throw new VhostBackendException($"{name}: not sent, the connection broke earlier ({_broken})");
        try
        {
            socket.Send(message, fds);
        }
        catch (SyscallException e)
        {
            throw Break(new VhostBackendException($"{name}: the back end went away ({e.Message})"));
        }
    }

    private byte[] Reply(VhostUserRequest request, int expectedBytes, bool allowEmpty = false)
    {
        try
        {
            return ReadReply(request, expectedBytes, allowEmpty);
        }
        catch (VhostBackendException e)
        {
            throw Break(e);
        }
    }

    /// <summary>Marks the connection unusable (a reply that cannot be trusted) and shuts it down; returns <paramref name="e"/> to throw.</summary>
    public VhostBackendException Break(VhostBackendException e)
    {
        _broken ??= e.Message;
        socket.Shutdown();
        return e;
    }

    private byte[] ReadReply(VhostUserRequest request, int expectedBytes, bool allowEmpty)
    {
        string name = VhostUserParser.Name((uint)request);
        VhostUserHeader header = VhostUserHeader.Read(ReadExactly(VhostUserHeader.SizeBytes, name));
        if (header.Request != (uint)request || (header.Flags & VhostUserHeaderFlags.Reply) == 0)
        {
            throw new VhostBackendException($"{name}: the back end answered {header} instead");
        }
        if (header.Size != expectedBytes && !(allowEmpty && header.Size == 0))
        {
            throw new VhostBackendException($"{name}: a reply of {header.Size} bytes, {expectedBytes} expected");
        }
        return ReadExactly((int)header.Size, name);
    }

    private byte[] ReadExactly(int count, string request)
    {
        var bytes = new byte[count];
        int got = 0;
        try
        {
            while (got < count)
            {
                if (!socket.WaitReadable(replyTimeout))
                {
                    throw new VhostBackendException($"{request}: no reply within {replyTimeout.TotalSeconds:0} s");
                }
                int n = socket.Receive(bytes.AsSpan(got), _stray).Bytes;
                if (n == 0) throw new VhostBackendException($"{request}: the back end closed the connection");
                got += n;
            }
        }
        catch (SyscallException e)
        {
            throw new VhostBackendException($"{request}: the back end went away ({e.Message})");
        }
        finally
        {
            // A reply carries no descriptors: any that came are closed, never kept.
            foreach (FileDescriptor fd in _stray) fd.Dispose();
            _stray.Clear();
        }
        return bytes;
    }
}
