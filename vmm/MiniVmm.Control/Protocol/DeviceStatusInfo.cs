namespace MiniVmm.Control.Protocol;

/// <summary>
/// Whether the driver has the device running (DRIVER_OK and no reset or failure since), whether it
/// waits for a reset after a failure (DEVICE_NEEDS_RESET, §2.1.2), and the last failure, kept
/// after the reset that cleared it.
/// </summary>
public sealed record DeviceStatusInfo
{
    public required bool Active { get; init; }

    public required bool NeedsReset { get; init; }

    /// <summary>Always written: null when the device never failed.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.Never)]
    public FailureInfo? LastFailure { get; init; }
}
