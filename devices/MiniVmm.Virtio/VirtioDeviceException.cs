namespace MiniVmm.Virtio;

/// <summary>
/// The guest broke the virtio protocol (a bad descriptor, index or address). Thrown inside device
/// code and caught at the device boundary, which marks the device DEVICE_NEEDS_RESET (§2.1.2);
/// it never leaves a worker.
/// </summary>
public sealed class VirtioDeviceException(string message) : Exception(message);
