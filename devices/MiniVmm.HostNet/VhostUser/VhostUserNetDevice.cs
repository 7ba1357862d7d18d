using MiniVmm.Memory;
using MiniVmm.VhostUser;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.HostNet.VhostUser;

/// <summary>
/// The device core served over vhost-user: what a session asks of its device (IVhostUserDevice),
/// carried out by the same <see cref="NetDeviceRuntime"/> that runs under virtio-pci. Rings become
/// the device's split queues (configured, enabled, resumed from last_avail_idx and the used index in
/// guest memory); the front end's kick fds go into the workers' epolls; the workers' notifications
/// go to the rings' call fds, configuration changes to the slave channel, and a failed ring signals
/// its error fd (a back end cannot set device status). When the front end keeps the control queue
/// (QEMU: CTRL_VQ is not negotiated with the back end), the receive pairs in use follow the receive
/// rings it started, as its VQ_PAIRS_SET becomes ring enables.
/// </summary>
public sealed class VhostUserNetDevice : IVhostUserDevice, IVirtioInterrupts
{
    private readonly NetDeviceRuntime _runtime;
    private readonly Action<string> _log;
    private readonly object _lock = new();
    private readonly VhostRingSetup?[] _rings;
    private readonly ulong _offeredFeatures;

    /// <param name="log">One-line diagnostics (failed rings, host errors).</param>
    public VhostUserNetDevice(NetDeviceRuntime runtime, Action<string> log)
    {
        _runtime = runtime;
        _log = log;
        _rings = new VhostRingSetup?[runtime.Device.Queues.Count];
        // EVENT_IDX and INDIRECT_DESC are ring features the device implements whatever the transport.
        _offeredFeatures = runtime.Device.DeviceFeatures;
        runtime.Device.Bind(this);
    }

    private VirtioNetDevice Device => _runtime.Device;

    public ulong DeviceFeatures => _offeredFeatures;

    public int QueueCount => Device.Queues.Count;

    public int QueuePairs => Device.Pairs.Count;

    public int ConfigSizeBytes => Device.ConfigSizeBytes;

    public event Action? ConfigChanged;

    public void ReadConfig(int offset, Span<byte> data) => Device.ReadConfig(offset, data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => Device.WriteConfig(offset, data);

    public void Activate(ulong features, IGuestMemory memory)
    {
        // A front end that keeps the control queue (QEMU 7.2 sends MQ without CTRL_VQ) has met the
        // MQ -> CTRL_VQ dependency of §5.1.3.1 itself and turns VQ_PAIRS_SET into ring enables
        // (FollowReceiveRings). RSS without CTRL_VQ is still refused: its configuration would never reach us.
        ulong mqBit = VirtioFeature.Bit(VirtioNetFeature.Mq), ctrlBit = VirtioFeature.Bit(VirtioNetFeature.CtrlVq);
        ulong checkedFeatures = (features & ctrlBit) != 0 ? features : features & ~mqBit;
        if ((features & ~_offeredFeatures) != 0 || !Device.AcceptsFeatures(checkedFeatures))
        {
            throw new ArgumentException($"features 0x{features:x} are not a consistent subset of the offer 0x{_offeredFeatures:x}");
        }
        _runtime.Bind(memory, new Native.FileDescriptor?[QueueCount], busMaster: true);
        Device.Activate(features);
    }

    public void StartRing(int index, VhostRingSetup setup)
    {
        if ((uint)index >= (uint)QueueCount) throw new ArgumentOutOfRangeException(nameof(index), index, $"the device has {QueueCount} rings");
        SplitQueue queue = Device.Queues[index];
        if (!queue.TrySetSize((ushort)setup.Size))
        {
            throw new ArgumentException($"ring {index}: size {setup.Size} is not a power of two up to {queue.MaxSize}");
        }
        queue.DescriptorTable = setup.DescriptorTable;
        queue.DriverArea = setup.AvailableRing;
        queue.DeviceArea = setup.UsedRing;
        IGuestMemory memory = _runtime.Memory ?? throw new InvalidOperationException("ring started before activation");
        if (queue.TryEnable(memory) is string error)
        {
            queue.Reset();
            throw new ArgumentException($"ring {index}: {error}");
        }
        queue.SetFeatures(Device.NegotiatedFeatures);
        queue.SetBase(setup.LastAvailIndex, queue.ReadUsedIndex(memory));
        lock (_lock) _rings[index] = setup;
        _runtime.StartRing(index, setup.Kick);
        FollowReceiveRings();
    }

    public ushort StopRing(int index)
    {
        SplitQueue queue = Device.Queues[index];
        ushort lastAvail = 0;
        _runtime.StopRing(index, () =>
        {
            // No worker touches the queue here.
            lastAvail = queue.NextAvail;
            queue.Reset();
        });
        lock (_lock) _rings[index] = null;
        FollowReceiveRings();
        return lastAvail;
    }

    public void Reset()
    {
        Device.Reset(); // stops and joins every worker
        foreach (SplitQueue queue in Device.Queues) queue.Reset();
        lock (_lock) Array.Clear(_rings);
    }

    // IVirtioInterrupts: what the workers ask of the transport.

    public void SignalQueue(int queueIndex) => RingOf(queueIndex)?.Call.Signal();

    public void SignalConfigurationChange() => ConfigChanged?.Invoke();

    /// <summary>
    /// The failed ring's error fd (every started ring's, for a device-wide failure). The device stops
    /// using its rings until the front end resets it (§2.1.2, what a front end does on an error fd:
    /// QEMU marks the whole device broken), and keeps the failure for reports (ctl info).
    /// </summary>
    public void MarkNeedsReset(VirtioFailure failure)
    {
        _log($"ring failed: {failure}");
        Device.Halt(failure);
        if (failure.Queue is int q)
        {
            RingOf(q)?.Error.Signal();
            return;
        }
        VhostRingSetup?[] rings;
        lock (_lock) rings = [.. _rings];
        foreach (VhostRingSetup? ring in rings) ring?.Error.Signal();
    }

    private VhostRingSetup? RingOf(int index)
    {
        lock (_lock) return (uint)index < (uint)_rings.Length ? _rings[index] : null;
    }

    /// <summary>Without a control queue of ours, the receive pairs in use are the receive rings the front end started.</summary>
    private void FollowReceiveRings()
    {
        if (!Device.IsActive || Device.HasFeature(VirtioNetFeature.CtrlVq)) return;
        int pairs = 1;
        lock (_lock)
        {
            for (int k = 0; k < Device.Pairs.Count; k++)
            {
                if (_rings[2 * k] is not null) pairs = k + 1;
            }
        }
        if (Device.SetReceivePairs(pairs) is string error) _log($"cannot attach {pairs} receive queues: {error}");
    }
}
