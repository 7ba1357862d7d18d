namespace MiniVmm.VhostUser.Protocol;

/// <summary>Back-end-initiated requests on the slave (back-end request) channel, vhost-user.rst numbering.</summary>
public enum VhostUserSlaveRequest : uint
{
    IotlbMsg = 1,
    /// <summary>The device config changed (link status): the front end re-reads it and interrupts the driver.</summary>
    ConfigChangeMsg = 2,
    VringHostNotifierMsg = 3,
}
