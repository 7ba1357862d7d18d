using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using Tmds.Linux;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>fds=LIST: queue fds opened by a privileged parent and handed in.</summary>
public sealed class TapAdoptionTests
{
    [HostFact(HostNeeds.Tap)]
    public void Adopt_TakesOverParentFds_AndTheyCarryTraffic()
    {
        string name = TapTestKit.UniqueName();
        var parentFds = Enumerable.Range(0, 3).Select(i => TunDevice.OpenQueue(name, Tap.RequiredFlags, out _)).ToArray();
        Tap? tap = null;
        try
        {
            tap = Tap.Adopt(parentFds.Select(f => f.Fd).ToArray());
            foreach (FileDescriptor f in parentFds) f.SetHandleAsInvalid(); // ownership moved to the Tap
            Assert.Equal(name, tap.Name);
            Assert.Equal(TapOrigin.Adopted, tap.Origin);
            Assert.Equal(3, tap.Queues.Count);
            Assert.All(tap.Queues, q => Assert.NotEqual(0, LibC.fcntl(q.Handle.Fd, LibC.F_GETFL) & LibC.O_NONBLOCK));

            using PacketInjector injector = PacketInjector.Open(name);
            injector.Send(TapTestKit.UdpFrame(42));
            Assert.NotEqual(-1, TapTestKit.ReadUntil(tap.Queues, 42, Tap.VnetHeaderBytes).Queue);
        }
        finally
        {
            tap?.Dispose();
            foreach (FileDescriptor f in parentFds) f.Dispose();
        }
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Adopt_ReattachesAQueueTheParentDetached()
    {
        string name = TapTestKit.UniqueName();
        var parentFds = Enumerable.Range(0, 2).Select(i => TunDevice.OpenQueue(name, Tap.RequiredFlags, out _)).ToArray();
        try
        {
            TunDevice.SetQueueAttached(parentFds[1], false);
            Assert.Equal(1, TapTestKit.KernelQueueCount(name));
            using Tap tap = Tap.Adopt(parentFds.Select(f => f.Fd).ToArray());
            foreach (FileDescriptor f in parentFds) f.SetHandleAsInvalid();
            Assert.Equal(2, TapTestKit.KernelQueueCount(name));
        }
        finally
        {
            foreach (FileDescriptor f in parentFds) f.Dispose();
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void Adopt_AnFdThatIsNotATap_FailsClearlyAndLeavesTheFdToTheCaller()
    {
        int fd = TapTestKit.OpenDevNull();
        try
        {
            var e = Assert.Throws<TapException>(() => Tap.Adopt([fd]));
            Assert.Equal($"fds=: fd {fd} is not an open TAP queue (TUNGETIFF: ENOTTY)", e.Message);
            Assert.NotEqual(-1, LibC.fcntl(fd, LibC.F_GETFD)); // still open: the caller's to close
        }
        finally
        {
            LibC.close(fd);
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void Adopt_ClosedFd_OrDuplicates_OrEmpty_FailClearly()
    {
        Assert.Equal("fds=: no file descriptors given", Assert.Throws<TapException>(() => Tap.Adopt([])).Message);
        Assert.Equal("fds=: a file descriptor appears twice (5,5)", Assert.Throws<TapException>(() => Tap.Adopt([5, 5])).Message);
        Assert.Equal("fds=: fd 1000000 is not an open TAP queue (TUNGETIFF: EBADF)", Assert.Throws<TapException>(() => Tap.Adopt([1_000_000])).Message);
    }

    [HostFact(HostNeeds.Tap)]
    public void Adopt_FdsOfTwoInterfaces_OrWithoutVnetHeaders_Fail()
    {
        string a = TapTestKit.UniqueName(), b = TapTestKit.UniqueName(), c = TapTestKit.UniqueName();
        using FileDescriptor fa = TunDevice.OpenQueue(a, Tap.RequiredFlags, out _);
        using FileDescriptor fb = TunDevice.OpenQueue(b, Tap.RequiredFlags, out _);
        using FileDescriptor fc = TunDevice.OpenQueue(c, TunFlags.Tap | TunFlags.NoPi, out _);

        var mixed = Assert.Throws<TapException>(() => Tap.Adopt([fa.Fd, fb.Fd]));
        Assert.Equal($"fds=: fd {fb.Fd} belongs to {b}, the others to {a}", mixed.Message);
        var plain = Assert.Throws<TapException>(() => Tap.Adopt([fc.Fd]));
        Assert.Equal($"fds=: fd {fc.Fd} ({c}) has flags 0x1002; need IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|IFF_MULTI_QUEUE (0x5102)", plain.Message);
        Assert.False(fa.IsClosed || fb.IsClosed || fc.IsClosed);
    }
}
