using System.Globalization;

namespace MiniVmm.Virtio.Net;

/// <summary>A 48-bit Ethernet address, written "52:54:00:12:34:56".</summary>
public readonly record struct MacAddress(ulong Value)
{
    /// <summary>The default: locally administered, QEMU's prefix.</summary>
    public static MacAddress Default => new(0x52_54_00_12_34_56);

    public static bool TryParse(string? text, out MacAddress mac)
    {
        mac = default;
        string[] parts = text?.Split(':') ?? [];
        if (parts.Length != 6)
        {
            return false;
        }
        ulong value = 0;
        foreach (string part in parts)
        {
            if (part.Length != 2 || !byte.TryParse(part, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }
            value = (value << 8) | b;
        }
        mac = new MacAddress(value);
        return true;
    }

    /// <summary>True for a multicast address (bit 0 of the first byte), which a NIC must not use.</summary>
    public bool IsMulticast => ((Value >> 40) & 1) != 0;

    /// <summary>The address in the first 6 bytes of <paramref name="source"/> (the mac field of struct virtio_net_config).</summary>
    public static MacAddress Read(ReadOnlySpan<byte> source)
    {
        ulong value = 0;
        for (int i = 0; i < 6; i++) value = (value << 8) | source[i];
        return new MacAddress(value);
    }

    public void WriteTo(Span<byte> destination)
    {
        for (int i = 0; i < 6; i++)
        {
            destination[i] = (byte)(Value >> (8 * (5 - i)));
        }
    }

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        WriteTo(b);
        return $"{b[0]:x2}:{b[1]:x2}:{b[2]:x2}:{b[3]:x2}:{b[4]:x2}:{b[5]:x2}";
    }
}
