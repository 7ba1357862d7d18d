using System.Runtime.InteropServices;

namespace MiniVmm.Benchmarks;

/// <summary>
/// SIGINT, SIGTERM and SIGHUP while a benchmark runs: the default termination is suppressed, the
/// cleanup runs at once (kill the VMM under test, delete its TAP), and the benchmark sees
/// <see cref="Requested"/> / <see cref="Token"/> and returns <see cref="ExitCode"/> (128 + signal).
/// </summary>
public sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _signal;

    public Interruption(Action cleanup)
    {
        _registrations =
        [
            Register(PosixSignal.SIGINT, 2, cleanup),
            Register(PosixSignal.SIGTERM, 15, cleanup),
            Register(PosixSignal.SIGHUP, 1, cleanup),
        ];
    }

    public bool Requested => Volatile.Read(ref _signal) != 0;

    public CancellationToken Token => _cancel.Token;

    /// <summary>The shell's convention for a process ended by signal N: 128 + N.</summary>
    public int ExitCode => 128 + Volatile.Read(ref _signal);

    public void Dispose()
    {
        foreach (PosixSignalRegistration r in _registrations) r.Dispose();
        _cancel.Dispose();
    }

    private PosixSignalRegistration Register(PosixSignal signal, int number, Action cleanup) =>
        PosixSignalRegistration.Create(signal, context =>
        {
            context.Cancel = true;
            if (Interlocked.CompareExchange(ref _signal, number, 0) != 0) return;
            Console.Error.WriteLine($"benchmark: signal {number}, cleaning up");
            _cancel.Cancel();
            cleanup();
        });
}
