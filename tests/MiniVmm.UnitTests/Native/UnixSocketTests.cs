using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.UnitTests.VhostUser;

namespace MiniVmm.UnitTests.Native;

[Collection(LeakCheckCollection.Name)]
public sealed class UnixSocketTests
{
    [Fact]
    public void Descriptors_PassedWithScmRights_ReachTheSameFile()
    {
        var (a, b) = UnixStreamSocket.Pair();
        using (a)
        using (b)
        using (var ev = new EventFd())
        {
            a.Send([1, 2, 3], [ev.Handle]);
            var fds = new List<FileDescriptor>();
            var buffer = new byte[16];
            UnixReceiveResult r = b.Receive(buffer, fds);
            Assert.Equal(3, r.Bytes);
            Assert.False(r.FdsTruncated);
            FileDescriptor received = Assert.Single(fds);
            Assert.NotEqual(ev.Fd, received.Fd);
            // The received number is another descriptor for the same eventfd: a signal through it is seen here.
            using var notify = new NotifyFd(received);
            Assert.True(notify.Signal());
            Assert.Equal(1UL, ev.Drain());
        }
    }

    [Fact]
    public void MoreThanEightDescriptors_SetCtrunc_AndTheOnesReceivedAreWrapped()
    {
        ProcessResources before = ProcessResources.Now();
        var (a, b) = UnixStreamSocket.Pair();
        var events = Enumerable.Range(0, 9).Select(_ => new EventFd()).ToList();
        var fds = new List<FileDescriptor>();
        try
        {
            a.Send([7], events.Select(e => e.Handle).ToArray());
            UnixReceiveResult r = b.Receive(new byte[16], fds);
            Assert.True(r.FdsTruncated);
            Assert.Equal(UnixSocketAbi.MaxFdsPerMessage, fds.Count);
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
            foreach (EventFd e in events) e.Dispose();
            a.Dispose();
            b.Dispose();
        }
        // The ninth was closed by the kernel, the eight by us: nothing is left open.
        Assert.Equal(before.OpenFds, ProcessResources.Now().OpenFds);
    }

    [Fact]
    public void ListeningSocket_HasMode0600_AcceptsAConnection_AndIsRemovedOnDispose()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        using (var listener = UnixListeningSocket.Listen(path))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            using var client = UnixStreamSocket.Connect(path);
            using UnixStreamSocket? server = listener.Accept();
            Assert.NotNull(server);
            client.Send([42]);
            var buffer = new byte[1];
            Assert.Equal(1, server.Receive(buffer, []).Bytes);
            Assert.Equal(42, buffer[0]);
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Listen_OnAnExistingPath_FailsAndLeavesTheFile()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        File.WriteAllText(path, "not ours");
        try
        {
            var e = Assert.Throws<SyscallException>(() => UnixListeningSocket.Listen(path));
            Assert.Equal(Errno.EADDRINUSE, e.Errno);
            Assert.Equal("not ours", File.ReadAllText(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void CancelAccept_WakesABlockedAccept()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        using var listener = UnixListeningSocket.Listen(path);
        var accepting = Task.Run(listener.Accept);
        listener.CancelAccept();
        Assert.True(accepting.Wait(TimeSpan.FromSeconds(5)));
        Assert.Null(accepting.Result);
    }

    [Fact]
    public void Shutdown_WakesABlockedReceiveWithEndOfStream()
    {
        var (a, b) = UnixStreamSocket.Pair();
        using (a)
        using (b)
        {
            var receiving = Task.Run(() => b.Receive(new byte[8], []).Bytes);
            b.Shutdown();
            Assert.True(receiving.Wait(TimeSpan.FromSeconds(5)));
            Assert.Equal(0, receiving.Result);
        }
    }

    [Fact]
    public void SharedMapping_AtAnOffset_SeesTheFilesBytesThere()
    {
        ulong page = (ulong)Environment.SystemPageSize;
        using FileDescriptor memfd = MemFd.Create("mvt-offset", 4 * page);
        using (MappedRegion whole = MappedRegion.Shared(memfd, 4 * page, "whole"))
        {
            Assert.True(whole.TryGetSpan(2 * page + 8, 8, out Span<byte> at));
            BinaryPrimitives.WriteUInt64LittleEndian(at, 0x1122334455667788);
        }
        using MappedRegion part = MappedRegion.Shared(memfd, 2 * page, page, "part");
        Assert.True(part.TryGetSpan(8, 8, out Span<byte> seen));
        Assert.Equal(0x1122334455667788UL, BinaryPrimitives.ReadUInt64LittleEndian(seen));
        Assert.False(part.TryGetSpan(page - 4, 8, out _));
        Assert.False(part.TryGetSpan(ulong.MaxValue - 2, 8, out _));
        Assert.Throws<ArgumentException>(() => MappedRegion.Shared(memfd, page / 2, page, "misaligned"));
        Assert.Equal(4 * page, FileStatus.Of(memfd).SizeBytes);
        Assert.False(FileStatus.Of(memfd).IsSocket);
    }

    [Fact]
    public void NotifyFd_OnASocketpairEnd_WritesExactlyEightBytes_AndNeverBlocks()
    {
        var (a, b) = UnixStreamSocket.Pair();
        using (b)
        {
            using var notify = new NotifyFd(a.Handle);
            Assert.True(notify.Signal());
            var buffer = new byte[64];
            Assert.Equal(8, b.Receive(buffer, []).Bytes);
            Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(buffer));
            // Nobody reads b: once its buffer is full a signal is dropped instead of blocking.
            for (int i = 0; i < 100_000; i++) notify.Signal();
        }
    }
}
