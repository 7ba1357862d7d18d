using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// A session over a socketpair with a fake device, and the well-formed steps a front end takes,
/// so each test writes only the messages it is about. Guest memory: one 1 MiB memfd region at
/// guest address 0, user address <see cref="UserBase"/>; ring i lives at 0x10000 * (i + 1).
/// </summary>
internal sealed class SessionRig : IDisposable
{
    public const ulong UserBase = 0x7000_0000;
    public const ulong RegionBytes = 0x10_0000;
    public const ulong Features = (1UL << 32) | (1UL << 22) | (1UL << 30); // VERSION_1 | MQ | PROTOCOL_FEATURES

    private readonly Thread _control;

    public SessionRig(int queuePairs = 2)
    {
        Device = new FakeVhostUserDevice(queuePairs);
        var (front, back) = UnixStreamSocket.Pair();
        FrontEnd = new VhostUserTestFrontEnd(front);
        Session = new VhostUserSession(back, Device, line => { lock (Log) Log.Add(line); });
        _control = new Thread(Session.Run) { Name = "vhost-user-rig", IsBackground = true };
        _control.Start();
    }

    public FakeVhostUserDevice Device { get; }
    public VhostUserTestFrontEnd FrontEnd { get; }
    public VhostUserSession Session { get; }
    public List<string> Log { get; } = [];
    public IReadOnlyList<VhostUserRejection> Rejections => Session.Handler.Rejections;

    public static ulong RingUser(int index) => UserBase + 0x10000UL * (ulong)(index + 1);

    /// <summary>SET_PROTOCOL_FEATURES (REPLY_ACK and the rest), SET_FEATURES, SET_MEM_TABLE: all acked 0.</summary>
    public void Negotiate(ulong features = Features)
    {
        Assert.Equal(0UL, Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.Offered, needReply: true)));
        Assert.Equal(0UL, Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, features, needReply: true)));
        SetMemTable();
    }

    public void SetMemTable()
    {
        using FileDescriptor memfd = MemFd.Create("mvt-rig", RegionBytes);
        var region = new MemoryRegionDescription(0, RegionBytes, UserBase, 0);
        Assert.Equal(0UL, Ack(VhostUserEncoder.MemTableRequest([region], needReply: true), memfd));
    }

    /// <summary>NUM 256, BASE, ADDR, CALL (an eventfd the test keeps), KICK, ENABLE 1, each acked 0.</summary>
    public EventFd StartRing(int index, ushort baseIndex = 0)
    {
        ConfigureRing(index, baseIndex);
        var call = new EventFd();
        Assert.Equal(0UL, Ack(VringFileRequest(VhostUserRequest.SetVringCall, index), call.Handle));
        using (var kick = new EventFd()) Assert.Equal(0UL, Ack(VringFileRequest(VhostUserRequest.SetVringKick, index), kick.Handle));
        Assert.Equal(0UL, Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState((uint)index, 1), needReply: true)));
        return call;
    }

    public void ConfigureRing(int index, ushort baseIndex = 0)
    {
        Assert.Equal(0UL, Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringNum, new VringState((uint)index, 256), needReply: true)));
        Assert.Equal(0UL, Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringBase, new VringState((uint)index, baseIndex), needReply: true)));
        Assert.Equal(0UL, Ack(VhostUserEncoder.AddressRequest(RingAddress(index), needReply: true)));
    }

    public static VringAddress RingAddress(int index)
    {
        ulong at = RingUser(index);
        return new VringAddress((uint)index, 0, at, at + 0x2000, at + 0x1000, 0);
    }

    public static byte[] VringFileRequest(VhostUserRequest request, int index, bool noFd = false)
    {
        var payload = new byte[8];
        new VringFile((uint)index, noFd).Write(payload);
        return VhostUserEncoder.Request(request, payload, needReply: true);
    }

    public ulong Ack(byte[] message, params FileDescriptor[] fds) => FrontEnd.SendAndAck(message, fds);

    public ulong GetU64(VhostUserRequest request)
    {
        FrontEnd.Send(VhostUserEncoder.Request(request, []));
        var (h, payload) = FrontEnd.ReadReply();
        Assert.Equal((uint)request, h.Request);
        return BitConverter.ToUInt64(payload);
    }

    /// <summary>Closes the front end and waits (bounded) for the session to end and clean up.</summary>
    public void End()
    {
        FrontEnd.Dispose();
        Assert.True(_control.Join(TimeSpan.FromSeconds(10)), "the session did not end after EOF");
    }

    public void Dispose()
    {
        if (_control.IsAlive) End();
        Session.Dispose();
    }
}
