using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// Plays a captured front end against a real <see cref="VhostUserSession"/> over a socketpair:
/// each message is sent as recorded, with fresh descriptors of the kind the real front end
/// passed (a memfd large enough for each region, eventfds for kicks, socketpair ends or eventfds
/// for calls as UML or QEMU pass them, a socketpair for the slave channel), and every answer the
/// front end would wait for is read back.
/// </summary>
public sealed class VhostUserReplay : IDisposable
{
    private readonly VhostUserTestFrontEnd _frontEnd;
    private readonly Thread _control;
    private readonly List<IDisposable> _ours = [];
    private bool _replyAck;

    public VhostUserReplay(IVhostUserDevice device, bool callFdsAreSockets)
    {
        CallFdsAreSockets = callFdsAreSockets;
        var (front, back) = UnixStreamSocket.Pair();
        _frontEnd = new VhostUserTestFrontEnd(front);
        Session = new VhostUserSession(back, device, line => { lock (Log) Log.Add(line); });
        _control = new Thread(Session.Run) { Name = "vhost-user-test", IsBackground = true };
        _control.Start();
    }

    public bool CallFdsAreSockets { get; }

    public VhostUserSession Session { get; }

    public List<string> Log { get; } = [];

    /// <summary>The answers read, one per message that expects one, in order: (request, payload).</summary>
    public List<(uint Request, byte[] Payload)> Answers { get; } = [];

    /// <summary>The front end's end of the slave channel, once SET_SLAVE_REQ_FD was replayed.</summary>
    public UnixStreamSocket? SlaveEnd { get; private set; }

    public void Play(VhostUserCapture capture)
    {
        foreach (CapturedMessage m in capture.Messages) Play(m);
    }

    public void Play(CapturedMessage m)
    {
        VhostUserHeader header = VhostUserHeader.Read(m.Header);
        FileDescriptor[] fds = DescriptorsFor(header, m);
        _frontEnd.Send([.. m.Header, .. m.Payload], fds);
        foreach (FileDescriptor fd in fds) fd.Dispose(); // the back end has its own copies now
        if (header.KnownRequest == VhostUserRequest.SetProtocolFeatures)
        {
            _replyAck = (BinaryPrimitives.ReadUInt64LittleEndian(m.Payload) & (ulong)VhostUserProtocolFeatures.ReplyAck) != 0;
        }
        bool ownReply = header.KnownRequest is VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures
            or VhostUserRequest.GetQueueNum or VhostUserRequest.GetVringBase or VhostUserRequest.GetConfig;
        if (ownReply || header.NeedsReply && _replyAck)
        {
            var (replyHeader, payload) = _frontEnd.ReadReply();
            if (replyHeader.Request != header.Request || replyHeader.Flags != VhostUserHeader.ReplyFlags)
            {
                throw new InvalidDataException($"answer {replyHeader} to {header}");
            }
            Answers.Add((header.Request, payload));
        }
    }

    /// <summary>Closes the front end's end (EOF) and waits for the session to clean up.</summary>
    public void End()
    {
        _frontEnd.Dispose();
        if (!_control.Join(TimeSpan.FromSeconds(10))) throw new TimeoutException("the session did not end after EOF");
    }

    public void Dispose()
    {
        End();
        SlaveEnd?.Dispose();
        foreach (IDisposable d in _ours) d.Dispose();
        Session.Dispose();
    }

    private FileDescriptor[] DescriptorsFor(VhostUserHeader header, CapturedMessage m)
    {
        if (m.FdCount == 0) return [];
        switch (header.KnownRequest)
        {
            case VhostUserRequest.SetMemTable:
                return [.. Enumerable.Range(0, m.FdCount).Select(i =>
                {
                    var region = MemoryRegionDescription.Read(m.Payload.AsSpan(8 + 32 * i));
                    return MemFd.Create("mvt-replay", region.MmapOffset + region.SizeBytes);
                })];
            case VhostUserRequest.SetSlaveReqFd:
            {
                var (ours, theirs) = UnixStreamSocket.Pair();
                SlaveEnd = ours;
                return [theirs.Handle];
            }
            case VhostUserRequest.SetVringCall when CallFdsAreSockets:
            {
                var (ours, theirs) = UnixStreamSocket.Pair();
                _ours.Add(ours);
                return [theirs.Handle];
            }
            default:
            {
                var eventFd = new EventFd();
                return [eventFd.Handle];
            }
        }
    }
}
