using MiniVmm.Rss.Packets;

namespace MiniVmm.Testing;

/// <summary>Generated frames for robustness tests: every protocol the classifier knows, then mutated.</summary>
public static class RandomFrames
{
    public static byte[] WellFormed(Random random)
    {
        var builder = new FrameBuilder();
        int tags = random.Next(4) == 0 ? random.Next(1, 4) : 0;
        for (int i = 0; i < tags; i++)
        {
            builder.WithVlan((ushort)random.Next(4096), random.Next(2) == 0 ? EtherType.Vlan : EtherType.ServiceVlan);
        }

        switch (random.Next(10))
        {
            case 0:
                return builder.Arp(V4(random), V4(random)).WithId((uint)random.Next()).Build();
            case < 5:
                builder.IPv4(V4(random), V4(random));
                if (random.Next(4) == 0)
                {
                    byte[] options = new byte[random.Next(1, 41)];
                    random.NextBytes(options);
                    builder.WithIPv4Options(options);
                }

                break;
            default:
                builder.IPv6(V6(random), V6(random));
                int headers = random.Next(3) == 0 ? random.Next(1, 11) : 0;
                for (int i = 0; i < headers; i++)
                {
                    switch (random.Next(5))
                    {
                        case 0: builder.WithHopByHopOptions(); break;
                        case 1: builder.WithHomeAddress(V6(random)); break;
                        case 2: builder.WithRoutingType2(V6(random)); break;
                        case 3: builder.WithDestinationOptions(); break;
                        default: builder.WithExtensionHeader(IpProtocol.AuthenticationHeader, new byte[10]); break;
                    }
                }

                break;
        }

        if (random.Next(6) == 0)
        {
            builder.AsFragment((ushort)(random.Next(3) * 8 * random.Next(200)), random.Next(2) == 0);
        }

        ushort source = (ushort)random.Next(65536);
        ushort destination = (ushort)random.Next(65536);
        _ = random.Next(4) switch
        {
            0 => builder.Tcp(source, destination),
            1 => builder.Udp(source, destination),
            2 => builder.Protocol((byte)random.Next(256)),
            _ => builder.Tcp(source, destination),
        };
        return builder.WithPayloadLength(random.Next(64)).WithId((uint)random.Next()).Build();
    }

    /// <summary>A frame with random bytes changed, cut short, or entirely random.</summary>
    public static byte[] Mutated(Random random)
    {
        byte[] frame = WellFormed(random);
        switch (random.Next(4))
        {
            case 0:
                return frame[..random.Next(frame.Length + 1)];
            case 1:
                for (int i = random.Next(1, 6); i > 0; i--)
                {
                    frame[random.Next(frame.Length)] = (byte)random.Next(256);
                }

                return frame[..random.Next(frame.Length / 2, frame.Length + 1)];
            case 2:
                // Header bytes most likely to steer the parser: types, lengths, next headers, flags.
                int[] hot = [12, 13, 16, 17, 18, 20, 21, 23, 24, 54, 55, 56, 57, 58, 60, 61, 62, 63];
                frame[hot[random.Next(hot.Length)] % frame.Length] = (byte)random.Next(256);
                return frame;
            default:
                byte[] noise = new byte[random.Next(0, 200)];
                random.NextBytes(noise);
                if (noise.Length > 13 && random.Next(2) == 0)
                {
                    noise[12] = random.Next(2) == 0 ? (byte)0x86 : (byte)0x08;
                    noise[13] = noise[12] == 0x86 ? (byte)0xDD : (byte)0x00;
                }

                return noise;
        }
    }

    private static string V4(Random random) => $"{random.Next(1, 224)}.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}";

    private static string V6(Random random) => $"2001:db8:{random.Next(65536):x}:{random.Next(65536):x}::{random.Next(1, 65536):x}";
}
