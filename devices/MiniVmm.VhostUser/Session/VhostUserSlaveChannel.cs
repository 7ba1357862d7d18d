using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

/// <summary>
/// The back-end request channel (SET_SLAVE_REQ_FD). Sends never block and never wait for a
/// reply: UML serves this channel from an interrupt that cannot run while its control thread
/// waits for our answer, so a blocking send here could deadlock both sides.
/// </summary>
internal sealed class VhostUserSlaveChannel : IDisposable
{
    private readonly object _lock = new();
    private UnixStreamSocket? _socket;
    private bool _failedOnce;

    public bool IsConnected
    {
        get { lock (_lock) return _socket is not null; }
    }

    public void Replace(FileDescriptor? fd)
    {
        lock (_lock)
        {
            _socket?.Dispose();
            _socket = fd is null ? null : new UnixStreamSocket(fd);
            _failedOnce = false;
        }
    }

    /// <summary>Sends CONFIG_CHANGE_MSG (no payload, no reply asked); returns a log line when it could not be sent.</summary>
    public string? SendConfigChange()
    {
        byte[] message = VhostUserEncoder.SlaveRequest(VhostUserSlaveRequest.ConfigChangeMsg, []);
        lock (_lock)
        {
            if (_socket is null) return "config change not sent: no slave channel";
            try
            {
                if (_socket.Send(message, dontWait: true)) return null;
                return "config change not sent: slave channel full";
            }
            catch (SyscallException e)
            {
                if (_failedOnce) return null;
                _failedOnce = true;
                return $"config change not sent: {e.Message}";
            }
        }
    }

    public void Dispose() => Replace(null);
}
