using System.Buffers.Binary;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// The recorded UML and QEMU sessions replayed through the real session with a fake device: the
/// calls the device sees are the ones VHOST-USER.md says the back end must infer. Expected ring
/// addresses are the ones in the recordings (UML: guest address = user address; QEMU: through
/// the region's userspace_addr, region 2 at gpa 0xc0000 = ua 0x7f7cb80bf000).
/// </summary>
public sealed class CaptureReplayTests
{
    // Descriptor tables as UML placed them (avail = +0x1000, used = +0x2000), boot and re-insmod.
    private static readonly ulong[] UmlFirst = [0x20c3c000, 0x20d0c000, 0x20b40000, 0x20d48000, 0x20ec0000, 0x20f20000, 0x20cdc000, 0x20c64000, 0x20ba4000];
    private static readonly ulong[] UmlSecond = [0x214f0000, 0x214d0000, 0x2027c000, 0x21560000, 0x209b0000, 0x20dfc000, 0x20e14000, 0x2026c000, 0x20254000];
    private static readonly ulong[] QemuRings = [0x300000, 0x384000, 0x408000, 0x48c000];

    [Fact]
    public void Uml_ActivatesWithEveryRingIncludingTheControlQueue_ResetsOnRmmod_AndActivatesAgainOnInsmod()
    {
        var device = new FakeVhostUserDevice(queuePairs: 4);
        using (var replay = new VhostUserReplay(device, callFdsAreSockets: true))
        {
            replay.Play(CaptureFiles.Load(CaptureFiles.Uml));
            replay.End();
            Assert.Empty(replay.Session.Handler.Rejections);
        }
        List<string> expected =
        [
            "Activate 0x1200000100438020", .. Starts(UmlFirst), .. Stops(8, 7, 6, 5, 4, 3, 2, 1, 0), "Reset",
            "Activate 0x1200000100438020", .. Starts(UmlSecond), .. Stops(8, 7, 6, 5, 4, 3, 2, 1, 0), "Reset",
        ];
        Assert.Equal(expected, device.Calls);
    }

    [Fact]
    public void Uml_GetsEveryAnswerItWaitsFor_AcksAreZero_ConfigRepliesKeepTheirSize()
    {
        var device = new FakeVhostUserDevice(queuePairs: 4);
        using var replay = new VhostUserReplay(device, callFdsAreSockets: true);
        VhostUserCapture capture = CaptureFiles.Load(CaptureFiles.Uml);
        replay.Play(capture);
        int expectedAnswers = capture.Messages.Count(m =>
        {
            var h = VhostUserHeader.Read(m.Header);
            return h.NeedsReply || h.KnownRequest is VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetConfig;
        });
        Assert.Equal(expectedAnswers, replay.Answers.Count);
        Assert.All(replay.Answers.Where(a => a.Payload.Length == 8 && a.Request is not (1 or 15)), a => Assert.Equal(0UL, BitConverter.ToUInt64(a.Payload)));
        // GET_FEATURES: the device's bits plus VHOST_USER_F_PROTOCOL_FEATURES (bit 30).
        Assert.Equal(FakeVhostUserDevice.CaptureFeatures | (1UL << 30), BitConverter.ToUInt64(replay.Answers.First(a => a.Request == 1).Payload));
        // GET_PROTOCOL_FEATURES: exactly MQ | REPLY_ACK | SLAVE_REQ | CONFIG.
        Assert.Equal(0x229UL, BitConverter.ToUInt64(replay.Answers.First(a => a.Request == 15).Payload));
        var configs = replay.Answers.Where(a => a.Request == 24).Select(a => a.Payload).ToList();
        // 10 reads per insmod, one more at rmmod and at power-off.
        Assert.Equal(22, configs.Count);
        Assert.All(configs, c => Assert.Equal(12 + BinaryPrimitives.ReadUInt32LittleEndian(c.AsSpan(4)), (uint)c.Length));
        // The MAC read byte by byte: the sixth read (offset 0, size 6) carries the whole address.
        Assert.Equal(new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, configs[6][12..]);
    }

    [Fact]
    public void Qemu_RepeatedIdenticalSetFeatures_IsNoReset_RingsGoThroughUserAddresses_EofResets()
    {
        var device = new FakeVhostUserDevice(queuePairs: 2);
        using (var replay = new VhostUserReplay(device, callFdsAreSockets: false))
        {
            VhostUserCapture capture = CaptureFiles.Load(CaptureFiles.Qemu);
            Assert.Equal(2, capture.Messages.Count(m => BinaryPrimitives.ReadUInt32LittleEndian(m.Header) == 2)); // one SET_FEATURES per pair
            replay.Play(capture);
            // GET_QUEUE_NUM answers queue pairs.
            Assert.Equal(2UL, BitConverter.ToUInt64(replay.Answers.Single(a => a.Request == 17).Payload));
            replay.End();
            Assert.Empty(replay.Session.Handler.Rejections);
        }
        Assert.Equal(["Activate 0x100400000", .. Starts(QemuRings), "Reset"], device.Calls);
    }

    [Fact]
    public void Qemu_GuestReset_StopsEveryRingWithGetVringBase_AndTheNewMemTableResetsBeforeTheSecondBoot()
    {
        var device = new FakeVhostUserDevice(queuePairs: 2);
        using (var replay = new VhostUserReplay(device, callFdsAreSockets: false))
        {
            replay.Play(CaptureFiles.Load(CaptureFiles.QemuGuestReset));
            // GET_VRING_BASE answers {index, what the device's StopRing returned}.
            var bases = replay.Answers.Where(a => a.Request == 11).Select(a => VringState.Read(a.Payload)).ToList();
            Assert.Equal([new VringState(0, 0x100), new VringState(1, 0x101), new VringState(2, 0x102), new VringState(3, 0x103)], bases);
            replay.End();
        }
        Assert.Equal(
            ["Activate 0x100400000", .. Starts(QemuRings), .. Stops(0, 1, 2, 3), "Reset", "Activate 0x100400000", .. Starts(QemuRings), "Reset"],
            device.Calls);
    }

    private static IEnumerable<string> Starts(ulong[] descriptorTables) => descriptorTables.Select((d, i) =>
        $"StartRing {i} size=256 desc=0x{d:x} avail=0x{d + 0x1000:x} used=0x{d + 0x2000:x} base=0");

    private static IEnumerable<string> Stops(params int[] rings) => rings.Select(r => $"StopRing {r}");
}
