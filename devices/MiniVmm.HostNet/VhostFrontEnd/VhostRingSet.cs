using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.HostNet.VhostFrontEnd;

/// <summary>
/// The data rings of a <see cref="VirtioNetDevice"/> handed to an <see cref="IVhostBackend"/> and taken
/// back: each enabled ring goes over with its size and addresses, the index to resume from
/// (<see cref="SplitQueue.NextAvail"/>), its kick eventfd (a KVM ioeventfd) and its vector's irqfd as
/// call fd; stopping asks each ring's last_avail_idx (GET_VRING_BASE) and sets the queue's base from it
/// and the used index in guest memory, so whoever serves the queue next resumes where the back end
/// stopped. VQ_PAIRS_SET is ring enables. The caller serialises the calls.
/// </summary>
public sealed class VhostRingSet(VirtioNetDevice device, IVhostBackend backend)
{
    private readonly bool[] _started = new bool[device.Queues.Count];
    private readonly bool[] _enabled = new bool[device.Queues.Count];

    /// <summary>True while some ring is with the back end.</summary>
    public bool AnyStarted => _started.Any(s => s);

    /// <summary>Whether queue <paramref name="queue"/> is with the back end now.</summary>
    public bool IsStarted(int queue) => _started[queue];

    /// <summary>
    /// Hands every enabled data ring that is not with the back end yet to it (the control queue never),
    /// then enables the rings of the first <paramref name="pairs"/> pairs only. Throws
    /// VhostBackendException when the back end refuses a ring; the rings started so far stay started.
    /// </summary>
    /// <param name="kicks">Each queue's kick eventfd.</param>
    /// <param name="callOfVector">The irqfd eventfd of an MSI-X vector; null for NO_VECTOR, when <paramref name="noVector"/> is given instead.</param>
    public void Start(IReadOnlyList<FileDescriptor> kicks, Func<int, FileDescriptor?> callOfVector, FileDescriptor noVector, int pairs)
    {
        for (int q = 0; q < _started.Length; q++)
        {
            SplitQueue queue = device.Queues[q];
            if (_started[q] || !queue.IsEnabled || !device.TryGetPairOfQueue(q, out _, out _)) continue;
            FileDescriptor call = callOfVector(queue.MsixVector) ?? noVector;
            backend.StartRing(new VhostRing(q, queue.Size, queue.DescriptorTable, queue.DriverArea, queue.DeviceArea), queue.NextAvail, kicks[q], call);
            _started[q] = _enabled[q] = true; // StartRing ends enabled
        }
        EnablePairs(pairs);
    }

    /// <summary>VQ_PAIRS_SET: the started rings of pairs below <paramref name="pairs"/> enabled, the others disabled (only changes are sent).</summary>
    public void EnablePairs(int pairs)
    {
        for (int q = 0; q < _started.Length; q++)
        {
            if (!_started[q] || !device.TryGetPairOfQueue(q, out int k, out _) || _enabled[q] == k < pairs) continue;
            backend.SetRingEnabled(q, k < pairs);
            _enabled[q] = k < pairs;
        }
    }

    /// <summary>
    /// GET_VRING_BASE for every started ring; each enabled queue resumes from the answer. A ring that does
    /// not stop cleanly is logged and counted as stopped (the back end is then of no further use for it).
    /// </summary>
    public void Stop(IGuestMemory memory, Action<string> log)
    {
        for (int q = 0; q < _started.Length; q++)
        {
            if (!_started[q]) continue;
            _started[q] = _enabled[q] = false;
            try
            {
                ushort lastAvail = backend.StopRing(q);
                SplitQueue queue = device.Queues[q];
                if (queue.IsEnabled) queue.SetBase(lastAvail, queue.ReadUsedIndex(memory));
            }
            catch (VhostBackendException e)
            {
                log($"ring {q} did not stop cleanly: {e.Message}");
            }
        }
    }
}
