using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// A vhost-user back end process, from the front end's side (QEMU's vhost-user-net plays this part;
/// ours is `minivmm run --net vhost-user=`). Connecting negotiates features and protocol features
/// (MQ, REPLY_ACK, SLAVE_REQ, CONFIG: what we implement, as far as the back end offers them), asks
/// the queue count and hands over the slave channel; GET_CONFIG is sent only with CONFIG (DPDK drops
/// a session that sends it). A thread watches the slave channel (CONFIG_CHANGE_MSG) and the socket
/// (the back end going away). Requests come from one thread at a time.
/// </summary>
public sealed class VhostUserBackend : IVhostBackend
{
    /// <summary>
    /// How long a reply may take before the back end counts as broken. Generous: DPDK answers on a
    /// control thread that shares its CPU with a busy-polling forwarding lcore, and on a loaded host
    /// (tests in parallel) its SET_MEM_TABLE reply took more than 5 s. QEMU waits forever; a back
    /// end that never answers costs us this long, once, and then a clean failure.
    /// </summary>
    public static readonly TimeSpan DefaultReplyTimeout = TimeSpan.FromSeconds(30);

    private const VhostUserProtocolFeatures Wanted =
        VhostUserProtocolFeatures.Mq | VhostUserProtocolFeatures.ReplyAck | VhostUserProtocolFeatures.SlaveReq | VhostUserProtocolFeatures.Config;

    private readonly VhostUserConnection _connection;
    private readonly VhostUserBackendWatch _watch;
    private readonly VhostUserProtocolFeatures _protocol;

    private VhostUserBackend(string path, VhostUserConnection connection, ulong features, VhostUserProtocolFeatures protocol, int pairs, UnixStreamSocket? slave)
    {
        Name = $"vhost-user {path}";
        _connection = connection;
        Features = features;
        _protocol = protocol;
        QueuePairs = pairs;
        _watch = new VhostUserBackendWatch(connection.Socket, slave, () => ConfigChanged?.Invoke(), () => Disconnected?.Invoke());
    }

    public string Name { get; }

    public ulong Features { get; }

    public int QueuePairs { get; }

    /// <summary>The protocol features both sides agreed on.</summary>
    public VhostUserProtocolFeatures ProtocolFeatures => _protocol;

    public event Action? ConfigChanged;

    public event Action? Disconnected;

    /// <summary>Connects to the back end at <paramref name="path"/> and negotiates; throws VhostBackendException with one line.</summary>
    public static VhostUserBackend Connect(string path, TimeSpan? replyTimeout = null)
    {
        UnixStreamSocket socket;
        try
        {
            socket = UnixStreamSocket.Connect(path);
        }
        catch (SyscallException e)
        {
            throw new VhostBackendException($"cannot connect to {path}: {e.Message}");
        }
        var connection = new VhostUserConnection(socket, replyTimeout ?? DefaultReplyTimeout);
        UnixStreamSocket? slave = null, slavePeer = null;
        try
        {
            ulong offered = connection.GetU64(VhostUserRequest.GetFeatures);
            if ((offered & VhostUserVirtioFeatures.ProtocolFeatures) == 0)
            {
                throw new VhostBackendException($"{path}: the back end does not offer VHOST_USER_F_PROTOCOL_FEATURES (0x{offered:x})");
            }
            var protocol = (VhostUserProtocolFeatures)connection.GetU64(VhostUserRequest.GetProtocolFeatures) & Wanted;
            connection.SetU64(VhostUserRequest.SetProtocolFeatures, (ulong)protocol);
            connection.ReplyAck = (protocol & VhostUserProtocolFeatures.ReplyAck) != 0;
            int pairs = 1;
            if ((protocol & VhostUserProtocolFeatures.Mq) != 0)
            {
                ulong n = connection.GetU64(VhostUserRequest.GetQueueNum);
                pairs = n is >= 1 and <= 256 ? (int)n : throw new VhostBackendException($"{path}: GET_QUEUE_NUM answered {n}");
            }
            if ((protocol & VhostUserProtocolFeatures.SlaveReq) != 0)
            {
                (slave, slavePeer) = UnixStreamSocket.Pair();
                connection.Set(VhostUserRequest.SetSlaveReqFd, VhostUserEncoder.Request(VhostUserRequest.SetSlaveReqFd, []), slavePeer.Handle);
                slavePeer.Dispose(); // the back end has its copy now
                slavePeer = null;
            }
            connection.Set(VhostUserRequest.SetOwner, VhostUserEncoder.Request(VhostUserRequest.SetOwner, []));
            return new VhostUserBackend(path, connection, offered & ~VhostUserVirtioFeatures.ProtocolFeatures, protocol, pairs, slave);
        }
        catch
        {
            slavePeer?.Dispose();
            slave?.Dispose();
            connection.Dispose();
            throw;
        }
    }

    public bool TryReadConfig(Span<byte> config)
    {
        if ((_protocol & VhostUserProtocolFeatures.Config) == 0) return false;
        byte[] bytes = _connection.GetConfig(0, (uint)config.Length);
        bytes.CopyTo(config);
        return true;
    }

    public void SetFeatures(ulong features) =>
        _connection.SetU64(VhostUserRequest.SetFeatures, features | VhostUserVirtioFeatures.ProtocolFeatures);

    public void SetMemoryTable(IReadOnlyList<SharedMemoryRegion> regions)
    {
        if (regions.Count is 0 or > 8) throw new ArgumentException($"{regions.Count} memory regions; vhost-user takes 1 to 8", nameof(regions));
        if (regions.Any(r => r.File is null)) throw new ArgumentException("a vhost-user back end maps guest RAM from its file: the machine's RAM must be shared (memfd)", nameof(regions));
        var descriptions = regions.Select(r => new MemoryRegionDescription(r.GuestAddress.Value, r.SizeBytes, r.UserAddress, r.FileOffset)).ToList();
        _connection.Set(VhostUserRequest.SetMemTable, VhostUserEncoder.MemTableRequest(descriptions), [.. regions.Select(r => r.File!)]);
    }

    public void StartRing(VhostRing ring, ushort lastAvail, FileDescriptor kick, FileDescriptor call)
    {
        uint index = (uint)ring.Index;
        _connection.SetState(VhostUserRequest.SetVringNum, new VringState(index, ring.Size));
        // vhost-user ring addresses are the front end's user addresses: ours are guest-physical, and the
        // memory table maps guest address = user address region by region (see SharedMemoryRegion).
        _connection.Set(VhostUserRequest.SetVringAddr, VhostUserEncoder.AddressRequest(
            new VringAddress(index, 0, ring.DescriptorTable.Value, ring.UsedRing.Value, ring.AvailableRing.Value, 0)));
        _connection.SetState(VhostUserRequest.SetVringBase, new VringState(index, lastAvail));
        _connection.SetU64(VhostUserRequest.SetVringKick, index, kick);
        _connection.SetU64(VhostUserRequest.SetVringCall, index, call);
        SetRingEnabled(ring.Index, true);
    }

    public ushort StopRing(int index)
    {
        VringState state = _connection.GetState(VhostUserRequest.GetVringBase, new VringState((uint)index, 0));
        if (state.Index != (uint)index) throw _connection.Break(new VhostBackendException($"GET_VRING_BASE for ring {index} answered ring {state.Index}"));
        return (ushort)state.Num;
    }

    public void SetRingEnabled(int index, bool enabled) =>
        _connection.SetState(VhostUserRequest.SetVringEnable, new VringState((uint)index, enabled ? 1u : 0u));

    public void Dispose()
    {
        _watch.Dispose();
        _connection.Dispose();
    }
}
