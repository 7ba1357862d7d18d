using MiniVmm.VhostUser;

namespace MiniVmm.HostNet.VhostUser;

/// <summary>
/// `minivmm vhost-user-net` as an object: the TAP and steering back end `--net` describes, the device
/// runtime over them, served over vhost-user on a listening socket (one front end at a time). The
/// command runs one until SIGINT/SIGTERM; the steer-test rig runs one in-process next to its VM.
/// Dispose stops the listener (resetting the device, removing the socket file), then the workers,
/// the steering back end and the TAP.
/// </summary>
public sealed class VhostUserNetServer : IDisposable
{
    private readonly VhostUserListener _listener;

    private VhostUserNetServer(TapNetBackend backend, NetDeviceRuntime runtime, VhostUserListener listener)
    {
        Backend = backend;
        Runtime = runtime;
        _listener = listener;
    }

    public TapNetBackend Backend { get; }

    public NetDeviceRuntime Runtime { get; }

    public string SocketPath => _listener.Path;

    /// <summary>Front ends served so far (the current one included).</summary>
    public int Connections => _listener.Connections;

    /// <summary>
    /// Opens the back end and listens on <paramref name="socketPath"/>. Throws TapException or
    /// SteeringUnavailableException (bad `--net`), SyscallException (the socket); nothing is left behind then.
    /// </summary>
    /// <param name="mode">The socket file's permissions (0600 by default: only its owner may connect).</param>
    public static VhostUserNetServer Start(NetworkOptions net, string socketPath, Action<string> log, int mode = 0x180)
    {
        TapNetBackend backend = TapNetBackend.Open(net, defaultPairs: 1);
        NetDeviceRuntime? runtime = null;
        try
        {
            runtime = new NetDeviceRuntime("net0", backend.DeviceOptions(net), backend, log);
            log($"net0: tap {backend.Tap.Name}, {backend.QueuePairs} queue pairs; {backend.Choice.LogLine}");
            var device = new VhostUserNetDevice(runtime, log);
            var listener = VhostUserListener.Start(socketPath, device, log, mode);
            log($"vhost-user-net: listening on {socketPath}");
            return new VhostUserNetServer(backend, runtime, listener);
        }
        catch
        {
            if (runtime is not null) runtime.Dispose(); // and with it the back end
            else backend.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        Runtime.Dispose();
    }
}
