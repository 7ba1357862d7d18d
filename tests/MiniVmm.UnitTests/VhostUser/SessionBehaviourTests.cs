using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>What the session does with well-formed but state-dependent requests (vhost-user.rst, VHOST-USER.md).</summary>
public sealed class SessionBehaviourTests
{
    [Fact]
    public void NeedReply_BeforeReplyAckIsNegotiated_GetsNoAck()
    {
        using var rig = new SessionRig();
        rig.FrontEnd.Send(VhostUserEncoder.Request(VhostUserRequest.SetOwner, [], needReply: true));
        // The next answer is GET_FEATURES' own: no ack was sent for SET_OWNER.
        Assert.Equal(rig.Device.DeviceFeatures | (1UL << 30), rig.GetU64(VhostUserRequest.GetFeatures));
    }

    [Fact]
    public void GetFeatures_NeverOffersLogAllAccessPlatformOrPackedRings_EvenIfTheDeviceDoes()
    {
        var device = new MiniVmm.Testing.VhostUser.FakeVhostUserDevice(2, features: (1UL << 32) | (1UL << 26) | (1UL << 33) | (1UL << 34));
        using var handler = new VhostUserRequestHandler(device, _ => { });
        Assert.Equal((1UL << 32) | (1UL << 30), handler.OfferedFeatures);
    }

