using MiniVmm.Virtio.Net;

namespace MiniVmm.Testing;

/// <summary>
/// Stands in for the runtime under a device in unit tests: records lifecycle calls and every steering
/// change, and can make the host fail a steering change (<see cref="FailSteering"/>).
/// </summary>
public sealed class FakeNetDeviceHost : INetDeviceHost
{
    /// <summary>Lifecycle calls in order: "activated", "stopped", "notified N" (bus mastering is in <see cref="BusMaster"/>).</summary>
    public List<string> Events { get; } = [];

    /// <summary>Every steering change the device asked for and the host accepted, in order.</summary>
    public List<SteeringState> Applied { get; } = [];

    /// <summary>When set, the next steering changes fail with this host error.</summary>
    public string? FailSteering { get; set; }

    public bool BusMaster { get; private set; } = true;

    public void Activated(ulong negotiatedFeatures) => Events.Add("activated");

    public void Stopped() => Events.Add("stopped");

    public void Notified(int queueIndex) => Events.Add($"notified {queueIndex}");

    public void BusMasterChanged(bool enabled) => BusMaster = enabled;

    public string? ApplySteering(SteeringState next)
    {
        if (FailSteering is string error) return error;
        Applied.Add(next);
        return null;
    }
}
