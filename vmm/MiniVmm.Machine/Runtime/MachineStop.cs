namespace MiniVmm.Machine.Runtime;

/// <summary>
/// How and why the machine ends. The first request wins: a guest exit status, a host signal, or
/// an error (then <see cref="Error"/> says what happened and the status is 1).
/// </summary>
public sealed class MachineStop
{
    /// <summary>The guest reported a kernel panic (pvpanic): distinct from 0, 1, 2 and from every isa-debug-exit status, which are odd.</summary>
    public const int GuestPanicStatus = 4;

    private readonly ManualResetEventSlim _stopped = new(false);
    private int _requested;

    public bool IsRequested => Volatile.Read(ref _requested) != 0;

    /// <summary>The status the process should exit with (valid once requested).</summary>
    public int Status { get; private set; }

    /// <summary>Why the machine stopped abnormally, or null for a normal stop.</summary>
    public string? Error { get; private set; }

    /// <summary>A one-line note on how the guest ended, for an end that is not a failure but worth saying (a guest panic).</summary>
    public string? Notice { get; private set; }

    public WaitHandle WaitHandle => _stopped.WaitHandle;

    /// <summary>Ends the machine with <paramref name="status"/>; false if it was already ending.</summary>
    public bool Request(int status) => Set(status, null, null);

    /// <summary>Ends the machine with <paramref name="status"/> and a <see cref="Notice"/>; false if it was already ending.</summary>
    public bool End(int status, string notice) => Set(status, null, notice);

    /// <summary>Ends the machine because of a failure described by <paramref name="error"/> (status 1).</summary>
    public bool Fail(string error) => Set(1, error, null);

    public void Wait() => _stopped.Wait();

    /// <summary>Waits up to <paramref name="timeout"/>; true once the machine is ending.</summary>
    public bool Wait(TimeSpan timeout) => _stopped.Wait(timeout);

    private bool Set(int status, string? error, string? notice)
    {
        if (Interlocked.Exchange(ref _requested, 1) != 0) return false;
        Status = status;
        Error = error;
        Notice = notice;
        _stopped.Set();
        return true;
    }
}
