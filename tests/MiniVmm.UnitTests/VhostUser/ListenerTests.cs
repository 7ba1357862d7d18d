using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

[Collection(LeakCheckCollection.Name)]
public sealed class ListenerTests
{
    [Fact]
    public void Dispose_WithAFrontEndConnectedAndARingRunning_ResetsTheDevice_UnmapsItsMemory_AndRemovesTheSocket()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        var device = new FakeVhostUserDevice(queuePairs: 2);
        var listener = VhostUserListener.Start(path, device, _ => { });
        using var fe = new VhostUserTestFrontEnd(UnixStreamSocket.Connect(path));
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.U64Request(VhostUserRequest.SetProtocolFeatures, (ulong)VhostUserProtocolFeatures.Offered, needReply: true)));
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.U64Request(VhostUserRequest.SetFeatures, SessionRig.Features, needReply: true)));
        using (FileDescriptor memfd = MemFd.Create("mvt-listener", SessionRig.RegionBytes))
        {
            var region = new MemoryRegionDescription(0, SessionRig.RegionBytes, SessionRig.UserBase, 0);
            Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.MemTableRequest([region], needReply: true), memfd));
        }
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringNum, new VringState(0, 256), needReply: true)));
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.AddressRequest(SessionRig.RingAddress(0), needReply: true)));
        using (var kick = new EventFd()) Assert.Equal(0UL, fe.SendAndAck(SessionRig.VringFileRequest(VhostUserRequest.SetVringKick, 0), kick.Handle));
        Assert.Equal(0UL, fe.SendAndAck(VhostUserEncoder.StateRequest(VhostUserRequest.SetVringEnable, new VringState(0, 1), needReply: true)));
        Assert.Equal([0], device.RunningRings);
        Assert.Equal(1, ProcessResources.MappingsOf("mvt-listener"));

        listener.Dispose();

        Assert.Equal("Reset", device.Calls[^1]);
        Assert.Equal(0, ProcessResources.MappingsOf("mvt-listener"));
        Assert.False(File.Exists(path));
        Assert.True(fe.WaitForClose(), "the front end's connection stayed open");
        Assert.Equal(0, ProcessResources.WaitForNoThreadsNamed("vhost-user", TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public void Start_WithAModeOtherThan0600_GivesTheSocketThatMode()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        using (VhostUserListener.Start(path, new FakeVhostUserDevice(), _ => { }, mode: 0x1b0 /* 0660 */))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, File.GetUnixFileMode(path));
        }
        Assert.False(File.Exists(path));
    }
}
