using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// The parser over mutated captures (fixed seed, so a failure replays): it never throws, refuses
/// with a reason, and what it accepts is consistent with its input. Coverage-guided fuzzing is
/// issue 13's; this keeps the parser's contract pinned in the ordinary suite.
/// </summary>
public sealed class ParserMutationTests
{
    [Fact]
    public void MutatedCapturedMessages_AreRefusedWithAReason_OrParsedConsistently()
    {
        var seeds = new[] { CaptureFiles.Uml, CaptureFiles.Qemu }.SelectMany(f => CaptureFiles.Load(f).Messages).ToList();
        var random = new Random(9);
        int accepted = 0, refused = 0;
        for (int round = 0; round < 20_000; round++)
        {
            CapturedMessage seed = seeds[random.Next(seeds.Count)];
            byte[] header = (byte[])seed.Header.Clone();
            byte[] payload = (byte[])seed.Payload.Clone();
            switch (random.Next(4))
            {
                case 0: if (payload.Length > 0) payload[random.Next(payload.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 1: header[random.Next(header.Length)] = (byte)random.Next(256); break;
                case 2: payload = payload[..random.Next(payload.Length + 1)]; break;
                default: payload = [.. payload, .. new byte[random.Next(1, 64)]]; break;
            }
            VhostUserHeader h = VhostUserHeader.Read(header);
            int fds = random.Next(3) == 0 ? random.Next(10) : seed.FdCount;
            bool ok = VhostUserParser.TryParse(h, payload, fds, fds > 8, out VhostUserMessage? message, out VhostUserRejectReason reason);
            if (ok)
            {
                accepted++;
                Assert.Equal(VhostUserRejectReason.None, reason);
                Assert.Equal(h, message!.Header);
                Assert.Equal(payload.Length, (int)h.Size);
                Assert.Equal(fds, message.FdCount);
                Assert.True(message.Regions.Count <= VhostUserParser.MaxRegions);
                Assert.All(message.Regions, r => Assert.True(r.SizeBytes > 0 && r.GuestAddress + r.SizeBytes >= r.GuestAddress));
            }
            else
            {
                refused++;
                Assert.Null(message);
                Assert.NotEqual(VhostUserRejectReason.None, reason);
            }
        }
        // Both outcomes were exercised, or the mutations missed the point.
        Assert.True(accepted > 1000 && refused > 1000, $"accepted {accepted}, refused {refused}");
    }
}
