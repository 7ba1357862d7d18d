using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;
using Xunit;

namespace MiniVmm.Testing;

/// <summary>
/// A virtio-net device on a virtio-pci transport over 4 MiB of fake RAM, with a driver, fake MSI,
/// a fake host and fake back-end queues. The rig plays the workers synchronously: <see cref="ProcessRx"/>,
/// <see cref="ProcessTx"/> and <see cref="ProcessControl"/> run the device's packet work and send
/// the notifications and failure reports its outcomes ask for, as QueuePairWorker does.
/// </summary>
public sealed class NetTestRig
{
    public const ulong BarBase = 0xC000_0000;

    public NetTestRig(VirtioNetOptions? options = null, int memoryBytes = 4 << 20)
    {
        Memory = new ArrayGuestMemory(memoryBytes);
        Device = new VirtioNetDevice(options ?? new VirtioNetOptions { QueuePairs = 4 }, Host);
        Transport = new VirtioPciTransport(Device, Msi, Memory, new GuestAddress(BarBase));
        Driver = new VirtioPciDriver(Transport, Memory);
        foreach (NetQueuePair _ in Device.Pairs)
        {
            Backends.Add(new FakeNetBackendQueue());
        }
    }

    public ArrayGuestMemory Memory { get; }
    public VirtioNetDevice Device { get; }
    public VirtioPciTransport Transport { get; }
    public VirtioPciDriver Driver { get; }
    public FakeMsiInterrupts Msi { get; } = new();
    public FakeNetDeviceHost Host { get; } = new();
    public List<FakeNetBackendQueue> Backends { get; } = [];
    public Dictionary<int, VirtqueueDriver> Queues { get; } = [];

    /// <summary>The usual driver features: VERSION_1, MAC, STATUS, CTRL_VQ, MQ, plus <paramref name="extra"/>.</summary>
    public static ulong BaseFeatures(params int[] extra)
    {
        ulong f = VirtioFeature.Bit(VirtioFeature.Version1) | Bit(VirtioNetFeature.Mac) | Bit(VirtioNetFeature.Status)
            | Bit(VirtioNetFeature.CtrlVq) | Bit(VirtioNetFeature.Mq);
        foreach (int e in extra)
        {
            f |= Bit(e);
        }
        return f;
    }

    public static ulong Bit(int b) => 1UL << b;

    /// <summary>
    /// Negotiates, sets up every queue (but <paramref name="skipQueues"/>) with vector = queue index
    /// (config vector = last), enables MSI-X, sets DRIVER_OK.
    /// </summary>
    public void Start(ulong features, ushort queueSize = 64, int[]? skipQueues = null)
    {
        Assert.True(Driver.Negotiate(features), "device refused the features");
        int queues = (int)Driver.Read(18, 2);
        for (int q = 0; q < queues; q++)
        {
            if (skipQueues?.Contains(q) == true) continue;
            Queues[q] = Driver.SetUpQueue(q, q == queues - 1 ? (ushort)16 : queueSize, (ushort)q);
        }
        Driver.Write(16, 2, (uint)queues); // config vector
        Driver.EnableMsix(queues + 1);
        Driver.DriverOk();
        Assert.True(Device.IsActive);
    }

    public VirtqueueDriver Rx(int pair) => Queues[2 * pair];
    public VirtqueueDriver Tx(int pair) => Queues[2 * pair + 1];
    public VirtqueueDriver Control => Queues[Device.ControlQueueIndex];

    public bool NeedsReset => (Transport.Status & VirtioDeviceStatus.DeviceNeedsReset) != 0;

    /// <summary>Pair <paramref name="pair"/>'s receive work with its fake back end, as its worker would run it.</summary>
    public RxOutcome ProcessRx(int pair, int budget = NetQueuePair.DefaultBudget)
    {
        NetQueuePair p = Device.Pairs[pair];
        RxOutcome outcome = p.ProcessRx(Memory, Backends[pair], Device.Steering.Configuration, budget);
        if (outcome.NeedsNotification) Transport.SignalQueue(p.RxQueueIndex);
        if (outcome.Failure is VirtioFailure failure) Transport.MarkNeedsReset(failure);
        return outcome;
    }

    /// <summary>Pair <paramref name="pair"/>'s transmit work, as its worker would run it.</summary>
    public TxOutcome ProcessTx(int pair, int budget = NetQueuePair.DefaultBudget)
    {
        NetQueuePair p = Device.Pairs[pair];
        TxOutcome outcome = p.ProcessTx(Memory, Backends[pair], budget);
        if (outcome.NeedsNotification) Transport.SignalQueue(p.TxQueueIndex);
        if (outcome.Failure is VirtioFailure failure) Transport.MarkNeedsReset(failure);
        return outcome;
    }

    /// <summary>Answers the pending control commands, as the control queue's worker would.</summary>
    public ControlOutcome ProcessControl()
    {
        ControlOutcome outcome = Device.ProcessControlQueue(Memory);
        if (outcome.NeedsNotification) Transport.SignalQueue(Device.ControlQueueIndex);
        if (outcome.Failure is VirtioFailure failure) Transport.MarkNeedsReset(failure);
        return outcome;
    }
}
