namespace MiniVmm.Virtio;

/// <summary>
/// A queue (or, with <see cref="Queue"/> null, the whole device) stopped working: which, why, and
/// the detail for the log. The transport reports it: virtio-pci sets DEVICE_NEEDS_RESET and sends a
/// configuration change notification; vhost-user stops the ring and signals its error fd.
/// </summary>
public readonly record struct VirtioFailure(int? Queue, VirtioError Reason, string Detail)
{
    public override string ToString() => Queue is int q ? $"queue {q}: {Detail} ({Reason})" : $"{Detail} ({Reason})";
}
