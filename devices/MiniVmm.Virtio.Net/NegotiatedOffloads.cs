namespace MiniVmm.Virtio.Net;

/// <summary>
/// What the negotiated features say about vnet headers, both ways: the guest's header size (20 bytes
/// with VIRTIO_NET_F_HASH_REPORT, else 12), mergeable receive buffers, and which checksum and
/// segmentation offloads each direction may carry (virtio 1.2 §5.1.6.2.1, §5.1.6.4.1).
/// </summary>
public readonly record struct NegotiatedOffloads(
    bool HashReport, bool Mergeable,
    bool GuestCsum, bool GuestTso4, bool GuestTso6,
    bool HostCsum, bool HostTso4, bool HostTso6)
{
    /// <summary>Nothing negotiated: the state before DRIVER_OK.</summary>
    public static NegotiatedOffloads None => default;

    /// <summary>The guest's vnet header size.</summary>
    public int HeaderBytes => HashReport ? VirtioNetHeader.HashBytes : VirtioNetHeader.Bytes;

    public static NegotiatedOffloads From(ulong features)
    {
        bool Has(int bit) => (features & VirtioFeature.Bit(bit)) != 0;
        return new NegotiatedOffloads(
            Has(VirtioNetFeature.HashReport), Has(VirtioNetFeature.MrgRxbuf),
            Has(VirtioNetFeature.GuestCsum), Has(VirtioNetFeature.GuestTso4), Has(VirtioNetFeature.GuestTso6),
            Has(VirtioNetFeature.Csum), Has(VirtioNetFeature.HostTso4), Has(VirtioNetFeature.HostTso6));
    }

    /// <summary>
    /// Receive: offload fields may reach the guest only as negotiated (§5.1.6.4.1). Without GUEST_CSUM
    /// the flags must be zero: DATA_VALID (which TUN sets for checksum-verified packets whatever the
    /// offloads) is cleared, and a partial checksum (NEEDS_CSUM) cannot be delivered: false, drop it.
    /// A GSO type the guest did not negotiate cannot be delivered either.
    /// </summary>
    public bool AdjustReceiveHeader(Span<byte> header)
    {
        byte gso = (byte)(header[VirtioNetHeader.GsoTypeOffset] & ~VirtioNetHeader.GsoEcn);
        if (!GuestCsum)
        {
            if ((header[VirtioNetHeader.FlagsOffset] & VirtioNetHeader.FlagNeedsCsum) != 0)
            {
                return false;
            }
            header[VirtioNetHeader.FlagsOffset] = 0;
        }
        return gso switch
        {
            VirtioNetHeader.GsoNone => true,
            VirtioNetHeader.GsoTcpV4 => GuestTso4,
            VirtioNetHeader.GsoTcpV6 => GuestTso6,
            _ => false,
        };
    }

    /// <summary>
    /// Transmit: §5.1.6.2.1 "If VIRTIO_NET_F_CSUM is not negotiated, the driver MUST set flags to
    /// zero", and a gso_type other than NONE needs the matching HOST_TSO feature (HOST_UFO and
    /// HOST_ECN are not offered). A header that asks for more never reaches the host kernel: false,
    /// drop it. Fields that mean nothing for this header are zeroed so the kernel sees no noise.
    /// </summary>
    public bool CheckTransmitHeader(Span<byte> header)
    {
        byte flags = header[VirtioNetHeader.FlagsOffset];
        byte gso = header[VirtioNetHeader.GsoTypeOffset];
        bool needsCsum = (flags & VirtioNetHeader.FlagNeedsCsum) != 0;
        if (needsCsum && !HostCsum)
        {
            return false;
        }
        bool gsoAllowed = gso switch
        {
            VirtioNetHeader.GsoNone => true,
            VirtioNetHeader.GsoTcpV4 => HostTso4,
            VirtioNetHeader.GsoTcpV6 => HostTso6,
            _ => false,
        };
        if (!gsoAllowed)
        {
            return false;
        }
        header[VirtioNetHeader.FlagsOffset] = (byte)(flags & VirtioNetHeader.FlagNeedsCsum);
        if (gso == VirtioNetHeader.GsoNone)
        {
            header.Slice(VirtioNetHeader.HdrLenOffset, 4).Clear(); // hdr_len, gso_size
        }
        if (!needsCsum)
        {
            header.Slice(VirtioNetHeader.CsumStartOffset, 4).Clear(); // csum_start, csum_offset
        }
        return true;
    }
}
