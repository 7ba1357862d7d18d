using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.Fuzzing;

/// <summary>
/// Defects the fuzz targets found (docs/FUZZING.md), each as the smallest hostile driver that shows
/// it; the inputs that found them are replayed from tests/MiniVmm.Fuzzing/Crashes as well.
/// </summary>
public sealed class FuzzFoundDefectTests
{
    private const ushort Write = 2;

    private static NetTestRig Started()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        return rig;
    }

    [Fact]
    public void TransmitChain_ReadableAfterAnEmptyWritableDescriptor_FailsTheQueue_AndNothingThrows()
    {
        // §2.7.4.2: "The driver MUST place any device-writable descriptor elements after any device-readable
        // descriptor elements." An empty writable one is still one: before the fix the walk accepted the chain,
        // gathered nothing (it stops at the first writable buffer) and an ArgumentOutOfRangeException escaped ProcessTx.
        NetTestRig rig = Started();
        VirtqueueDriver tx = rig.Tx(0);
        tx.WriteDescriptor(0, 0x80000, 0, 1 | Write, 1);
        tx.WriteDescriptor(1, 0x80100, 74, 0, 0);
        tx.Publish(0);

        TxOutcome outcome = rig.ProcessTx(0);

        Assert.Equal(VirtioError.BadChainLayout, outcome.Failure?.Reason);
        Assert.True(rig.NeedsReset);
        Assert.Empty(rig.Backends[0].FromGuest);
    }

    [Fact]
    public void ControlChain_CommandAfterAnEmptyWritableDescriptor_FailsTheQueue_AndNothingThrows()
    {
        // The same chain on the control queue gathered 0 bytes of a command it counted as 4 (a negative slice before the fix).
        NetTestRig rig = Started();
        GuestAddress command = rig.Driver.Allocate(4), ack = rig.Driver.Allocate(1);
        rig.Memory.Write(command, [4, 0, 2, 0]); // VQ_PAIRS_SET(2)
        rig.Control.AddChain((command, 0, true), (command, 4, false), (ack, 1, true));

        ControlOutcome outcome = rig.ProcessControl();

        Assert.Equal(VirtioError.BadChainLayout, outcome.Failure?.Reason);
        Assert.Equal(1, rig.Device.Steering.Pairs);
        Assert.Empty(rig.Host.Applied);
    }

    [Fact]
    public void ClearingFailed_WithoutAReset_AsksForAReset_AndStatusNeverReadsZero()
    {
        // §2.1.1: "The driver MUST NOT clear a device status bit." FAILED was the one bit the device let a driver
        // clear: FAILED, then FEATURES_OK alone with features it refuses, left device_status 0 on a device that had
        // not been reset (its features and queues kept), so 0 no longer meant "reset" (found by the pci fuzz target).
        var rig = new NetTestRig();
        rig.Driver.Write(8, 4, 0);
        rig.Driver.Write(12, 4, 1u << 7); // GUEST_TSO4 without GUEST_CSUM (§5.1.3.1): not acceptable
        rig.Driver.Write(20, 1, (uint)VirtioDeviceStatus.Failed);

        rig.Driver.Write(20, 1, (uint)VirtioDeviceStatus.FeaturesOk);

        Assert.NotEqual(0u, rig.Driver.Read(20, 1));
        Assert.True(rig.NeedsReset);
        Assert.Equal(VirtioError.BadDeviceStatus, rig.Transport.LastFailure?.Reason);
    }
}
