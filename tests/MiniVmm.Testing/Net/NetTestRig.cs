using Xunit;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Testing;

/// <summary>A virtio-net device on a virtio-pci transport over 4 MiB of fake RAM, with a driver, fake MSI and fake back ends.</summary>
public sealed class NetTestRig
{
    public const ulong BarBase = 0xC000_0000;

    public NetTestRig(VirtioNetOptions? options = null, int memoryBytes = 4 << 20)
    {
        Memory = new ArrayGuestMemory(memoryBytes);
        Device = new VirtioNetDevice(options ?? new VirtioNetOptions { QueuePairs = 4 }, Memory);
        Transport = new VirtioPciTransport(Device, Msi, Memory, new GuestAddress(BarBase));
        Driver = new VirtioPciDriver(Transport, Memory);
        foreach (NetQueuePair pair in Device.Pairs)
        {
            var backend = new FakeNetBackendQueue();
            Backends.Add(backend);
            pair.Backend = backend;
        }
    }

    public ArrayGuestMemory Memory { get; }
    public VirtioNetDevice Device { get; }
    public VirtioPciTransport Transport { get; }
    public VirtioPciDriver Driver { get; }
    public FakeMsiInterrupts Msi { get; } = new();
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

    /// <summary>Negotiates, sets up every queue with vector = queue index (config vector = last), enables MSI-X, sets DRIVER_OK.</summary>
    public void Start(ulong features, ushort queueSize = 64)
    {
        Assert.True(Driver.Negotiate(features), "device refused the features");
        int queues = (int)Driver.Read(18, 2);
        for (int q = 0; q < queues; q++)
        {
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
}
