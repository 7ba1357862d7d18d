using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native.Net;
using Tmds.Linux;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>Creating, attaching to, adopting and tearing down a real multiqueue TAP.</summary>
public sealed class TapLifecycleTests
{
    [HostFact(HostNeeds.Tap)]
    public void Create_MakesAnUpMultiqueueTap_AndDisposeRemovesIt()
    {
        string name = TapTestKit.UniqueName();
        using (Tap tap = Tap.Create(name, 4))
        {
            Assert.Equal(name, tap.Name);
            Assert.Equal(TapOrigin.Created, tap.Origin);
            Assert.True(TapTestKit.InterfaceExists(name));
            Assert.Equal(4, tap.Queues.Count);
            Assert.Equal(4, TapTestKit.KernelQueueCount(name));
            Assert.True(NetInterface.GetFlags(name).HasFlag(InterfaceFlags.Up));
            Assert.Equal(12, TunDevice.GetVnetHeaderSize(tap.Queues[0].Handle));
            foreach (TapQueue q in tap.Queues)
            {
                (string ifName, TunFlags flags) = TunDevice.GetInterface(q.Handle);
                Assert.Equal(name, ifName);
                Assert.Equal(Tap.RequiredFlags, flags & Tap.RequiredFlags);
                Assert.NotEqual(0, LibC.fcntl(q.Handle.Fd, LibC.F_GETFL) & LibC.O_NONBLOCK);
            }
        }
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Dispose_AfterAnException_RemovesTheTap_AndIsIdempotent()
    {
        string name = TapTestKit.UniqueName();
        Tap? seen = null;
        Action failingUse = () =>
        {
            using Tap tap = Tap.Create(name, 2);
            seen = tap;
            throw new InvalidOperationException("boom");
        };
        Assert.Throws<InvalidOperationException>(failingUse);
        TapTestKit.AssertRemoved(name);
        seen!.Dispose();
        Assert.True(seen.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => seen.SetActiveQueues(1));
    }

    [HostFact(HostNeeds.Tap)]
    public void Dispose_FromManyThreadsAtOnce_ClosesEveryQueueOnce()
    {
        string name = TapTestKit.UniqueName();
        Tap tap = Tap.Create(name, 4);
        Parallel.For(0, 8, _ => tap.Dispose());
        Assert.All(tap.Queues, q => Assert.True(q.Handle.IsClosed));
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Create_WithAPattern_LetsTheKernelChooseTheName()
    {
        using Tap tap = Tap.Create("mvt%d", 2);
        Assert.Matches("^mvt[0-9]+$", tap.Name);
        Assert.True(TapTestKit.InterfaceExists(tap.Name));
        Assert.All(tap.Queues, q => Assert.Equal(tap.Name, TunDevice.GetInterface(q.Handle).Name));
        string chosen = tap.Name;
        tap.Dispose();
        TapTestKit.AssertRemoved(chosen);
    }

    [HostFact(HostNeeds.Tap)]
    public void Attach_ToAPersistentTap_LeavesItInPlaceOnDispose()
    {
        string name = TapTestKit.UniqueName();
        TapTestKit.CreatePersistent(name, Tap.RequiredFlags);
        try
        {
            using (Tap tap = Tap.Attach(name, 3))
            {
                Assert.Equal(TapOrigin.Attached, tap.Origin);
                Assert.Equal(3, TapTestKit.KernelQueueCount(name));
            }
            Assert.True(TapTestKit.InterfaceExists(name));
        }
        finally
        {
            TapTestKit.DeletePersistent(name);
        }
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Create_WhenTheNameExists_FailsAndLeavesTheOtherInterfaceAlone()
    {
        string name = TapTestKit.UniqueName();
        TapTestKit.CreatePersistent(name, Tap.RequiredFlags);
        try
        {
            var e = Assert.Throws<TapException>(() => Tap.Create(name, 2));
            Assert.Equal($"tap={name}: the interface already exists", e.Message);
            Assert.True(TapTestKit.InterfaceExists(name));
        }
        finally
        {
            TapTestKit.DeletePersistent(name);
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void Attach_ToAMissingInterface_FailsWithoutCreatingIt()
    {
        string name = TapTestKit.UniqueName();
        var e = Assert.Throws<TapException>(() => Tap.Attach(name, 2));
        Assert.Equal($"tap={name}: no such interface", e.Message);
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Attach_ToATapWithoutMultiqueue_GivesAClearErrorAndLeavesNothing()
    {
        string name = TapTestKit.UniqueName();
        TapTestKit.CreatePersistent(name, TunFlags.Tap | TunFlags.NoPi);
        try
        {
            var e = Assert.Throws<TapException>(() => Tap.Attach(name, 2));
            Assert.StartsWith($"tap={name}: cannot attach queue 0: the interface is not a multiqueue TAP", e.Message);
        }
        finally
        {
            using var fd = TunDevice.OpenQueue(name, TunFlags.Tap | TunFlags.NoPi, out _);
            TunDevice.SetPersist(fd, false);
        }
        TapTestKit.AssertRemoved(name);
    }

    [HostTheory(HostNeeds.Tap)]
    [InlineData("", "tap=: interface name '' is empty (Parameter 'name')")]
    [InlineData("a-very-long-name-x", "tap=a-very-long-name-x: interface name 'a-very-long-name-x' is longer than 15 characters (Parameter 'name')")]
    [InlineData("bad/name", "tap=bad/name: interface name 'bad/name' contains a character not allowed in an interface name ('/', ':', space or non-ASCII) (Parameter 'name')")]
    public void Create_WithABadName_GivesOneClearLine(string name, string message)
    {
        var e = Assert.Throws<TapException>(() => Tap.Create(name, 2));
        Assert.Equal(message, e.Message);
    }

    [HostTheory(HostNeeds.Tap)]
    [InlineData(0)]
    [InlineData(257)]
    public void Create_WithABadQueueCount_FailsAndCreatesNothing(int queues)
    {
        string name = TapTestKit.UniqueName();
        var e = Assert.Throws<TapException>(() => Tap.Create(name, queues));
        Assert.Equal($"queues={queues}: must be 1..256", e.Message);
        TapTestKit.AssertRemoved(name);
    }

    [HostFact(HostNeeds.Tap)]
    public void Attach_ToAnInterfaceThatIsNotATap_FailsAndLeavesItAlone()
    {
        var e = Assert.Throws<TapException>(() => Tap.Attach("lo", 1));
        Assert.StartsWith("tap=lo: cannot attach queue 0: the interface is not a multiqueue TAP with vnet headers", e.Message);
        Assert.True(NetInterface.GetFlags("lo").HasFlag(InterfaceFlags.Up));
        Assert.Throws<TapException>(() => Tap.CreateOrAttach("lo", 2));
    }
}
