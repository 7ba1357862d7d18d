using MiniVmm.Native.Unix;

namespace MiniVmm.VhostUser.Session;

/// <summary>
/// A ring's call or err notifier over the descriptor the front end sent last: the session swaps
/// it (SET_VRING_CALL on a running ring, as QEMU does when it masks a vector) without stopping
/// the ring. A signal racing with a swap reaches the old or the new descriptor, or is dropped
/// (the old one already closed); the session signals the new one once after a swap, so no
/// interrupt is lost (a spurious one is harmless to a virtio driver).
/// </summary>
internal sealed class VhostRingNotifier : IVhostRingNotifier, IDisposable
{
    private NotifyFd? _target;

    public bool HasTarget => Volatile.Read(ref _target) is not null;

    public void Signal() => Volatile.Read(ref _target)?.Signal();

    /// <summary>Points the notifier at <paramref name="target"/> (null: drop signals) and closes the previous descriptor.</summary>
    public void Replace(NotifyFd? target)
    {
        NotifyFd? old = Interlocked.Exchange(ref _target, target);
        old?.Dispose();
    }

    public void Dispose() => Replace(null);
}
