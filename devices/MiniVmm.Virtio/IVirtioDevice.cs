using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio;

/// <summary>
/// A virtio device as the transport sees it: features, queues, device configuration and the
/// status transitions that matter to it. Called on vCPU threads (config access, notifications).
/// </summary>
public interface IVirtioDevice
{
    /// <summary>The virtio device ID (§5: 1 = network card).</summary>
    int DeviceType { get; }

    /// <summary>Feature bits the device offers.</summary>
    ulong DeviceFeatures { get; }

    /// <summary>The virtqueues the transport configures for the driver (num_queues of them).</summary>
    IReadOnlyList<SplitQueue> Queues { get; }

    /// <summary>Bytes of device-specific configuration (§4.1.4.6).</summary>
    int ConfigSizeBytes { get; }

    /// <summary>
    /// Whether the driver's feature subset is consistent (device-specific rules such as
    /// "requires another feature", §2.2.1); the transport already checked it is a subset of the offer.
    /// </summary>
    bool AcceptsFeatures(ulong driverFeatures);

    /// <summary>Receives the transport's interrupt and error interface once, before any other call.</summary>
    void Bind(IVirtioInterrupts interrupts);

    void ReadConfig(int offset, Span<byte> data);

    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>The driver set DRIVER_OK with these features (§3.1.1 step 8): apply them to the queues (EVENT_IDX, INDIRECT_DESC) and start using them.</summary>
    void Activate(ulong negotiatedFeatures);

    /// <summary>The driver wrote 0 to device_status (§2.4): forget everything the driver set up.</summary>
    void Reset();

    /// <summary>The driver notified a queue through a BAR write (no ioeventfd registered for it).</summary>
    void NotifyQueue(int queueIndex);

    /// <summary>
    /// The transport set DEVICE_NEEDS_RESET (a queue failed or the driver broke the protocol): stop
    /// using every queue until <see cref="Reset"/>. <paramref name="failure"/> says why (the device
    /// keeps it for reports). May be called on a worker thread of the device.
    /// </summary>
    void Halt(VirtioFailure failure);

    /// <summary>PCI Bus Master Enable changed: while it is clear the device must not touch guest memory.</summary>
    void SetBusMaster(bool enabled);
}
