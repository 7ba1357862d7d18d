using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// Issue 9 item 3: a hostile front end fails its message, ring or session with one log line; the
/// listener then serves the next connection; and once the listener is gone nothing is left: no
/// descriptor (/proc/self/fd), no mapping of the front end's memory (/proc/self/maps), no thread.
/// </summary>
[Collection(LeakCheckCollection.Name)]
public sealed class HostileFrontEndTests
{
    public enum Hostility
    {
        UnknownRequests,
        FdsOnAMessageThatTakesNone,
        TooManyFds,
        TruncatedPayload,
        VanishesMidHeader,
        RingOutsideTheRegionTable,
        RingRunningOffItsRegion,
        RegionLongerThanItsFile,
        PayloadTooLarge,
        BadVersion,
        RingIndexOutOfRange,
        VanishesWithRingsRunning,
    }

    [Theory]
    [InlineData(Hostility.UnknownRequests, VhostUserRejectReason.UnknownRequest, false)]
    [InlineData(Hostility.FdsOnAMessageThatTakesNone, VhostUserRejectReason.UnexpectedFds, false)]
    [InlineData(Hostility.TooManyFds, VhostUserRejectReason.TooManyFds, false)]
    [InlineData(Hostility.TruncatedPayload, VhostUserRejectReason.Truncated, true)]
    [InlineData(Hostility.VanishesMidHeader, VhostUserRejectReason.Truncated, true)]
    [InlineData(Hostility.RingOutsideTheRegionTable, VhostUserRejectReason.RingOutsideMemory, false)]
    [InlineData(Hostility.RingRunningOffItsRegion, VhostUserRejectReason.RingOutsideMemory, false)]
    [InlineData(Hostility.RegionLongerThanItsFile, VhostUserRejectReason.RegionNotMappable, false)]
    [InlineData(Hostility.PayloadTooLarge, VhostUserRejectReason.PayloadTooLarge, true)]
    [InlineData(Hostility.BadVersion, VhostUserRejectReason.BadVersion, true)]
    [InlineData(Hostility.RingIndexOutOfRange, VhostUserRejectReason.RingIndexOutOfRange, false)]
    [InlineData(Hostility.VanishesWithRingsRunning, VhostUserRejectReason.None, true)]
    public void HostileFrontEnd_FailsCleanly_TheNextConnectionIsServed_AndNothingLeaks(Hostility hostility, VhostUserRejectReason expected, bool endsSession)
    {
        // Warm-up: whatever the runtime opens once (and keeps) is open before the baseline.
        RunListener((connect, _, _) => { using var fe = connect(); GetFeatures(fe); });
        ProcessResources before = ProcessResources.Now();
        FakeVhostUserDevice? device = null;
        VhostUserSession? first = null;
        List<string> log = RunListener((connect, ended, dev) =>
        {
            device = dev;
            using (var rig = connect())
            {
                Play(hostility, rig);
                if (endsSession) Assert.True(rig.WaitForClose(), "the back end did not close a session it cannot trust");
                else Assert.Equal(dev.DeviceFeatures | (1UL << 30), GetFeatures(rig)); // the session goes on
            }
            first = ended();
            using var next = connect();
            Assert.Equal(dev.DeviceFeatures | (1UL << 30), GetFeatures(next));
        });
        Assert.NotNull(first);
        if (expected != VhostUserRejectReason.None)
        {
            Assert.Contains(expected, first.Handler.Rejections.Select(r => r.Reason));
            Assert.Equal(endsSession ? expected : VhostUserRejectReason.None, first.EndReason);
            // One line per failure; the two unknown request numbers are logged once each (99 came twice).
            int lines = log.Count(l => l.Contains($": {expected}", StringComparison.Ordinal));
            Assert.True((hostility == Hostility.UnknownRequests ? 2 : 1) == lines, string.Join("\n", log));
        }
        if (hostility == Hostility.VanishesWithRingsRunning) Assert.Equal("Reset", device!.Calls[^1]);
        else Assert.DoesNotContain(device!.Calls, c => c.StartsWith("StartRing", StringComparison.Ordinal));
        ProcessResources after = ProcessResources.Now();
        Assert.Equal(before.OpenFds, after.OpenFds);
        Assert.True(ProcessResources.MappingsOf("mvt-hostile") == 0, File.ReadAllText("/proc/self/maps"));
        Assert.Equal(0, ProcessResources.WaitForNoThreadsNamed("vhost-user", TimeSpan.FromSeconds(5)));
    }

