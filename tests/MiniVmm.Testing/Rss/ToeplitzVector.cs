namespace MiniVmm.Testing;

/// <summary>One row of toeplitz_msft.json.</summary>
public sealed record ToeplitzVector(
    string Id,
    string Family,
    string SourceAddress,
    string DestinationAddress,
    ushort SourcePort,
    ushort DestinationPort,
    uint HashAddressesOnly,
    uint HashWithPorts,
    byte[] InputAddressesOnly,
    byte[] InputWithPorts)
{
    public bool IsIPv6 => Family == "ipv6";

    public override string ToString() => Id;
}
