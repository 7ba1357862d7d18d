namespace MiniVmm.Virtio.Net;

/// <summary>
/// The virtio-net header in front of every back-end packet, both ways (on a TAP: what TUNSETVNETHDRSZ
/// says), and who fills its hash fields on receive. Three layouts exist:
/// <list type="bullet">
/// <item><see cref="V1"/>: 12-byte virtio_net_hdr_v1; the device computes any hash report itself (<see cref="IRxHashProvider"/>).</item>
/// <item><see cref="V1Hash"/>: 20-byte virtio_net_hdr_v1_hash whose hash fields nobody filled (the device still hashes).</item>
/// <item><see cref="V1HashFilled"/>: 20 bytes with hash_value / hash_report filled by the back end (the kernel or a
/// BPF kfunc, virtio 1.2 §5.1.6.4.3); the device copies them, after checking the report.</item>
/// </list>
/// </summary>
public readonly record struct BackendHeader
{
    private BackendHeader(int bytes, bool hashFilled)
    {
        Bytes = bytes;
        HashFilled = hashFilled;
    }

    public static BackendHeader V1 => new(VirtioNetHeader.Bytes, false);

    public static BackendHeader V1Hash => new(VirtioNetHeader.HashBytes, false);

    public static BackendHeader V1HashFilled => new(VirtioNetHeader.HashBytes, true);

    /// <summary>Header bytes before the frame: 12 or 20.</summary>
    public int Bytes { get; }

    /// <summary>True when received packets carry the back end's hash_value and hash_report.</summary>
    public bool HashFilled { get; }

    /// <summary>The layout for a TAP whose vnet header size is <paramref name="vnetHeaderBytes"/> (12 or 20), hash fields unfilled.</summary>
    public static BackendHeader ForSize(int vnetHeaderBytes) => vnetHeaderBytes switch
    {
        VirtioNetHeader.Bytes => V1,
        VirtioNetHeader.HashBytes => V1Hash,
        _ => throw new ArgumentOutOfRangeException(nameof(vnetHeaderBytes), vnetHeaderBytes, "the device reads and writes 12- or 20-byte vnet headers only"),
    };

    public override string ToString() => HashFilled ? $"{Bytes} bytes, hash from the back end" : $"{Bytes} bytes";
}
