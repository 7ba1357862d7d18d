using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// Our front end's vhost-user client against back ends that misbehave (a scripted back end): every
/// failure is one line naming the request, nothing is left open (descriptors, the watch thread),
/// descriptors a back end pushes on a reply are closed, and after a reply that breaks the stream
/// no request is sent on it again and the front end hears that the back end is gone.
/// </summary>
[Collection(LeakCheckCollection.Name)]
public sealed class HostileBackEndTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(500);

    public enum Hostility
    {
        HangsUpAfterGetFeatures,
        AnswersAnotherRequest,
        ShortReply,
        HugeReplySize,
        NeverAnswers,
        NoProtocolFeatures,
        ZeroQueuePairs,
        AbsurdQueuePairs,
        RefusesSetOwner,
    }

    [Theory]
    [InlineData(Hostility.HangsUpAfterGetFeatures, "VHOST_USER_GET_PROTOCOL_FEATURES: the back end closed the connection")]
    [InlineData(Hostility.AnswersAnotherRequest, "VHOST_USER_GET_FEATURES: the back end answered VHOST_USER_GET_QUEUE_NUM")]
    [InlineData(Hostility.ShortReply, "VHOST_USER_GET_FEATURES: a reply of 4 bytes, 8 expected")]
    [InlineData(Hostility.HugeReplySize, "VHOST_USER_GET_FEATURES: a reply of 4294967280 bytes, 8 expected")]
    [InlineData(Hostility.NeverAnswers, "VHOST_USER_GET_FEATURES: no reply within")]
    [InlineData(Hostility.NoProtocolFeatures, "does not offer VHOST_USER_F_PROTOCOL_FEATURES")]
    [InlineData(Hostility.ZeroQueuePairs, "GET_QUEUE_NUM answered 0")]
    [InlineData(Hostility.AbsurdQueuePairs, "GET_QUEUE_NUM answered 100000")]
    [InlineData(Hostility.RefusesSetOwner, "the back end refused VHOST_USER_SET_OWNER (status 1)")]
    public void A_back_end_that_misbehaves_while_connecting_is_one_line_and_leaves_nothing(Hostility hostility, string expected)
    {
        Connect(_ => null); // warm-up: what the runtime opens once is open before the baseline
        IReadOnlyDictionary<int, string> before = ProcessResources.Descriptors();
        var e = Assert.Throws<VhostBackendException>(() => Connect(h => Misbehave(hostility, h)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(0, ProcessResources.WaitForNoThreadsNamed("vhost-user-fe", TimeSpan.FromSeconds(5)));
        Assert.Empty(ProcessResources.NewDescriptorsSince(before));
    }

    [Fact]
    public void Descriptors_a_back_end_pushes_on_a_reply_are_closed()
    {
        Connect(_ => null);
        IReadOnlyDictionary<int, string> before = ProcessResources.Descriptors();
        Connect(h => h.KnownRequest == VhostUserRequest.GetFeatures
            ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(h.KnownRequest, ScriptedBackEnd.Features), () => [new EventFd().Handle, new EventFd().Handle, new EventFd().Handle])
            : null);
        Assert.Empty(ProcessResources.NewDescriptorsSince(before));
    }

    [Fact]
    public void After_a_reply_for_another_ring_nothing_more_is_sent_and_the_back_end_counts_as_gone()
    {
        string path = SocketPath();
        using ScriptedBackEnd backEnd = ScriptedBackEnd.Start(path, (h, _) => h.KnownRequest == VhostUserRequest.GetVringBase
            ? BackEndAnswer.Send(VhostUserEncoder.VringStateReply(new VringState(7, 0)))
            : null);
        using VhostUserBackend backend = VhostUserBackend.Connect(path, Quick);
        using var gone = new ManualResetEventSlim();
        backend.Disconnected += gone.Set;
        var e = Assert.Throws<VhostBackendException>(() => backend.StopRing(1));
        Assert.Equal("GET_VRING_BASE for ring 1 answered ring 7", e.Message);
        Assert.True(gone.Wait(TimeSpan.FromSeconds(10)), "the front end did not hear that the back end is gone");
        int seen = backEnd.Requests.Count;
        var later = Assert.Throws<VhostBackendException>(() => backend.SetRingEnabled(0, false));
        Assert.Contains("not sent, the connection broke earlier", later.Message);
        Assert.Equal(seen, backEnd.Requests.Count);
    }

    [Fact]
    public void A_config_reply_of_the_wrong_size_fails_the_read_with_one_line()
    {
        string path = SocketPath();
        using ScriptedBackEnd backEnd = ScriptedBackEnd.Start(path, (h, _) => h.KnownRequest == VhostUserRequest.GetConfig
            ? BackEndAnswer.Send(VhostUserEncoder.ConfigMessage(h.KnownRequest, new VhostUserConfig(0, 4, 0, new byte[4]), reply: true))
            : null);
        using VhostUserBackend backend = VhostUserBackend.Connect(path, Quick);
        var e = Assert.Throws<VhostBackendException>(() => backend.TryReadConfig(new byte[12]));
        Assert.Equal("VHOST_USER_GET_CONFIG: a reply of 16 bytes, 24 expected", e.Message);
    }

    [Fact]
    public void Junk_on_the_slave_channel_is_dropped_and_unknown_requests_are_refused()
    {
        string path = SocketPath();
        using ScriptedBackEnd backEnd = ScriptedBackEnd.Start(path, (_, _) => null);
        using VhostUserBackend backend = VhostUserBackend.Connect(path, Quick);
        int changes = 0;
        backend.ConfigChanged += () => Interlocked.Increment(ref changes);

        // An unknown request that wants a reply is answered with a non-zero status.
        backEnd.Slave!.Send(VhostUserEncoder.Message(77, VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.NeedReply, []));
        var reply = new byte[VhostUserHeader.SizeBytes + 8];
        Assert.True(backEnd.Slave.WaitReadable(TimeSpan.FromSeconds(10)));
        Assert.Equal(reply.Length, backEnd.Slave.Receive(reply, []).Bytes);
        Assert.Equal(new VhostUserHeader(77, VhostUserHeader.ReplyFlags, 8), VhostUserHeader.Read(reply));
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.AsSpan(VhostUserHeader.SizeBytes)));

        // A header announcing a gigabyte: the channel is dropped, nothing is allocated for it.
        backEnd.Slave.Send(VhostUserEncoder.Message((uint)VhostUserSlaveRequest.ConfigChangeMsg, VhostUserHeaderFlags.Version1, []).AsSpan(0, 8).ToArray().Concat(BitConverter.GetBytes(1u << 30)).ToArray());
        Assert.True(backEnd.Slave.WaitReadable(TimeSpan.FromSeconds(10)), "the front end kept a channel it cannot read");
        Assert.Equal(0, backEnd.Slave.Receive(new byte[8], []).Bytes); // end of stream: the front end closed it
        Assert.Equal(0, Volatile.Read(ref changes));
        Assert.True(backend.TryReadConfig(new byte[8])); // the main channel still works
    }

    private static BackEndAnswer? Misbehave(Hostility hostility, VhostUserHeader h)
    {
        VhostUserRequest r = h.KnownRequest;
        return hostility switch
        {
            Hostility.HangsUpAfterGetFeatures => r == VhostUserRequest.GetProtocolFeatures ? BackEndAnswer.Close : null,
            Hostility.AnswersAnotherRequest => r == VhostUserRequest.GetFeatures ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(VhostUserRequest.GetQueueNum, 2)) : null,
            Hostility.ShortReply => r == VhostUserRequest.GetFeatures ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(r, ScriptedBackEnd.Features)[..16].With(8, 4)) : null,
            Hostility.HugeReplySize => r == VhostUserRequest.GetFeatures ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(r, ScriptedBackEnd.Features).With(8, 0xFFFF_FFF0)) : null,
            Hostility.NeverAnswers => r == VhostUserRequest.GetFeatures ? BackEndAnswer.Silence : null,
            Hostility.NoProtocolFeatures => r == VhostUserRequest.GetFeatures ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(r, 1UL << 32)) : null,
            Hostility.ZeroQueuePairs => r == VhostUserRequest.GetQueueNum ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(r, 0)) : null,
            Hostility.AbsurdQueuePairs => r == VhostUserRequest.GetQueueNum ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(r, 100_000)) : null,
            Hostility.RefusesSetOwner => r == VhostUserRequest.SetOwner ? BackEndAnswer.Send(VhostUserEncoder.Ack(r, 1)) : null,
            _ => null,
        };
    }

    private static void Connect(Func<VhostUserHeader, BackEndAnswer?> script)
    {
        string path = SocketPath();
        using ScriptedBackEnd backEnd = ScriptedBackEnd.Start(path, (h, _) => script(h));
        using VhostUserBackend backend = VhostUserBackend.Connect(path, Quick);
    }

    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"mvt-hb-{Guid.NewGuid():N}.sock");
}
