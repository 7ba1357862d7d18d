namespace MiniVmm.Virtio.Pci;

/// <summary>
/// Where everything lives: PCI identity, the capability list in configuration space and the
/// regions of BAR 0 (virtio 1.2 §4.1.2, §4.1.4; offsets keep the alignments Linux's
/// vp_modern_map_capability checks: common 4, notify 2, ISR 1, device 4, each region 4 KiB apart).
/// </summary>
public static class VirtioPciLayout
{
    public const ushort VendorId = 0x1AF4;

    /// <summary>Modern device ID: 0x1040 + virtio device type (§4.1.2.1).</summary>
    public const ushort DeviceIdBase = 0x1040;

    public const byte RevisionId = 1;
    public const ushort SubsystemVendorId = 0x1AF4;
    public const ushort SubsystemId = 0x1100;

    /// <summary>The one BAR: 64-bit memory, BARs 0 and 1.</summary>
    public const int Bar = 0;
    public const ulong BarSizeBytes = 0x8000;

    public const int CommonOffset = 0x0000;
    public const int CommonLength = 0x38; // sizeof(struct virtio_pci_common_cfg)
    public const int IsrOffset = 0x1000;
    public const int IsrLength = 1;
    public const int DeviceOffset = 0x2000;
    public const int NotifyOffset = 0x3000;
    public const int NotifyOffMultiplier = 4;
    public const int MsixTableOffset = 0x4000;
    public const int MsixPbaOffset = 0x5000;
    public const int RegionLength = 0x1000;

    // Capability list in configuration space (§4.1.4).
    public const int CapMsix = 0x40;      // 12 bytes
    public const int CapCommon = 0x50;    // 16 bytes
    public const int CapNotify = 0x60;    // 20 bytes
    public const int CapIsr = 0x78;       // 16 bytes
    public const int CapDevice = 0x88;    // 16 bytes
    public const int CapPciCfg = 0x98;    // 20 bytes

    public const byte CfgTypeCommon = 1;  // VIRTIO_PCI_CAP_COMMON_CFG
    public const byte CfgTypeNotify = 2;  // VIRTIO_PCI_CAP_NOTIFY_CFG
    public const byte CfgTypeIsr = 3;     // VIRTIO_PCI_CAP_ISR_CFG
    public const byte CfgTypeDevice = 4;  // VIRTIO_PCI_CAP_DEVICE_CFG
    public const byte CfgTypePci = 5;     // VIRTIO_PCI_CAP_PCI_CFG
}
