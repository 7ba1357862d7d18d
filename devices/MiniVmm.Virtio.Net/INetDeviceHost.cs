namespace MiniVmm.Virtio.Net;

/// <summary>
/// What runs the device on the host (its back end and workers; HostNet's NetDeviceRuntime, a fake
/// in tests), as <see cref="VirtioNetDevice"/> needs it. The device calls it on the thread of the
/// transport event (a vCPU, or a vhost-user session) or of the control queue's worker.
/// </summary>
public interface INetDeviceHost
{
    /// <summary>The driver set DRIVER_OK: start serving the enabled queues with these features.</summary>
    void Activated(ulong negotiatedFeatures);

    /// <summary>
    /// The device is being reset, or halted after DEVICE_NEEDS_RESET: stop touching every queue and
    /// return only once no worker does (a worker of this device may be the caller).
    /// </summary>
    void Stopped();

    /// <summary>The driver notified a queue through the transport rather than an eventfd (wake its worker).</summary>
    void Notified(int queueIndex);

    /// <summary>Bus mastering was switched off or back on: pause or resume every worker (no DMA while off).</summary>
    void BusMasterChanged(bool enabled);

    /// <summary>
    /// A control command changed where packets go (one call per command, before it is acknowledged):
    /// configure the TAP queues and the steering back end. Returns null on success, or the host's
    /// error, in which case the command fails with VIRTIO_NET_ERR and the device keeps its old state.
    /// </summary>
    string? ApplySteering(SteeringState next);
}
