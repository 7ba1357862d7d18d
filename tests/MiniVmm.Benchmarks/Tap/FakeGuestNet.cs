using MiniVmm.HostNet;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// One virtio-net device (one queue pair) on its virtio-pci transport over fake guest RAM, brought
/// up by the unit tests' driver (VirtioPciDriver, VirtqueueDriver) and attached to a real TAP
/// queue. The fake guest keeps every ring full: it posts all buffers once and re-publishes each
/// used buffer as soon as it sees it, so the measured time is the device's work plus a few
/// loads and stores of ring bookkeeping.
/// </summary>
public sealed class FakeGuestNet : IDisposable
{
    private const ushort QueueSize = 256;
    private const uint RxBufferBytes = 2048;
    private readonly ArrayGuestMemory _memory = new(8 << 20);
    private readonly EventFdMsi _msi = new();
    private readonly VirtqueueDriver _rx, _tx;
    private readonly uint _expectedRxLength;
    private readonly TapPort _port;
    private readonly VirtioPciTransport _transport;

    /// <param name="tapQueue">The TAP queue the pair reads from and writes to.</param>
    /// <param name="frame">The frame the guest transmits (and the size it expects to receive).</param>
    public FakeGuestNet(TapQueue tapQueue, byte[] frame)
    {
        var device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 1, QueueSize = QueueSize }, new FakeNetDeviceHost());
        var transport = new VirtioPciTransport(device, _msi, _memory, new GuestAddress(0xC000_0000));
        _transport = transport;
        var driver = new VirtioPciDriver(transport, _memory);
        // §3.1.1: what a plain Linux driver takes here without MQ (one pair), no offloads, no MRG_RXBUF.
        ulong features = VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioNetFeature.Mac);
        if (!driver.Negotiate(features)) throw new InvalidOperationException("the device refused VERSION_1|MAC");
        _rx = driver.SetUpQueue(0, QueueSize, 0);
        _tx = driver.SetUpQueue(1, QueueSize, 1);
        driver.SetUpQueue(2, 64, 2);
        driver.EnableMsix(3);
        Pair = device.Pairs[0];
        _port = new TapPort(tapQueue); // the port every kernel-steered back end gives the pair
        driver.DriverOk();
        if (!device.IsActive) throw new InvalidOperationException("the device did not accept DRIVER_OK");

        // RX: one device-writable buffer per descriptor (§5.1.6.3: header and frame must fit one chain).
        for (int i = 0; i < QueueSize; i++) _rx.AddChain((driver.Allocate(RxBufferBytes), RxBufferBytes, true));
        // TX: header (all zero: no offloads) then the frame, one device-readable descriptor each (§5.1.6.2).
        uint txBytes = (uint)(VirtioNetHeader.Bytes + frame.Length);
        for (int i = 0; i < QueueSize; i++)
        {
            GuestAddress buffer = driver.Allocate(txBytes);
            _memory.Write(buffer + (ulong)VirtioNetHeader.Bytes, frame);
            _tx.AddChain((buffer, txBytes, false));
        }
        _expectedRxLength = txBytes;
        Device = device;
    }

    public VirtioNetDevice Device { get; }

    public NetQueuePair Pair { get; }

    /// <summary>Used RX buffers whose length was not header + frame (a broken path; should stay 0).</summary>
    public long BadRxLengths { get; private set; }

    public long InterruptsSignalled => _msi.Signals;

    /// <summary>
    /// Moves packets TAP -> device -> guest RX ring until the TAP queue is empty; returns how many
    /// the guest received.
    /// </summary>
    public long ReceiveUntilEmpty()
    {
        long received = 0;
        while (true)
        {
            RxOutcome outcome = Pair.ProcessRx(_memory, _port, rss: null);
            if (outcome.NeedsNotification) _transport.SignalQueue(Pair.RxQueueIndex); // as the pair's worker does
            while (_rx.TryTakeUsed(out uint id, out uint length))
            {
                if (length != _expectedRxLength) BadRxLengths++;
                _rx.Publish((ushort)id); // the guest recycles the buffer at once
                received++;
            }
            if (outcome.Stop == RxStop.BackendEmpty) return received;
            if (outcome.Failure is not null) throw new InvalidOperationException("the device stopped: " + outcome.Failure);
        }
    }

    /// <summary>Moves at least <paramref name="packets"/> guest TX chains -> device -> TAP; returns how many went.</summary>
    public long Transmit(long packets)
    {
        long sent = 0;
        while (sent < packets)
        {
            TxOutcome outcome = Pair.ProcessTx(_memory, _port);
            if (outcome.NeedsNotification) _transport.SignalQueue(Pair.TxQueueIndex);
            if (outcome.Failure is not null) throw new InvalidOperationException("the device stopped: " + outcome.Failure);
            while (_tx.TryTakeUsed(out uint id, out _))
            {
                _tx.Publish((ushort)id); // the guest queues the same frame again
                sent++;
            }
        }
        return sent;
    }

    public void Dispose() => _msi.Dispose();
}
