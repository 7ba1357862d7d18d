using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.VhostUser;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// Just enough of a virtio-net device for a real driver over vhost-user, for smoke tests of the
/// session and the UML rig: the control queue answers VIRTIO_NET_OK to every command (on its
/// own thread, woken by the ring's kick), and a test can put a frame with a hash report into a
/// receive queue (<see cref="TryInject"/>). Transmitted frames are never taken. Records its calls
/// as <see cref="FakeVhostUserDevice"/> does, through one.
/// </summary>
public sealed class MinimalVhostUserNetDevice : IVhostUserDevice
{
    private const int HashHeaderBytes = 20; // struct virtio_net_hdr_v1_hash
    private readonly FakeVhostUserDevice _record;
    private readonly object _lock = new();
    private readonly Dictionary<int, (SplitQueue Queue, VhostRingSetup Setup)> _rings = [];
    private IGuestMemory? _memory;
    private Thread? _control;
    private EventFd? _stopControl;

    public MinimalVhostUserNetDevice(int queuePairs = 4) => _record = new FakeVhostUserDevice(queuePairs);

    public ulong DeviceFeatures => _record.DeviceFeatures;
    public int QueueCount => _record.QueueCount;
    public int QueuePairs => _record.QueuePairs;
    public int ConfigSizeBytes => _record.ConfigSizeBytes;
    public IReadOnlyList<string> Calls => _record.Calls;

    /// <summary>Control commands received, as hex of their readable bytes (class, command, data).</summary>
    public List<string> ControlCommands { get; } = [];

    public event Action? ConfigChanged
    {
        add => _record.ConfigChanged += value;
        remove => _record.ConfigChanged -= value;
    }

    public void ReadConfig(int offset, Span<byte> data) => _record.ReadConfig(offset, data);
    public void WriteConfig(int offset, ReadOnlySpan<byte> data) => _record.WriteConfig(offset, data);

    public void Activate(ulong features, IGuestMemory memory)
    {
        _record.Activate(features, memory);
        lock (_lock) _memory = memory;
    }

    public void StartRing(int index, VhostRingSetup setup)
    {
        _record.StartRing(index, setup);
        var queue = new SplitQueue(32768);
        if (!queue.TrySetSize((ushort)setup.Size)) throw new InvalidOperationException($"ring {index}: size {setup.Size}");
        queue.DescriptorTable = setup.DescriptorTable;
        queue.DriverArea = setup.AvailableRing;
        queue.DeviceArea = setup.UsedRing;
        lock (_lock)
        {
            string? error = queue.TryEnable(_memory!);
            if (error is not null) throw new InvalidOperationException(error);
            _rings[index] = (queue, setup);
        }
        if (index == QueueCount - 1) StartControl(queue, setup);
    }

    public ushort StopRing(int index)
    {
        if (index == QueueCount - 1) StopControl();
        lock (_lock) _rings.Remove(index);
        return _record.StopRing(index);
    }

    public void Reset()
    {
        StopControl();
        lock (_lock)
        {
            _rings.Clear();
            _memory = null;
        }
        _record.Reset();
    }

    /// <summary>
    /// Puts <paramref name="frame"/> into receive queue <paramref name="pair"/> behind a 20-byte
    /// header reporting <paramref name="hash"/> as <paramref name="hashReport"/>, and interrupts the
    /// driver; false when the ring is not running or has no buffer posted.
    /// </summary>
    public bool TryInject(int pair, ReadOnlySpan<byte> frame, uint hash, ushort hashReport)
    {
        lock (_lock)
        {
            if (_memory is null || !_rings.TryGetValue(2 * pair, out var ring)) return false;
            if (!ring.Queue.TryPopChain(_memory, out DescriptorChain chain)) return false;
            var packet = new byte[HashHeaderBytes + frame.Length];
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(10), 1);    // num_buffers
            BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(12), hash); // hash_value
            BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(16), hashReport);
            frame.CopyTo(packet.AsSpan(HashHeaderBytes));
            int written = chain.ScatterWritable(_memory, packet);
            ring.Queue.AddUsed(_memory, chain.Head, (uint)written);
            ring.Queue.PublishUsed(_memory);
            ring.Setup.Call.Signal();
            return true;
        }
    }

    private void StartControl(SplitQueue queue, VhostRingSetup setup)
    {
        var stop = new EventFd();
        _stopControl = stop;
        _control = new Thread(() => ServeControl(queue, setup, stop)) { Name = "fake-net-ctrl", IsBackground = true };
        _control.Start();
    }

    private void StopControl()
    {
        _stopControl?.Signal();
        _control?.Join();
        _stopControl?.Dispose();
        _control = null;
        _stopControl = null;
    }

    private void ServeControl(SplitQueue queue, VhostRingSetup setup, EventFd stop)
    {
        using var epoll = new Epoll();
        epoll.Add(setup.Kick, EpollEvents.In, 1);
        epoll.Add(stop.Handle, EpollEvents.In, 2);
        var events = new EpollEvent[2];
        while (true)
        {
            int n = epoll.Wait(events, -1);
            for (int i = 0; i < n; i++)
            {
                if (events[i].Token == 2) return;
                EventFd.Drain(setup.Kick);
            }
            lock (_lock)
            {
                if (_memory is null) return;
                while (queue.TryPopChain(_memory, out DescriptorChain chain))
                {
                    var command = new byte[chain.ReadableBytes];
                    chain.GatherReadable(_memory, command);
                    lock (ControlCommands) ControlCommands.Add(Convert.ToHexString(command));
                    chain.ScatterWritable(_memory, [0]); // VIRTIO_NET_OK in the one writable byte
                    queue.AddUsed(_memory, chain.Head, 1);
                }
                queue.PublishUsed(_memory);
            }
            setup.Call.Signal();
        }
    }
}
