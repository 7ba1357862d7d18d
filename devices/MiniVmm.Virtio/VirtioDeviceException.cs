namespace MiniVmm.Virtio;

/// <summary>
/// The guest broke the virtio protocol (a bad descriptor, index or address). Thrown inside device
/// code and caught where a queue is processed, which turns it into a <see cref="VirtioFailure"/>
/// and marks the device DEVICE_NEEDS_RESET (§2.1.2); it never leaves a worker.
/// </summary>
public sealed class VirtioDeviceException(VirtioError reason, string message) : Exception(message)
{
    public VirtioError Reason { get; } = reason;
}
