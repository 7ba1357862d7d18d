using MiniVmm.HostNet.VhostFrontEnd;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// Where the guest's MAC comes from over vhost: the user's mac=, else the back end's config space,
/// else the default. A back end whose config holds a MAC no NIC may have (zero, multicast) is not
/// followed: the front end logs it and uses the default, rather than failing to build the card.
/// </summary>
public sealed class VhostFrontEndMacTests
{
    private const ulong Offer = (1UL << 32) | (1UL << 5) | (1UL << 16); // VERSION_1 MAC STATUS

    [Theory]
    [InlineData("00:00:00:00:00:00")]
    [InlineData("01:00:5e:00:00:01")]
    public void A_back_end_mac_no_nic_may_have_is_replaced_by_the_default_with_a_line(string mac)
    {
        var log = new List<string>();
        using var frontEnd = new VhostFrontEnd("net0", new ConfigBackend(Mac(mac)), mac: null, maxPairs: null, log.Add);
        Assert.Equal(MacAddress.Default, frontEnd.Device.Options.Mac);
        Assert.Equal($"net0: the back end's MAC {mac} is not a unicast address: the guest gets {MacAddress.Default}", Assert.Single(log));
    }

    [Fact]
    public void A_good_back_end_mac_is_the_guests_unless_the_user_gave_one()
    {
        var backEndMac = Mac("02:11:22:33:44:55");
        using (var frontEnd = new VhostFrontEnd("net0", new ConfigBackend(backEndMac), mac: null, maxPairs: null, _ => { }))
        {
            Assert.Equal(backEndMac, frontEnd.Device.Options.Mac);
        }
        var userMac = Mac("02:00:00:00:00:09");
        using (var frontEnd = new VhostFrontEnd("net0", new ConfigBackend(backEndMac), userMac, maxPairs: null, _ => { }))
        {
            Assert.Equal(userMac, frontEnd.Device.Options.Mac);
        }
    }

    private static MacAddress Mac(string text) => MacAddress.TryParse(text, out MacAddress mac) ? mac : throw new ArgumentException(text);

    /// <summary>A back end with a config space holding <paramref name="mac"/> and the link up.</summary>
    private sealed class ConfigBackend(MacAddress mac) : IVhostBackend
    {
        public string Name => "test back end";
        public ulong Features => Offer;
        public int QueuePairs => 1;
        public event Action? ConfigChanged { add { } remove { } }
        public event Action? Disconnected { add { } remove { } }

        public bool TryReadConfig(Span<byte> config)
        {
            config.Clear();
            mac.WriteTo(config);
            config[6] = 1; // VIRTIO_NET_S_LINK_UP
            return true;
        }

        public void SetFeatures(ulong f) => throw new NotSupportedException();
        public void SetMemoryTable(IReadOnlyList<SharedMemoryRegion> regions) => throw new NotSupportedException();
        public void StartRing(VhostRing ring, ushort lastAvail, FileDescriptor kick, FileDescriptor call) => throw new NotSupportedException();
        public ushort StopRing(int index) => throw new NotSupportedException();
        public void SetRingEnabled(int index, bool enabled) => throw new NotSupportedException();
        public void Dispose() { }
    }
}
