using Mono.Unix;
using Mono.Unix.Native;

namespace MiniVmm.Machine.Runtime;

/// <summary>
/// SIGINT and SIGTERM end the machine (status 128 + signal, the shell's convention). A background
/// thread waits on Mono.Unix signal handles; it polls the stop flag a few times a second so it
/// also ends when the machine stops for another reason.
/// </summary>
public sealed class HostSignalWatcher : IDisposable
{
    private readonly UnixSignal[] _signals = [new(Signum.SIGINT), new(Signum.SIGTERM)];
    private readonly MachineStop _stop;
    private readonly Thread _thread;
    private volatile bool _disposed;

    public HostSignalWatcher(MachineStop stop)
    {
        _stop = stop;
        _thread = new Thread(Watch) { Name = "signals", IsBackground = true };
        _thread.Start();
    }

    private void Watch()
    {
        while (!_disposed && !_stop.IsRequested)
        {
            int index = UnixSignal.WaitAny(_signals, 200);
            if (index >= 0 && index < _signals.Length && _signals[index].IsSet)
            {
                _signals[index].Reset();
                _stop.Request(128 + (int)NativeConvert.FromSignum(_signals[index].Signum));
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        _thread.Join();
        foreach (var s in _signals) s.Dispose();
    }
}
