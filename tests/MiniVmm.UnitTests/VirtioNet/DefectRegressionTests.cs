using System.Buffers.Binary;
using MiniVmm.HostNet.Software;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>
/// Defects a benign or hostile guest could reach (issue 8), written against the code before the
/// device-core rebuild so that each is seen failing there first.
/// </summary>
public class DefectRegressionTests
{
    private const byte Ok = 0, Err = 1;
    private static readonly byte[] Key = Enumerable.Range(1, 40).Select(i => (byte)i).ToArray();

    private static NetTestRig Started(ulong features, ushort queueSize = 64)
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4 });
        rig.Start(features, queueSize);
        return rig;
    }

    [Fact]
    public void Clearing_features_ok_on_a_live_device_marks_it_needs_reset()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures());
        // §2.1.2 / §3.1.1: status bits only ever get set until the driver writes 0 (reset); a driver
        // that clears FEATURES_OK to renegotiate on a live device is broken.
        rig.Driver.Write(20, 1, (uint)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.DriverOk));
        Assert.True(rig.NeedsReset);
    }

    [Fact]
    public void Renegotiating_without_mq_after_clearing_status_bits_does_not_reactivate()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures(VirtioNetFeature.Rss));
        rig.Driver.Write(20, 1, (uint)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver));
        rig.Driver.Write(8, 4, 0);
        rig.Driver.Write(12, 4, (uint)(NetTestRig.Bit(VirtioNetFeature.Mac) | NetTestRig.Bit(VirtioNetFeature.CtrlVq)));
        rig.Driver.Write(8, 4, 1);
        rig.Driver.Write(12, 4, 1);
        rig.Driver.DriverOk();
        Assert.True(rig.NeedsReset);
        // The control queue did not move onto receiveq2 (queue 2) of a device that never reset.
        Assert.Equal(8, rig.Device.ControlQueueIndex);
    }

    [Fact]
    public void Rss_config_from_a_linux_6_1_driver_after_ethtool_L_4_is_accepted()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures(VirtioNetFeature.Rss));
        Assert.Equal(Ok, ControlQueueTests.Send(rig, [4, 0, 4, 0]));
        ushort[] table = Enumerable.Range(0, 128).Select(i => (ushort)(i % 4)).ToArray();
        // §5.1.6.5.7.1: max_tx_vq "specifies the maximum number of transmit virtqueues that the driver
        // may use"; table entries name receive queues, which the driver has set up and enabled (all 4).
        // Linux 6.1 sends max_tx_vq = 1 here on a one-CPU guest.
        Assert.Equal(Ok, ControlQueueTests.SendRss(rig, 0x3F, 127, table, 0, 1, Key));
        Assert.Equal(table, rig.Device.Steering.Configuration!.IndirectionTable);
        Assert.Equal(4, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void A_tx_batch_never_publishes_more_than_the_queue_size()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures(), queueSize: 64);
        var data = new GuestAddress(0x200000);
        rig.Memory.Write(data, new byte[12 + 60]);
        VirtqueueDriver tx = rig.Tx(0);
        for (int i = 0; i < 64; i++) tx.AddChain((data, 72, false));
        // A guest that re-posts a head as soon as the device took it, without reading the used ring.
        var racing = new RepostingBackend(tx, limit: 1000);
        ushort usedBefore = tx.UsedIdx;
        rig.Device.Pairs[0].ProcessTx(rig.Memory, racing);
        Assert.InRange((ushort)(tx.UsedIdx - usedBefore), 1, 64);
    }

    [Fact]
    public void An_rx_packet_that_can_never_fit_a_full_ring_is_dropped()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures(VirtioNetFeature.MrgRxbuf), queueSize: 4);
        for (int i = 0; i < 4; i++) rig.Rx(0).AddChain((new GuestAddress(0x200000 + 0x1000UL * (ulong)i), 64, true));
        rig.Backends[0].Inject(new byte[1000]);
        rig.Backends[0].Inject(new byte[40]);
        rig.ProcessRx(0);
        // The ring holds every buffer it can (4 x 64 bytes): 1012 bytes never fit; the next packet goes through.
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(12u + 40, length);
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxDroppedNeverFits);
    }

    [Fact]
    public void Tx_offload_fields_the_driver_did_not_negotiate_never_reach_the_back_end()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures());
        var packet = new GuestAddress(0x200000);
        // §5.1.6.2.1: without VIRTIO_NET_F_CSUM "the driver MUST set flags to zero", and gso_type must
        // be NONE without HOST_TSO4/6: NEEDS_CSUM and GSO_TCPV4 here are a driver error.
        byte[] header = [1, 1, 54, 0, 0xA8, 5, 34, 0, 16, 0, 0, 0];
        rig.Memory.Write(packet, [.. header, .. new byte[1500]]);
        rig.Tx(0).AddChain((packet, 1512, false));
        rig.ProcessTx(0);
        Assert.DoesNotContain(rig.Backends[0].FromGuest, p => p[0] != 0 || p[1] != 0);
        Assert.True(rig.Tx(0).TryTakeUsed(out _, out _), "the chain is still completed");
    }

    [Fact]
    public void A_host_failure_inside_a_control_command_fails_the_command_and_changes_nothing()
    {
        NetTestRig rig = Started(NetTestRig.BaseFeatures());
        rig.Host.FailSteering = "TUNSETQUEUE: ENOMEM";
        byte ack = Err;
        Exception? escaped = Record.Exception(() => ack = ControlQueueTests.Send(rig, [4, 0, 3, 0]));
        Assert.Null(escaped);
        Assert.Equal(Err, ack);
        Assert.Equal(1, rig.Device.Steering.Pairs);
        Assert.False(rig.NeedsReset);
    }

    [Fact]
    public void A_signal_racing_a_mask_is_kept_pending()
    {
        var msi = new GatedMsi();
        var memory = new ArrayGuestMemory(4 << 20);
        var device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 1 }, new FakeNetDeviceHost());
        var transport = new VirtioPciTransport(device, msi, memory, new GuestAddress(NetTestRig.BarBase));
        var driver = new VirtioPciDriver(transport, memory);
        Assert.True(driver.Negotiate(NetTestRig.BaseFeatures()));
        driver.SetUpQueue(0, 64, 0);
        driver.EnableMsix(4);
        driver.DriverOk();
        ulong table = transport.ReadConfig(driver.MsixCap + 4, 4) & ~7u;

        msi.HoldNextSignal();
        var signaller = new Thread(() => transport.SignalQueue(0));
        signaller.Start();
        Assert.True(msi.SignalEntered.Wait(TimeSpan.FromSeconds(5)));
        // The guest masks vector 0 while the device is in the middle of sending it.
        var masker = new Thread(() => driver.WriteMsixEntry(table, 0, 0xFEE0_0000, 0x40, masked: true));
        masker.Start();
        masker.Join(TimeSpan.FromMilliseconds(200));
        msi.Release();
        signaller.Join();
        masker.Join();
        // PCI 3.0 §6.8.3.5: a message that cannot be sent while masked stays pending; it is lost only
        // if it went out after the mask took the route away and no pending bit was set.
        Assert.True(msi.DeliveredWhileUnmasked || transport.IsMsixPending(0), "the interrupt was lost");
    }

    [Fact]
    public void Software_steering_rings_do_not_grow_with_the_square_of_the_pairs()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var exchange = new SteeringExchange(16);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 8L << 20, $"{allocated >> 20} MiB allocated up front for 16 pairs");
    }

    /// <summary>Accepts every packet and re-posts the head the device just consumed (up to a limit).</summary>
    private sealed class RepostingBackend(VirtqueueDriver tx, int limit) : INetBackendQueue
    {
        private int _writes;

        public int HeaderBytes => VirtioNetHeader.Bytes;

        public BackendResult Read(Span<byte> packet) => BackendResult.WouldBlock;

        public BackendResult Write(ReadOnlySpan<byte> packet)
        {
            if (++_writes <= limit) tx.Publish((ushort)((_writes - 1) % tx.Size));
            return BackendResult.Written;
        }

        public RxHash HashOf(ReadOnlySpan<byte> packet, MiniVmm.Rss.RssConfiguration configuration) => RxHash.None;
    }

    /// <summary>MSI delivery that models KVM: a signal with no route (masked) is dropped.</summary>
    private sealed class GatedMsi : IMsiInterrupts
    {
        private readonly Dictionary<int, bool> _masked = [];
        private ManualResetEventSlim? _gate;
        private ManualResetEventSlim? _held;

        public ManualResetEventSlim SignalEntered { get; } = new();

        public bool DeliveredWhileUnmasked { get; private set; }

        public void HoldNextSignal() => _gate = _held = new ManualResetEventSlim();

        public void Release() => _held?.Set();

        public void Configure(int vector, ulong address, uint data, bool masked)
        {
            lock (_masked) _masked[vector] = masked;
        }

        public bool TakeSignalWhileMasked(int vector) => false;

        public void Signal(int vector)
        {
            ManualResetEventSlim? gate = _gate;
            _gate = null;
            SignalEntered.Set();
            gate?.Wait(TimeSpan.FromSeconds(5));
            lock (_masked)
            {
                if (!_masked.GetValueOrDefault(vector, true)) DeliveredWhileUnmasked = true;
            }
        }
    }
}
