namespace MiniVmm.Control.Protocol;

/// <summary>
/// The answer to link: the status now, and whether the driver was sent a configuration change
/// notification (only a driver that set DRIVER_OK is; another reads the status when it starts).
/// </summary>
public sealed record LinkInfo(bool Up, bool Notified);
