using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.HostNet.Steering;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// Pair k's port under software steering. The kernel put each packet on TAP queue k by its own flow
/// hash; this port hashes it in-process and, when the guest's RSS table names another queue, hands it
/// to that queue's worker (<see cref="SteeringExchange"/>). Packets handed to pair k (by other workers,
/// or kept by this one while its guest had no buffers) come before new TAP packets, so a flow keeps
/// its order. While pair k's guest has no buffers the worker keeps serving the TAP queue through
/// <see cref="ServeWhileStalled"/>: other pairs' packets still move, and pair k's own wait in its
/// ring (or are dropped when it is full). A packet for a pair whose ring is full while its guest has
/// buffers is held here, and the TAP is not read again until that ring has room (<see cref="IsTapPaused"/>):
/// backpressure, not loss. Each packet is hashed once: the hash it was steered by is the one
/// reported, carried behind a handed-over packet in a trailer. Runs on pair k's worker only.
/// </summary>
public sealed class SoftwareSteeredPort(int pair, TapQueue tap, SteeringExchange exchange, SoftwareSteeringBackend backend) : IPairPort
{
    /// <summary>TAP packets per call before the worker gets its event loop back (the TAP stays readable).</summary>
    private const int ForwardBudget = 64;

    /// <summary>Behind a handed-over packet: hash value (4), report (2), padding (2), steering generation (4).</summary>
    private const int TrailerBytes = 12;

    private readonly byte[] _scratch = new byte[NetQueuePair.RxBufferBytes];

    // A packet (with its trailer) for another pair whose ring was full: sent before the TAP is read again.
    private readonly byte[] _held = new byte[NetQueuePair.RxBufferBytes];
    private int _heldBytes, _heldTarget;

    // The hash of the packet Read returned last, and the steering generation it was computed under.
    private RxHash _lastHash;
    private int _lastGeneration = -1;

    public FileDescriptor Handle => tap.Handle;

    public EventFd? Wakeup => exchange.WakeupOf(pair);

    public bool ServesWhileStalled => true;

    public int HeaderBytes => tap.HeaderBytes;

    /// <summary>True while a packet for a full ring is held: the TAP is read again after the wake-up.</summary>
    public bool IsTapPaused => _heldBytes != 0;

    public void SetRxStalled(bool stalled) => exchange.SetStalled(pair, stalled);

    public BackendResult Read(Span<byte> packet)
    {
        _lastGeneration = -1;
        bool paused = !TrySendHeld();
        if (!exchange.IsEmpty(pair))
        {
            // Keep the TAP moving while older packets are delivered: one TAP packet per packet delivered.
            if (!paused) ServeWhileStalled(1);
            int length = exchange.TryReceive(pair, packet);
            if (length > TrailerBytes)
            {
                return TakeHandedOver(packet, length - TrailerBytes);
            }
        }
        // The trailer goes in the scratch bytes behind the largest packet (NetQueuePair.PortScratchBytes).
        Span<byte> readSpace = packet[..^TrailerBytes];
        for (int i = 0; i < ForwardBudget && _heldBytes == 0; i++)
        {
            BackendResult r = tap.Read(readSpace);
            if (r.Status != BackendStatus.Done) return r;
            if (Steer(packet, r.Bytes, keepOwn: false, out RxHash? own, out int generation))
            {
                // Not hashed (no RSS steering in force): HashOf computes it if the guest wants one.
                _lastHash = own ?? default;
                _lastGeneration = own is null ? -1 : generation;
                return r;
            }
        }
        return BackendResult.WouldBlock;
    }

    public BackendResult Write(ReadOnlySpan<byte> packet) => tap.Write(packet);

    /// <summary>The hash the packet was steered by when it was computed under the steering in force; else computed now.</summary>
    public RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration)
    {
        SteeringState state = backend.State;
        if (_lastGeneration == state.Generation && ReferenceEquals(configuration, state.Configuration))
        {
            return _lastHash;
        }
        RssResult result = RssHasher.Compute(packet[tap.HeaderBytes..], configuration);
        return new RxHash(result.HashValue, result.HashReport);
    }

    public void ServeWhileStalled(int budget)
    {
        if (!TrySendHeld()) return;
        for (int i = 0; i < budget && _heldBytes == 0; i++)
        {
            // The device's own buffer may hold the packet waiting for guest buffers: use ours.
            BackendResult r = tap.Read(_scratch.AsSpan(0, _scratch.Length - TrailerBytes));
            if (r.Status == BackendStatus.WouldBlock) return;
            if (r.Status == BackendStatus.Done) Steer(_scratch, r.Bytes, keepOwn: true, out _, out _);
        }
    }

    /// <summary>
    /// Hashes the packet at the start of <paramref name="buffer"/> (which has room for a trailer behind
    /// it) and hands it to the pair the table names. Returns true for a packet of this pair that is to
    /// be delivered now (never with <paramref name="keepOwn"/>, which keeps it in this pair's ring);
    /// <paramref name="hash"/> is the hash it was steered by, or null when no RSS steering is in force.
    /// </summary>
    private bool Steer(Span<byte> buffer, int length, bool keepOwn, out RxHash? hash, out int generation)
    {
        int headerBytes = tap.HeaderBytes;
        SteeringState state = backend.State;
        generation = state.Generation;
        hash = null;
        int target = pair;
        if (length > headerBytes && state.Configuration is { SteeringEnabled: true } config && state.Pairs > 1)
        {
            RssResult result = RssHasher.Compute(buffer.Slice(headerBytes, length - headerBytes), config);
            hash = new RxHash(result.HashValue, result.HashReport);
            // The table may name a queue above the pairs in use after VQ_PAIRS_SET shrank them: wrap, as tun does.
            target = result.Queue < state.Pairs ? result.Queue : result.Queue % state.Pairs;
        }
        if (target == pair && !keepOwn) return true;
        WriteTrailer(buffer, length, hash, generation);
        Span<byte> record = buffer[..(length + TrailerBytes)];
        if (exchange.Forward(pair, target, record) == HandOver.Full)
        {
            record.CopyTo(_held);
            _heldBytes = record.Length;
            _heldTarget = target;
        }
        return false;
    }

    /// <summary>Hands over the held packet, if any; false while its destination's ring is still full.</summary>
    private bool TrySendHeld()
    {
        if (_heldBytes == 0) return true;
        if (exchange.Forward(pair, _heldTarget, _held.AsSpan(0, _heldBytes)) == HandOver.Full) return false;
        _heldBytes = 0;
        return true;
    }

    /// <summary>A hash that was not computed is marked with generation -1: the receiving worker hashes then.</summary>
    private static void WriteTrailer(Span<byte> buffer, int length, RxHash? hash, int generation)
    {
        Span<byte> trailer = buffer.Slice(length, TrailerBytes);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer, hash?.Value ?? 0);
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (ushort)(hash?.Report ?? 0));
        BinaryPrimitives.WriteInt32LittleEndian(trailer[8..], hash is null ? -1 : generation);
    }

    private BackendResult TakeHandedOver(Span<byte> packet, int length)
    {
        ReadOnlySpan<byte> trailer = packet.Slice(length, TrailerBytes);
        _lastHash = new RxHash(BinaryPrimitives.ReadUInt32LittleEndian(trailer), (VirtioNetHashReport)BinaryPrimitives.ReadUInt16LittleEndian(trailer[4..]));
        _lastGeneration = BinaryPrimitives.ReadInt32LittleEndian(trailer[8..]);
        return BackendResult.Packet(length);
    }
}
