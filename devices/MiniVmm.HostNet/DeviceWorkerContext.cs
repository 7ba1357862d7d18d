using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// What every worker of one device activation shares: guest memory (RAM under KVM, the region table
/// under vhost-user), the transport's notifications (MSI-X, or call fds), and the device whose
/// steering state the workers read once per batch.
/// </summary>
public sealed record DeviceWorkerContext(IGuestMemory Memory, IVirtioInterrupts Interrupts, VirtioNetDevice Device)
{
    public SteeringState Steering => Device.Steering;
}
