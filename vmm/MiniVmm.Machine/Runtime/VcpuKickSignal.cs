using Mono.Unix;
using Mono.Unix.Native;

namespace MiniVmm.Machine.Runtime;

/// <summary>
/// The signal used to kick vCPU threads out of KVM_RUN (SIGUSR2). It needs a handler, not
/// SIG_IGN, or the kernel would discard it without interrupting KVM_RUN; Mono.Unix's UnixSignal
/// installs an async-signal-safe one. Process-wide and installed once.
/// </summary>
public static class VcpuKickSignal
{
    private static readonly Lazy<UnixSignal> Handler = new(() => new UnixSignal(Signum.SIGUSR2));

    public static int Number
    {
        get
        {
            _ = Handler.Value;
            return (int)NativeConvert.FromSignum(Signum.SIGUSR2);
        }
    }
}
