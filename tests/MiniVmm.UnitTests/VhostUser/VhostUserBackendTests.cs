using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// Our front end's vhost-user client against our own listener and session with a fake device: the
/// negotiation, the config space, the memory table and ring hand-over reach the device as a
/// session sees them, config changes come back on the slave channel, and a back end that goes away
/// is noticed.
/// </summary>
public sealed class VhostUserBackendTests : IDisposable
{
    private readonly string _socket = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
    private readonly FakeVhostUserDevice _device = new(queuePairs: 2);
    private readonly List<string> _log = [];
    private readonly VhostUserListener _listener;

    public VhostUserBackendTests()
    {
        _listener = VhostUserListener.Start(_socket, _device, line => { lock (_log) _log.Add(line); });
    }

    public void Dispose() => _listener.Dispose();

    private static bool Eventually(Func<bool> condition) => RuntimeTestRig.WaitFor(condition);

    [Fact]
    public void Connecting_negotiates_what_both_sides_implement()
    {
        using VhostUserBackend backend = VhostUserBackend.Connect(_socket);
        Assert.Equal(_device.DeviceFeatures, backend.Features);
        Assert.Equal(2, backend.QueuePairs);
        Assert.Equal(VhostUserProtocolFeatures.Offered, backend.ProtocolFeatures);
        Assert.Equal("vhost-user " + _socket, backend.Name);
    }

    [Fact]
    public void The_config_space_is_read_with_get_config()
    {
        _device.Config[0] = 0x02;
        _device.Config[5] = 0x42;
        using VhostUserBackend backend = VhostUserBackend.Connect(_socket);
        var config = new byte[24];
        Assert.True(backend.TryReadConfig(config));
        Assert.Equal(_device.Config[..24], config);
    }

    [Fact]
    public void Features_memory_and_a_ring_reach_the_device_and_stopping_returns_its_base()
    {
        using VhostUserBackend backend = VhostUserBackend.Connect(_socket);
        using FileDescriptor ram = MemFd.Create("mvt-ram", 1 << 20);
        backend.SetFeatures(_device.DeviceFeatures);
        backend.SetMemoryTable([new SharedMemoryRegion(new GuestAddress(0), 1 << 20, ram, 0, UserAddress: 0)]);
        using EventFd kick = new(), call = new();
        backend.StartRing(new VhostRing(1, 64, new GuestAddress(0x1000), new GuestAddress(0x2000), new GuestAddress(0x3000)), 7, kick.Handle, call.Handle);
        Assert.True(Eventually(() => _device.RunningRings.Contains(1)), "the ring did not start");
        Assert.Contains($"Activate 0x{_device.DeviceFeatures:x}", _device.Calls);
        Assert.Contains("StartRing 1 size=64 desc=0x1000 avail=0x2000 used=0x3000 base=7", _device.Calls);
        Assert.Equal(_device.StopBase(1), backend.StopRing(1));
        Assert.DoesNotContain(1, _device.RunningRings);
    }

    [Fact]
    public void A_config_change_of_the_back_end_arrives_on_the_slave_channel()
    {
        using VhostUserBackend backend = VhostUserBackend.Connect(_socket);
        int changes = 0;
        backend.ConfigChanged += () => Interlocked.Increment(ref changes);
        Assert.True(Eventually(() => _listener.Connections == 1));
        _device.RaiseConfigChanged();
        Assert.True(Eventually(() => Volatile.Read(ref changes) == 1), "CONFIG_CHANGE_MSG did not arrive");
    }

    [Fact]
    public void A_back_end_that_goes_away_is_noticed_and_requests_fail_with_one_line()
    {
        VhostUserBackend backend = VhostUserBackend.Connect(_socket);
        using (backend)
        {
            bool gone = false;
            backend.Disconnected += () => gone = true;
            _listener.Dispose();
            Assert.True(Eventually(() => gone), "the disconnect was not seen");
            var e = Assert.Throws<VhostBackendException>(() => backend.SetFeatures(_device.DeviceFeatures));
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void No_socket_is_one_line_naming_the_path()
    {
        var e = Assert.Throws<VhostBackendException>(() => VhostUserBackend.Connect("/nonexistent/mvt.sock"));
        Assert.Contains("/nonexistent/mvt.sock", e.Message);
        Assert.Contains("ENOENT", e.Message);
    }
}
