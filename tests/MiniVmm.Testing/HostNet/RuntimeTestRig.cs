using MiniVmm.HostNet;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;
using Xunit;

namespace MiniVmm.Testing;

/// <summary>
/// The device's runtime with its real worker threads, over fake RAM, a virtio-pci transport, fake
/// MSI and a <see cref="FakeNetBackend"/>: kicks are real eventfds, so a driver notify wakes a real
/// worker. For tests of what the threads do (lifecycle, budgets, failures); <see cref="NetTestRig"/>
/// is the synchronous rig for packet work. Given a <see cref="VhostNetDataPath"/> (over a
/// <see cref="FakeVhostNet"/>), it binds it as VirtioNetAttachment does: RAM as one region mapped at
/// <see cref="HostBase"/>, the kick eventfds, and one call eventfd per MSI-X vector.
/// </summary>
public sealed class RuntimeTestRig : IDisposable
{
    /// <summary>Where the rig says its guest RAM is mapped (what vhost-net's addresses are made of).</summary>
    public const ulong HostBase = 0x7f55_0000_0000;

    private readonly EventFd[] _kicks;
    private readonly EventFd[] _calls;

    public RuntimeTestRig(int pairs = 2, int memoryBytes = 4 << 20)
        : this(new FakeNetBackend(pairs), new VirtioNetOptions { QueuePairs = pairs }, memoryBytes)
    {
    }

    /// <summary>A rig over any back end (a real TAP and steering back end in host tests), which it then owns.</summary>
    public RuntimeTestRig(INetBackend backend, VirtioNetOptions options, int memoryBytes = 4 << 20, VhostNetDataPath? vhost = null)
    {
        Memory = new ArrayGuestMemory(memoryBytes);
        NetBackend = backend;
        Runtime = new NetDeviceRuntime("test0", options, backend, line => { lock (Log) Log.Add(line); }, vhost);
        _kicks = Enumerable.Range(0, Runtime.Device.Queues.Count).Select(_ => new EventFd()).ToArray();
        _calls = Enumerable.Range(0, Runtime.Device.Queues.Count + 1).Select(_ => new EventFd()).ToArray();
        Runtime.Bind(Memory, _kicks.Select(k => (FileDescriptor?)k.Handle).ToArray(), busMaster: false);
        Transport = new VirtioPciTransport(Runtime.Device, Msi, Memory, new GuestAddress(NetTestRig.BarBase));
        Driver = new VirtioPciDriver(Transport, Memory);
        vhost?.Bind([new SharedMemoryRegion(new GuestAddress(0), (ulong)memoryBytes, null, 0, UserAddress: 0) { HostAddress = HostBase }],
            [.. _kicks.Select(k => k.Handle)], CallOfVector);
    }

    /// <summary>Queue <paramref name="queue"/>'s kick eventfd.</summary>
    public FileDescriptor Kick(int queue) => _kicks[queue].Handle;

    /// <summary>The call eventfd of MSI-X vector <paramref name="vector"/> (null for NO_VECTOR), as VirtioPciFunction.CallFdOf answers.</summary>
    public FileDescriptor? CallOfVector(int vector) => (uint)vector < (uint)_calls.Length ? _calls[vector].Handle : null;

    public ArrayGuestMemory Memory { get; }
    /// <summary>The back end when it is the fake one (the default).</summary>
    public FakeNetBackend Backend => NetBackend as FakeNetBackend ?? throw new InvalidOperationException("this rig runs a real back end");

    public INetBackend NetBackend { get; }
    public NetDeviceRuntime Runtime { get; }
    public VirtioNetDevice Device => Runtime.Device;
    public VirtioPciTransport Transport { get; }
    public VirtioPciDriver Driver { get; }
    public FakeMsiInterrupts Msi { get; } = new();
    public List<string> Log { get; } = [];
    public Dictionary<int, VirtqueueDriver> Queues { get; } = [];

    public VirtqueueDriver Rx(int pair) => Queues[2 * pair];
    public VirtqueueDriver Tx(int pair) => Queues[2 * pair + 1];
    public VirtqueueDriver Control => Queues[Device.ControlQueueIndex];

    public bool NeedsReset => (Transport.Status & VirtioDeviceStatus.DeviceNeedsReset) != 0;

    /// <summary>Negotiates, sets up every queue, enables MSI-X and sets DRIVER_OK: the workers start.</summary>
    /// <param name="expectActive">False for a test whose device fails at DRIVER_OK (DEVICE_NEEDS_RESET).</param>
    public void Start(ulong features, ushort queueSize = 64, bool expectActive = true)
    {
        Queues.Clear();
        Assert.True(Driver.Negotiate(features), "device refused the features");
        int queues = (int)Driver.Read(18, 2);
        for (int q = 0; q < queues; q++)
        {
            Queues[q] = Driver.SetUpQueue(q, q == queues - 1 ? (ushort)16 : queueSize, (ushort)q);
        }
        Driver.Write(16, 2, (uint)queues);
        Driver.EnableMsix(queues + 1);
        Driver.DriverOk();
        Assert.Equal(expectActive, Device.IsActive);
    }

    /// <summary>Posts a control command (<see cref="VirtioNetCommands"/>) and waits for the control worker's ack.</summary>
    public byte SendControl(byte[][] parts)
    {
        var buffers = new List<(GuestAddress, uint, bool)>();
        foreach (byte[] part in parts)
        {
            GuestAddress at = Driver.Allocate((ulong)Math.Max(part.Length, 1));
            Memory.Write(at, part);
            buffers.Add((at, (uint)part.Length, false));
        }
        GuestAddress ack = Driver.Allocate(1);
        Memory.Write(ack, [0xAA]);
        buffers.Add((ack, 1, true));
        ushort used = Control.UsedIdx;
        Control.AddChain([.. buffers]);
        Driver.Notify(Device.ControlQueueIndex);
        Assert.True(WaitFor(() => Control.UsedIdx != used), "the control command was not answered");
        return Memory.GetSpan(ack, 1)[0];
    }

    /// <summary>Writes 0 to device_status: the workers are stopped and joined before this returns.</summary>
    public void Reset() => Driver.Write(20, 1, 0);

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds; the condition is what the test asserts next.</summary>
    public static bool WaitFor(Func<bool> condition, int timeoutMs = 5000)
    {
        var deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    public void Dispose()
    {
        Runtime.Dispose();
        foreach (EventFd k in _kicks) k.Dispose();
        foreach (EventFd c in _calls) c.Dispose();
    }
}
