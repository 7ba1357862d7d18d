using MiniVmm.Memory;

namespace MiniVmm.VhostUser;

/// <summary>
/// What a vhost-user session needs of the device it serves. The session calls every member from
/// its one control thread, never two at once; <see cref="ConfigChanged"/> may be raised from any
/// thread. The session infers activation and reset from the message stream (VHOST-USER.md) and
/// tells the device through <see cref="Activate"/> and <see cref="Reset"/>; between them it
/// starts and stops single rings.
/// </summary>
public interface IVhostUserDevice
{
    /// <summary>
    /// Virtio feature bits the device offers. The session adds VHOST_USER_F_PROTOCOL_FEATURES (bit
    /// 30) and never passes on LOG_ALL, ACCESS_PLATFORM or RING_PACKED, whatever this says.
    /// </summary>
    ulong DeviceFeatures { get; }

    /// <summary>Rings the device has: 2 * pairs + 1, the control queue last (UML hands it over; QEMU keeps it).</summary>
    int QueueCount { get; }

    /// <summary>Queue pairs, the answer to GET_QUEUE_NUM (QEMU compares it with its queues=).</summary>
    int QueuePairs { get; }

    /// <summary>Bytes of device config space (struct virtio_net_config); GET/SET_CONFIG windows must lie inside it.</summary>
    int ConfigSizeBytes { get; }

    /// <summary>Reads config bytes [offset, offset + data.Length), a window the session checked to be inside the config space.</summary>
    void ReadConfig(int offset, Span<byte> data);

    /// <summary>Writes config bytes (SET_CONFIG); the window was checked as for <see cref="ReadConfig"/>.</summary>
    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>
    /// The driver has set up the device: <paramref name="features"/> are the negotiated virtio bits
    /// (bit 30 removed) and <paramref name="memory"/> the guest memory every ring of this
    /// activation lives in. It stays mapped until <see cref="Reset"/> has returned. Called once per
    /// activation, before the first <see cref="StartRing"/>. Throwing refuses the activation.
    /// </summary>
    void Activate(ulong features, IGuestMemory memory);

    /// <summary>
    /// Starts serving ring <paramref name="index"/> (a ring both kicked and enabled): its worker
    /// may touch the ring from now on. Throwing (a ring the device cannot serve) fails this ring only.
    /// </summary>
    void StartRing(int index, VhostRingSetup setup);

    /// <summary>
    /// Stops ring <paramref name="index"/> and returns its last_avail_idx, only once no worker
    /// touches the ring any more (GET_VRING_BASE's answer; the next start resumes from it). Only
    /// called for a started ring.
    /// </summary>
    ushort StopRing(int index);

    /// <summary>
    /// The inferred device reset: stop every ring and worker, forget RSS and hash state, return to
    /// one active pair. When this returns nothing touches guest memory or the rings' descriptors,
    /// so the session may unmap the memory and close them.
    /// </summary>
    void Reset();

    /// <summary>The config space changed (link status): the session sends CONFIG_CHANGE_MSG on the slave channel.</summary>
    event Action? ConfigChanged;
}
