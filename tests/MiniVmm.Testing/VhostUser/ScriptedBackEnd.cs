using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// A vhost-user back end that does what a test script says, for testing our front end against back
/// ends that misbehave: it serves one connection on its own thread, reads each request (header,
/// payload, descriptors, all of which it closes) and asks the script what to do; a null answer is
/// what an honest, minimal net back end answers (2 queue pairs, MQ, REPLY_ACK, SLAVE_REQ, CONFIG,
/// MAC 02:4d:56:00:00:42, link up). Dispose hangs up, joins the thread and removes the socket file.
/// </summary>
public sealed class ScriptedBackEnd : IDisposable
{
    public const ulong Features = (1UL << 32) | (1UL << 5) | (1UL << 16) | (1UL << 22) | VhostUserVirtioFeatures.ProtocolFeatures; // VERSION_1 MAC STATUS MQ
    public const VhostUserProtocolFeatures Protocol = VhostUserProtocolFeatures.Offered;

    private readonly UnixListeningSocket _listener;
    private readonly Func<VhostUserHeader, byte[], BackEndAnswer?> _script;
    private readonly Thread _thread;
    private readonly List<string> _requests = [];
    private UnixStreamSocket? _connection;
    private UnixStreamSocket? _slave;

    private ScriptedBackEnd(string path, Func<VhostUserHeader, byte[], BackEndAnswer?> script)
    {
        _listener = UnixListeningSocket.Listen(path);
        _script = script;
        _thread = new Thread(Serve) { Name = "scripted-be", IsBackground = true };
        _thread.Start();
    }

    public string Path => _listener.Path;

    /// <summary>The requests seen so far, by name (VHOST_USER_GET_FEATURES, ...).</summary>
    public IReadOnlyList<string> Requests
    {
        get { lock (_requests) return [.. _requests]; }
    }

    /// <summary>The slave channel the front end handed over, once it has (null before).</summary>
    public UnixStreamSocket? Slave => Volatile.Read(ref _slave);

    public static ScriptedBackEnd Start(string path, Func<VhostUserHeader, byte[], BackEndAnswer?> script) => new(path, script);

    public void Dispose()
    {
        _listener.CancelAccept();
        Volatile.Read(ref _connection)?.Shutdown();
        _thread.Join();
        _listener.Dispose();
        _slave?.Dispose();
    }

    private void Serve()
    {
        using UnixStreamSocket? connection = _listener.Accept();
        if (connection is null) return;
        Volatile.Write(ref _connection, connection);
        var fds = new List<FileDescriptor>();
        try
        {
            var header = new byte[VhostUserHeader.SizeBytes];
            while (ReadExactly(connection, header, fds))
            {
                VhostUserHeader h = VhostUserHeader.Read(header);
                var payload = new byte[Math.Min(h.Size, 65536u)]; // a bigger size is read as the next header: the test sees a desync
                if (!ReadExactly(connection, payload, fds)) return;
                lock (_requests) _requests.Add(VhostUserParser.Name(h.Request));
                if (h.KnownRequest == VhostUserRequest.SetSlaveReqFd && fds.Count == 1)
                {
                    Volatile.Write(ref _slave, new UnixStreamSocket(fds[0]));
                    fds.Clear();
                }
                BackEndAnswer answer = _script(h, payload) ?? Honest(h, payload);
                if (answer.HangUp) return;
                if (answer.Bytes is not null) Send(connection, answer);
                foreach (FileDescriptor fd in fds) fd.Dispose();
                fds.Clear();
            }
        }
        catch (SyscallException)
        {
            // the front end hung up, or Dispose shut the connection down
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
        }
    }

    private static void Send(UnixStreamSocket connection, BackEndAnswer answer)
    {
        IReadOnlyList<FileDescriptor> fds = answer.Fds?.Invoke() ?? [];
        try
        {
            connection.Send(answer.Bytes, [.. fds]);
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
        }
    }

    /// <summary>What a minimal, correct net back end answers (only requests that want an answer get one).</summary>
    public static BackEndAnswer Honest(VhostUserHeader h, byte[] payload)
    {
        switch (h.KnownRequest)
        {
            case VhostUserRequest.GetFeatures: return BackEndAnswer.Send(VhostUserEncoder.U64Reply(h.KnownRequest, Features));
            case VhostUserRequest.GetProtocolFeatures: return BackEndAnswer.Send(VhostUserEncoder.U64Reply(h.KnownRequest, (ulong)Protocol));
            case VhostUserRequest.GetQueueNum: return BackEndAnswer.Send(VhostUserEncoder.U64Reply(h.KnownRequest, 2));
            case VhostUserRequest.GetVringBase:
                return BackEndAnswer.Send(VhostUserEncoder.VringStateReply(new VringState(BinaryPrimitives.ReadUInt32LittleEndian(payload), 0)));
            case VhostUserRequest.GetConfig:
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(payload.AsSpan(4));
                var config = new byte[size];
                byte[] mac = [0x02, 0x4d, 0x56, 0x00, 0x00, 0x42];
                mac.AsSpan(0, (int)Math.Min(size, 6u)).CopyTo(config);
                if (size > 6) config[6] = 1; // VIRTIO_NET_S_LINK_UP
                return BackEndAnswer.Send(VhostUserEncoder.ConfigMessage(h.KnownRequest, new VhostUserConfig(0, size, 0, config), reply: true));
            default:
                return h.NeedsReply ? BackEndAnswer.Send(VhostUserEncoder.Ack(h.KnownRequest, 0)) : BackEndAnswer.Silence;
        }
    }

    private static bool ReadExactly(UnixStreamSocket connection, Span<byte> buffer, List<FileDescriptor> fds)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            int n = connection.Receive(buffer[got..], fds).Bytes;
            if (n == 0) return false;
            got += n;
        }
        return true;
    }
}