    [Fact]
    public void FeaturesOrProtocolFeaturesNotOffered_AreRefused()
    {
        using var rig = new SessionRig();
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.ReplyAck, needReply: true)));
        Assert.Equal(1UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, 1UL << 34, needReply: true)));
        Assert.Equal(1UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.InbandNotifications, needReply: true)));
        Assert.Equal([VhostUserRejectReason.FeaturesNotOffered, VhostUserRejectReason.ProtocolFeaturesNotOffered], rig.Rejections.Select(r => r.Reason));
    }

    [Fact]
    public void GetQueueNum_IsQueuePairs()
    {
        using var rig = new SessionRig(queuePairs: 3);
        Assert.Equal(3UL, rig.GetU64(VhostUserRequest.GetQueueNum));
    }

    [Fact]
    public void GetConfig_OutsideConfigSpace_GetsAZeroLengthReply_SetConfigWrites()
    {
        using var rig = new SessionRig();
        rig.FrontEnd.Send(VhostUserEncoder.ConfigMessage(VhostUserRequest.GetConfig, new VhostUserConfig(20, 8, 0, new byte[8]), reply: false));
        var (h, payload) = rig.FrontEnd.ReadReply();
        Assert.Equal(VhostUserHeader.ReplyFlags, h.Flags);
        Assert.Empty(payload);
        rig.FrontEnd.Send(VhostUserEncoder.ConfigMessage(VhostUserRequest.GetConfig, new VhostUserConfig(6, 4, 0, new byte[4]), reply: false));
        (_, payload) = rig.FrontEnd.ReadReply();
        Assert.Equal(new byte[] { 6, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 0 }, payload); // status LINK_UP, 2 pairs
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.Offered, needReply: true)));
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.ConfigMessage(VhostUserRequest.SetConfig, new VhostUserConfig(0, 2, 0, [0xaa, 0xbb]), reply: false, needReply: true)));
        Assert.Contains("WriteConfig 0 AABB", rig.Device.Calls);
        Assert.Equal(VhostUserRejectReason.ConfigOutOfRange, Assert.Single(rig.Rejections).Reason);
    }

    [Fact]
    public void GetVringBase_StopsTheRing_AnswersWhatTheDeviceStoppedAt_AndAKickRestartsIt()
    {
        using var rig = new SessionRig();
        rig.Negotiate();
        using EventFd call = rig.StartRing(0, baseIndex: 7);
        Assert.Equal(["Activate 0x100400000", "StartRing 0 size=256 desc=0x10000 avail=0x11000 used=0x12000 base=7"], rig.Device.Calls);
        rig.Device.StopBase = _ => 42;
        rig.FrontEnd.Send(VhostUserEncoder.StateRequest(VhostUserRequest.GetVringBase, new VringState(0, 0)));
        var (_, payload) = rig.FrontEnd.ReadReply();
        Assert.Equal(new VringState(0, 42), VringState.Read(payload));
        Assert.Empty(rig.Device.RunningRings);
        using (var kick = new EventFd()) Assert.Equal(0UL, rig.Ack(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 0), kick.Handle));
        Assert.Equal("StartRing 0 size=256 desc=0x10000 avail=0x11000 used=0x12000 base=42", rig.Device.Calls[^1]);
        Assert.DoesNotContain("Reset", rig.Device.Calls);
    }

    [Fact]
    public void SetVringCall_OnARunningRing_SwapsTheNotifierWithoutStoppingIt_AndSignalsTheNewFdOnce()
    {
        using var rig = new SessionRig();
        rig.Negotiate();
        using EventFd first = rig.StartRing(0);
        rig.Device.Setups[0].Call.Signal();
        Assert.Equal(1UL, first.Drain());
        var (ours, theirs) = UnixStreamSocket.Pair(); // UML's call fds are socketpair ends
        using (ours)
        {
            Assert.Equal(0UL, rig.Ack(SessionRig.VringFileRequest(VhostUserRequest.SetVringCall, 0), theirs.Handle));
            theirs.Dispose();
            Assert.True(ours.WaitReadable(TimeSpan.FromSeconds(5)));
            var buffer = new byte[64];
            Assert.Equal(8, ours.Receive(buffer, []).Bytes); // the one signal after the swap, exactly 8 bytes
            rig.Device.Setups[0].Call.Signal();
            Assert.True(ours.WaitReadable(TimeSpan.FromSeconds(5)));
            Assert.Equal(8, ours.Receive(buffer, []).Bytes);
            Assert.Equal(0UL, first.Drain()); // the old descriptor gets nothing any more
        }
        Assert.Equal(2, rig.Device.Calls.Count); // Activate, StartRing: no stop, no restart
    }

    [Fact]
    public void ChangedFeatures_OrANewBaseOnAStartedRing_ResetTheDevice_IdenticalFeaturesDoNot()
    {
        using var rig = new SessionRig();
        rig.Negotiate();
        using EventFd call = rig.StartRing(0);
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, SessionRig.Features, needReply: true)));
        Assert.DoesNotContain("Reset", rig.Device.Calls);
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringBase, new VringState(0, 3), needReply: true)));
        Assert.Equal("Reset", rig.Device.Calls[^1]);
        using EventFd call2 = rig.StartRing(0);
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, SessionRig.Features & ~(1UL << 22), needReply: true)));
        Assert.Equal(["Activate 0x100400000", "StartRing 0", "Reset", "Activate 0x100400000", "StartRing 0", "Reset"],
            rig.Device.Calls.Select(c => c.StartsWith("StartRing") ? c[..11] : c));
    }

    [Fact]
    public void EnableBeforeSetUp_IsANoOpUntilTheKick_AndDisablingEveryRingResets()
    {
        using var rig = new SessionRig();
        rig.Negotiate();
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(1, 1), needReply: true)));
        Assert.Empty(rig.Device.Calls);
        rig.ConfigureRing(1);
        using (var kick = new EventFd()) Assert.Equal(0UL, rig.Ack(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 1), kick.Handle));
        Assert.Equal(2, rig.Device.Calls.Count);
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(1, 0), needReply: true)));
        Assert.Equal(["StopRing 1", "Reset"], rig.Device.Calls.Skip(2));
    }

    [Fact]
    public void ARingTheDeviceRefuses_FailsThatRingOnly()
    {
        using var rig = new SessionRig();
        rig.Device.RefusedRings.Add(1);
        rig.Negotiate();
        using EventFd call0 = rig.StartRing(0);
        rig.ConfigureRing(1);
        using (var kick = new EventFd()) Assert.Equal(0UL, rig.Ack(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 1), kick.Handle));
        Assert.Equal(1UL, rig.Ack(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(1, 1), needReply: true)));
        Assert.Equal([0], rig.Device.RunningRings);
        Assert.Equal(VhostUserRejectReason.DeviceFailed, Assert.Single(rig.Rejections).Reason);
        Assert.Single(rig.Log, l => l.Contains("ring 1 failed to start"));
    }

    [Fact]
    public void ConfigChanged_SendsConfigChangeMsgOnTheSlaveChannel_AndNeverBlocksWhenNobodyReadsIt()
    {
        using var rig = new SessionRig();
        Assert.Equal(0UL, rig.Ack(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.Offered, needReply: true)));
        var (ours, theirs) = UnixStreamSocket.Pair();
        using (ours)
        {
            Assert.Equal(0UL, rig.Ack(VhostUserEncoder.Request(VhostUserRequest.SetSlaveReqFd, [], needReply: true), theirs.Handle));
            theirs.Dispose();
            rig.Device.RaiseConfigChanged();
            Assert.True(ours.WaitReadable(TimeSpan.FromSeconds(5)));
            var buffer = new byte[12];
            Assert.Equal(12, ours.Receive(buffer, []).Bytes);
            Assert.Equal(new VhostUserHeader((uint)VhostUserSlaveRequest.ConfigChangeMsg, VhostUserHeaderFlags.Version1, 0), VhostUserHeader.Read(buffer));
            // Nobody reads the slave channel now (UML cannot while it waits for us): raising keeps returning.
            var raising = Task.Run(() => { for (int i = 0; i < 100_000; i++) rig.Device.RaiseConfigChanged(); });
            Assert.True(raising.Wait(TimeSpan.FromSeconds(20)), "a config change blocked on a full slave channel");
            Assert.Equal(rig.Device.DeviceFeatures | (1UL << 30), rig.GetU64(VhostUserRequest.GetFeatures));
        }
    }

    [Fact]
    public void Replies_AndAcks_CarryFlagsExactly0x5()
    {
        using var rig = new SessionRig();
        rig.FrontEnd.Send(VhostUserEncoder.Request(VhostUserRequest.GetProtocolFeatures, []));
        var (h, payload) = rig.FrontEnd.ReadReply();
        Assert.Equal((VhostUserHeaderFlags)0x5, h.Flags);
        Assert.Equal(0x229UL, BinaryPrimitives.ReadUInt64LittleEndian(payload));
    }
}
