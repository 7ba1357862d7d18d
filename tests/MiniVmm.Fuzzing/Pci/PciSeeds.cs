using MiniVmm.Memory;
using MiniVmm.Testing;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Fuzzing.Pci;

/// <summary>
/// Seeds of the pci target: what the test driver (<see cref="VirtioPciDriver"/>, Linux's probe order)
/// does to the transport, recorded: capability walk, negotiation, every queue set up, MSI-X enabled,
/// DRIVER_OK, a notify, then a reset; also a refused feature set and a queue enabled with bad rings.
/// </summary>
internal static class PciSeeds
{
    public static IEnumerable<byte[]> Create()
    {
        yield return Record(d =>
        {
            d.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.Rss, VirtioNetFeature.HashReport));
            for (int q = 0; q < 5; q++) d.SetUpQueue(q, 64, (ushort)q);
            d.EnableMsix(6);
            d.DriverOk();
            d.Notify(1);
            d.ReadIsr();
            d.Write(20, 1, 0);
        });
        yield return Record(d => d.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.GuestTso4)));
        yield return Record(d =>
        {
            d.Negotiate(NetTestRig.BaseFeatures());
            d.Write(22, 2, 0);
            d.Write(24, 2, 64);
            d.SetQueueAddresses(new GuestAddress(0x10008), new GuestAddress(0x20001), new GuestAddress(0xFFF0));
            d.Write(28, 2, 1);
            d.DriverOk();
        });
    }

    private static byte[] Record(Action<VirtioPciDriver> drive)
    {
        var memory = new ArrayGuestMemory(VirtioPciTarget.MemoryBytes);
        var device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 2 }, new FakeNetDeviceHost());
        var recorder = new RecordingPciDevice(new VirtioPciTransport(device, new FakeMsiInterrupts(), memory, new GuestAddress(NetTestRig.BarBase)));
        var driver = new VirtioPciDriver(recorder, memory);
        drive(driver);
        return recorder.Recorded.ToArray();
    }
}
