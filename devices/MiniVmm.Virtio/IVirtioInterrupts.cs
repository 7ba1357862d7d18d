namespace MiniVmm.Virtio;

/// <summary>
/// What a device asks of its transport: interrupts and the error state. The virtio-pci transport
/// implements it; device code calls it from worker threads.
/// </summary>
public interface IVirtioInterrupts
{
    /// <summary>A used buffer notification for one virtqueue (§2.3.2).</summary>
    void SignalQueue(int queueIndex);

    /// <summary>A configuration change notification (§2.3.1).</summary>
    void SignalConfigurationChange();

    /// <summary>
    /// Sets DEVICE_NEEDS_RESET and, if DRIVER_OK is set, sends a configuration change notification
    /// (§2.1.2). The device stops using its queues until the driver resets it.
    /// </summary>
    void MarkNeedsReset(string reason);
}
