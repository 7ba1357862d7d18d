using MiniVmm.HostNet.Steering;

namespace MiniVmm.HostNet.VhostNet;

/// <summary>
/// What the data path choice depends on besides the negotiated features, all fixed at start: what
/// `vhost=` asked for, whether /dev/vhost-net opened (and what it offers), the steering back end
/// chosen for the TAP, and the steering probes (for the reason a choice gives).
/// </summary>
/// <param name="DeviceFeatures">VHOST_GET_FEATURES without the vhost-only bits; 0 when the device did not open.</param>
public sealed record VhostNetConditions(VhostRequest Requested, ProbeResult Device, ulong DeviceFeatures, SteeringBackendKind Steering, ISteeringCapabilities Probes);
