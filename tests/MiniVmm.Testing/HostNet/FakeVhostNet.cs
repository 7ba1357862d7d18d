using MiniVmm.Native;
using MiniVmm.Native.Vhost;

namespace MiniVmm.Testing;

/// <summary>
/// A stand-in for the kernel's vhost-net (these machines have no /dev/vhost-net): <see cref="Open"/>
/// hands out <see cref="FakeVhostDevice"/>s that write every ioctl, with its arguments, to one ordered
/// <see cref="Calls"/> log ("fd1 VHOST_SET_VRING_NUM {index 0, num 256}"), and answer as the kernel
/// would for what the tests need: the offered features, a ring's base, and a chosen errno.
/// </summary>
public sealed class FakeVhostNet
{
    /// <summary>VHOST_NET_FEATURES of Linux 6.1 (drivers/vhost/net.c): NOTIFY_ON_EMPTY, ANY_LAYOUT (= VHOST_NET_F_VIRTIO_NET_HDR), INDIRECT_DESC, EVENT_IDX, LOG_ALL, MRG_RXBUF, VERSION_1, ACCESS_PLATFORM, RING_RESET.</summary>
    public const ulong MainlineFeatures = (1UL << 24) | (1UL << 27) | (1UL << 28) | (1UL << 29) | (1UL << 26) | (1UL << 15) | (1UL << 32) | (1UL << 33) | (1UL << 40);

    private readonly object _lock = new();
    private readonly List<string> _calls = [];
    private readonly List<FakeVhostDevice> _devices = [];

    /// <summary>What VHOST_GET_FEATURES answers.</summary>
    public ulong Features { get; set; } = MainlineFeatures;

    /// <summary>When set, opening fails with this errno (as open(2) of a missing /dev/vhost-net: ENOENT).</summary>
    public int? OpenErrno { get; set; }

    /// <summary>An ioctl name (and, optionally, " index N") that fails with the errno, e.g. ("VHOST_NET_SET_BACKEND", EBADFD).</summary>
    public (string Ioctl, int Errno)? Fail { get; set; }

    /// <summary>How far the kernel moved each ring's last_avail_idx beyond its base, by "fdK ringR" (what GET_VRING_BASE then answers).</summary>
    public Dictionary<string, ushort> Consumed { get; } = [];

    public IReadOnlyList<string> Calls
    {
        get { lock (_lock) return [.. _calls]; }
    }

    public IReadOnlyList<FakeVhostDevice> Devices
    {
        get { lock (_lock) return [.. _devices]; }
    }

    /// <summary>Open fds (opened and not disposed).</summary>
    public int OpenCount
    {
        get { lock (_lock) return _devices.Count(d => !d.Disposed); }
    }

    /// <summary>Opens one fake fd; throws as open(2) would when <see cref="OpenErrno"/> is set.</summary>
    public IVhostDevice Open()
    {
        lock (_lock)
        {
            if (OpenErrno is int errno) throw new SyscallException($"open {VhostNetDevice.DevicePath}", errno);
            var device = new FakeVhostDevice(this, $"fd{_devices.Count}");
            _devices.Add(device);
            return device;
        }
    }

    /// <summary>The calls with this prefix removed from each, of the calls that have it ("fd1 ").</summary>
    public IReadOnlyList<string> CallsOf(string device) =>
        [.. Calls.Where(c => c.StartsWith(device + " ", StringComparison.Ordinal)).Select(c => c[(device.Length + 1)..])];

    public void ClearCalls()
    {
        lock (_lock) _calls.Clear();
    }

    /// <summary>Logs a call and throws when it is the one set to fail.</summary>
    internal void Record(string device, string call)
    {
        lock (_lock)
        {
            _calls.Add($"{device} {call}");
            if (Fail is (string ioctl, int errno) && call.StartsWith(ioctl, StringComparison.Ordinal)) throw new SyscallException(ioctl, errno);
        }
    }
}