    private static void Play(Hostility hostility, VhostUserTestFrontEnd fe)
    {
        switch (hostility)
        {
            case Hostility.UnknownRequests:
                NegotiateReplyAck(fe);
                fe.Send(VhostUserEncoder.Request(VhostUserRequest.GetMaxMemSlots, []));
                Assert.Empty(fe.ReadReply().Payload); // has a reply of its own: an empty one no front end accepts
                Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.Message(99, VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.NeedReply, new byte[16])));
                Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.Message(99, VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.NeedReply, [])));
                break;
            case Hostility.FdsOnAMessageThatTakesNone:
                NegotiateReplyAck(fe);
                using (var stray = new EventFd()) Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, 1UL << 32, needReply: true), stray.Handle));
                break;
            case Hostility.TooManyFds:
            {
                NegotiateReplyAck(fe);
                var memfds = Enumerable.Range(0, 9).Select(_ => MemFd.Create("mvt-hostile", 0x10000)).ToArray();
                var regions = Enumerable.Range(0, 8).Select(i => new MemoryRegionDescription((ulong)i * 0x10000, 0x10000, (ulong)i * 0x10000, 0)).ToList();
                try { Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.MemTableRequest(regions, needReply: true), memfds)); }
                finally { foreach (FileDescriptor m in memfds) m.Dispose(); }
                break;
            }
            case Hostility.TruncatedPayload:
                fe.Send([.. VhostUserEncoder.Message((uint)VhostUserRequest.SetVringAddr, VhostUserHeaderFlags.Version1, new byte[40]).AsSpan(0, 22)]);
                fe.Socket.Shutdown();
                break;
            case Hostility.VanishesMidHeader:
                fe.Send([2, 0, 0, 0, 1]);
                fe.Socket.Shutdown();
                break;
            case Hostility.RingOutsideTheRegionTable:
            case Hostility.RingRunningOffItsRegion:
            {
                NegotiateWithMemory(fe);
                Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringNum, new VringState(0, 256), needReply: true)));
                ulong desc = hostility == Hostility.RingOutsideTheRegionTable ? 0x9000_0000 : SessionRig.UserBase + SessionRig.RegionBytes - 0x800;
                var address = new VringAddress(0, 0, desc, SessionRig.UserBase + 0x2000, SessionRig.UserBase + 0x1000, 0);
                Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.AddressRequest(address, needReply: true)));
                using var kick = new EventFd();
                Assert.Equal(0UL, fe.SendAndAck(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 0), kick.Handle));
                Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(0, 1), needReply: true)));
                break;
            }
            case Hostility.RegionLongerThanItsFile:
            {
                NegotiateReplyAck(fe);
                using FileDescriptor memfd = MemFd.Create("mvt-hostile", 0x10000);
                Assert.Equal(1UL, fe.SendAndAck(VhostUserEncoder.MemTableRequest([new MemoryRegionDescription(0, 0x100_0000, 0, 0)], needReply: true), memfd));
                break;
            }
            case Hostility.PayloadTooLarge:
                fe.Send(VhostUserEncoder.Message((uint)VhostUserRequest.SetMemTable, VhostUserHeaderFlags.Version1, new byte[5000]));
                break;
            case Hostility.BadVersion:
                fe.Send(VhostUserEncoder.Message((uint)VhostUserRequest.GetFeatures, VhostUserHeaderFlags.Reply, []));
                break;
            case Hostility.RingIndexOutOfRange:
                NegotiateReplyAck(fe);
                using (var kick = new EventFd()) Assert.Equal(1UL, fe.SendAndAck(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 200), kick.Handle));
                break;
            case Hostility.VanishesWithRingsRunning:
            {
                NegotiateWithMemory(fe);
                Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringNum, new VringState(0, 256), needReply: true)));
                Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.AddressRequest(SessionRig.RingAddress(0), needReply: true)));
                using (var call = new EventFd()) Assert.Equal(0UL, fe.SendAndAck(SessionRig.VringFileRequest(VhostUserRequest.SetVringCall, 0), call.Handle));
                using (var kick = new EventFd()) Assert.Equal(0UL, fe.SendAndAck(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 0), kick.Handle));
                Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(0, 1), needReply: true)));
                // Half a SET_VRING_CALL with its descriptor, then gone.
                using (var call = new EventFd()) fe.Send(SessionRig.VringFileRequest(VhostUserRequest.SetVringCall, 0).AsSpan(0, 14).ToArray(), call.Handle);
                fe.Socket.Shutdown();
                break;
            }
        }
    }

    private static void NegotiateReplyAck(VhostUserTestFrontEnd fe) =>
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.Offered, needReply: true)));

    private static void NegotiateWithMemory(VhostUserTestFrontEnd fe)
    {
        NegotiateReplyAck(fe);
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, SessionRig.Features, needReply: true)));
        using FileDescriptor memfd = MemFd.Create("mvt-hostile", SessionRig.RegionBytes);
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.MemTableRequest([new MemoryRegionDescription(0, SessionRig.RegionBytes, SessionRig.UserBase, 0)], needReply: true), memfd));
    }

    private static ulong GetFeatures(VhostUserTestFrontEnd fe)
    {
        fe.Send(VhostUserEncoder.Request(VhostUserRequest.GetFeatures, []));
        return BinaryPrimitives.ReadUInt64LittleEndian(fe.ReadReply().Payload);
    }

    private static List<string> RunListener(Action<Func<VhostUserTestFrontEnd>, Func<VhostUserSession>, FakeVhostUserDevice> body)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        var device = new FakeVhostUserDevice(queuePairs: 2);
        var log = new List<string>();
        using var ended = new System.Collections.Concurrent.BlockingCollection<VhostUserSession>();
        using (var listener = VhostUserListener.Start(path, device, line => { lock (log) log.Add(line); }))
        {
            listener.SessionEnded += ended.Add;
            body(() => new VhostUserTestFrontEnd(UnixStreamSocket.Connect(path)),
                () => ended.TryTake(out VhostUserSession? s, TimeSpan.FromSeconds(10)) ? s : throw new TimeoutException("the session did not end"),
                device);
        }
        Assert.False(File.Exists(path), "the socket file outlived the listener");
        lock (log) return [.. log];
    }
}
