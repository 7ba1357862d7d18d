namespace MiniVmm.HostNet.VhostNet;

/// <summary>What `--net tap=...,vhost=` asked for: whether the kernel's vhost-net carries the data rings.</summary>
public enum VhostRequest
{
    /// <summary>The VMM's own workers carry every packet (the default until a run on a vhost-net host is recorded, docs/VHOST.md).</summary>
    Off,

    /// <summary>vhost-net or fail at start (exit 2) when it cannot carry what the guest is offered.</summary>
    On,

    /// <summary>vhost-net when the device opens and the negotiated features let the kernel do everything, else in-process.</summary>
    Auto,
}
