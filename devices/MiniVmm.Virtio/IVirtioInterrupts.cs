namespace MiniVmm.Virtio;

/// <summary>
/// What a device's queues ask of the transport: notifications and failure reports. The virtio-pci
/// transport implements it with MSI-X; a vhost-user back end with the front end's call and error
/// fds. Called from worker threads; must not block.
/// </summary>
public interface IVirtioInterrupts
{
    /// <summary>A used buffer notification for one virtqueue (§2.3.2).</summary>
    void SignalQueue(int queueIndex);

    /// <summary>A configuration change notification (§2.3.1).</summary>
    void SignalConfigurationChange();

    /// <summary>
    /// A queue or the device failed (§2.1.2): virtio-pci sets DEVICE_NEEDS_RESET and, if DRIVER_OK is
    /// set, sends a configuration change notification. The failed queue is not used until the driver resets the device.
    /// </summary>
    void MarkNeedsReset(VirtioFailure failure);
}
