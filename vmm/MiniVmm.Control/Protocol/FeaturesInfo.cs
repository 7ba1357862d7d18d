namespace MiniVmm.Control.Protocol;

/// <summary>The feature bits the device offers and the ones the driver accepted (0 until it set DRIVER_OK, and after a reset).</summary>
public sealed record FeaturesInfo(FeatureBits Offered, FeatureBits Negotiated);
