using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// The front end's watcher thread ("vhost-user-fe"): answers the back end's slave channel
/// (CONFIG_CHANGE_MSG; anything else is refused) and notices when the back end goes away (the
/// socket's peer hung up, seen without reading it: the requesting thread owns the reads).
/// </summary>
internal sealed class VhostUserBackendWatch : IDisposable
{
    private const ulong TokenSocket = 1, TokenSlave = 2, TokenStop = 3;

    private readonly UnixStreamSocket _socket;
    private readonly UnixStreamSocket? _slave;
    private readonly Action _configChanged, _disconnected;
    private readonly Epoll _epoll = new();
    private readonly EventFd _stop = new();
    private readonly Thread _thread;

    public VhostUserBackendWatch(UnixStreamSocket socket, UnixStreamSocket? slave, Action configChanged, Action disconnected)
    {
        _socket = socket;
        _slave = slave;
        _configChanged = configChanged;
        _disconnected = disconnected;
        _epoll.Add(socket.Handle, EpollEvents.RdHup, TokenSocket);
        if (slave is not null) _epoll.Add(slave.Handle, EpollEvents.In, TokenSlave);
        _epoll.Add(_stop.Handle, EpollEvents.In, TokenStop);
        _thread = new Thread(Run) { Name = "vhost-user-fe", IsBackground = true };
        _thread.Start();
    }

    public void Dispose()
    {
        _stop.Signal();
        if (Thread.CurrentThread != _thread) _thread.Join();
        _epoll.Dispose();
        _stop.Dispose();
        _slave?.Dispose();
    }

    private void Run()
    {
        Span<EpollEvent> events = stackalloc EpollEvent[4];
        while (true)
        {
            int n = _epoll.Wait(events, -1);
            for (int i = 0; i < n; i++)
            {
                switch (events[i].Token)
                {
                    case TokenStop:
                        return;
                    case TokenSocket:
                        // Level-triggered: report once, then stop watching what cannot recover.
                        _epoll.Remove(_socket.Handle);
                        _disconnected();
                        break;
                    case TokenSlave:
                        if (!ServeSlave())
                        {
                            // Closed, broken or hostile: stop watching it and close our end, so the
                            // back end sees the channel end rather than talk into a void.
                            _epoll.Remove(_slave!.Handle);
                            _slave.Dispose();
                        }
                        break;
                }
            }
        }
    }

    /// <summary>One slave-channel message; false when the channel closed or broke (it is not watched again).</summary>
    private bool ServeSlave()
    {
        var fds = new List<FileDescriptor>();
        try
        {
            Span<byte> header = stackalloc byte[VhostUserHeader.SizeBytes];
            if (!ReadExactly(header, fds)) return false;
            VhostUserHeader h = VhostUserHeader.Read(header);
            if (h.Size > VhostUserConfig.HeaderBytes + VhostUserConfig.MaxSizeBytes) return false;
            var payload = new byte[h.Size];
            if (payload.Length > 0 && !ReadExactly(payload, fds)) return false;
            bool known = h.Request == (uint)VhostUserSlaveRequest.ConfigChangeMsg;
            if (known) _configChanged();
            if (h.NeedsReply)
            {
                Span<byte> status = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(status, known ? 0UL : 1UL);
                _slave!.Send(VhostUserEncoder.Message(h.Request, VhostUserHeader.ReplyFlags, status));
            }
            return true;
        }
        catch (SyscallException)
        {
            return false;
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose(); // the slave requests we serve take none
        }
    }

    private bool ReadExactly(Span<byte> buffer, List<FileDescriptor> fds)
    {
        int got = 0;
        while (got < buffer.Length)
        {
            if (got > 0 && !_slave!.WaitReadable(VhostUserBackend.DefaultReplyTimeout)) return false;
            int n = _slave!.Receive(buffer[got..], fds).Bytes;
            if (n == 0) return false;
            got += n;
        }
        return true;
    }
}
