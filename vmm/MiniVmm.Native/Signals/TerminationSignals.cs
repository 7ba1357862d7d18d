using Mono.Unix;
using Mono.Unix.Native;

namespace MiniVmm.Native.Signals;

/// <summary>
/// SIGINT and SIGTERM caught for a long-running command (a back end that serves until told to stop):
/// <see cref="Wait"/> blocks until one arrives and returns its number, so the command can clean up
/// and exit with 128 + that number, the shell's convention. Dispose restores the default handlers.
/// </summary>
public sealed class TerminationSignals : IDisposable
{
    private readonly UnixSignal[] _signals = [new(Signum.SIGINT), new(Signum.SIGTERM)];

    /// <summary>Waits for SIGINT or SIGTERM and returns the signal number.</summary>
    public int Wait()
    {
        while (true)
        {
            if (Wait(Timeout.InfiniteTimeSpan) is int signal) return signal;
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for SIGINT or SIGTERM: its number, or null when none came.</summary>
    public int? Wait(TimeSpan timeout)
    {
        int index = UnixSignal.WaitAny(_signals, timeout == Timeout.InfiniteTimeSpan ? -1 : (int)timeout.TotalMilliseconds);
        if (index < 0 || index >= _signals.Length || !_signals[index].IsSet) return null;
        _signals[index].Reset();
        return NativeConvert.FromSignum(_signals[index].Signum);
    }

    public void Dispose()
    {
        foreach (UnixSignal s in _signals) s.Dispose();
    }
}
