namespace MiniVmm.HostNet.VhostNet;

/// <summary>Who moves the packets of a TAP NIC between the guest's rings and the TAP queues.</summary>
public enum DataPathKind
{
    /// <summary>The VMM's queue-pair workers (NetDeviceRuntime).</summary>
    InProcess,

    /// <summary>The kernel's vhost-net, one worker per pair; the VMM only answers the control queue.</summary>
    VhostNet,
}
