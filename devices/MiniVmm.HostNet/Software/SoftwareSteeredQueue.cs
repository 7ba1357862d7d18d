using System.Buffers.Binary;
using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// Pair k's back-end port under software steering. The kernel put a packet on TAP queue k by its
/// own flow hash; this port hashes it in-process and, when the guest's RSS table names another
/// queue, hands it to that queue's worker (<see cref="SteeringExchange"/>) instead of returning it.
/// Packets handed to pair k by other workers come first. Runs on pair k's worker only.
/// The hash computed for steering is also the one the device reports (this port is the pair's
/// <see cref="IRxHashProvider"/>), so each packet is hashed once: forwarded packets carry it in a
/// trailer through the hand-off ring.
/// </summary>
public sealed class SoftwareSteeredQueue(int pair, TapQueue tap, SteeringExchange exchange, SoftwareSteeringBackend backend)
    : INetBackendQueue, IRxHashProvider
{
    /// <summary>Forwards per Read call before giving the worker back to its event loop (the TAP stays readable).</summary>
    private const int ForwardBudget = 64;

    /// <summary>Behind a forwarded packet in the ring: hash value (4), report (2), padding (2), configuration generation (4).</summary>
    private const int TrailerBytes = 12;

    // The hash of the packet Read returned last, and the configuration generation it was computed under.
    private bool _cached;
    private int _cachedLength;
    private uint _cachedHash;
    private VirtioNetHashReport _cachedReport;
    private int _cachedGeneration;

    public BackendHeader Header => tap.Header;

    public int Read(Span<byte> packetWithVnetHeader)
    {
        _cached = false;
        int headerBytes = tap.Header.Bytes;
        int length = exchange.TryReceive(pair, packetWithVnetHeader);
        if (length > TrailerBytes) return TakeTrailer(packetWithVnetHeader, length - TrailerBytes);
        // Room for the trailer behind the largest packet the TAP can give.
        Span<byte> readSpace = packetWithVnetHeader[..^TrailerBytes];
        for (int i = 0; i < ForwardBudget; i++)
        {
            length = tap.Read(readSpace);
            if (length <= headerBytes) return length;
            int generation = backend.Generation;
            RssConfiguration? config = backend.Configuration;
            int pairs = backend.ActivePairs;
            if (config is null || !config.SteeringEnabled || pairs <= 1) return length;
            RssResult result = RssHasher.Compute(packetWithVnetHeader[headerBytes..length], config);
            // The pair count may shrink after the table was set: wrap, as the kernel's tun does.
            int target = result.Queue < pairs ? result.Queue : result.Queue % pairs;
            if (target == pair)
            {
                Cache(length - headerBytes, result.HashValue, result.HashReport, generation);
                return length;
            }
            Span<byte> trailer = packetWithVnetHeader.Slice(length, TrailerBytes);
            BinaryPrimitives.WriteUInt32LittleEndian(trailer, result.HashValue);
            BinaryPrimitives.WriteUInt32LittleEndian(trailer[4..], (ushort)result.HashReport);
            BinaryPrimitives.WriteInt32LittleEndian(trailer[8..], generation);
            exchange.Forward(pair, target, packetWithVnetHeader[..(length + TrailerBytes)]);
        }
        return 0;
    }

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader) => tap.Write(packetWithVnetHeader);

    /// <summary>
    /// The hash of the packet Read returned last, when it was computed under the configuration the
    /// device asks about; otherwise (the guest changed it meanwhile, or the packet was not steered) computed now.
    /// </summary>
    public bool TryComputeHash(ReadOnlySpan<byte> frame, RssConfiguration configuration, out uint hashValue, out VirtioNetHashReport hashReport)
    {
        if (_cached && _cachedLength == frame.Length && _cachedGeneration == backend.Generation
            && ReferenceEquals(configuration, backend.Configuration))
        {
            hashValue = _cachedHash;
            hashReport = _cachedReport;
        }
        else
        {
            RssResult result = RssHasher.Compute(frame, configuration);
            hashValue = result.HashValue;
            hashReport = result.HashReport;
        }
        return hashReport != VirtioNetHashReport.None;
    }

    private int TakeTrailer(Span<byte> packet, int length)
    {
        ReadOnlySpan<byte> trailer = packet.Slice(length, TrailerBytes);
        Cache(length - tap.Header.Bytes, BinaryPrimitives.ReadUInt32LittleEndian(trailer),
            (VirtioNetHashReport)BinaryPrimitives.ReadUInt16LittleEndian(trailer[4..]), BinaryPrimitives.ReadInt32LittleEndian(trailer[8..]));
        return length;
    }

    private void Cache(int frameLength, uint hash, VirtioNetHashReport report, int generation)
    {
        _cached = true;
        _cachedLength = frameLength;
        _cachedHash = hash;
        _cachedReport = report;
        _cachedGeneration = generation;
    }
}
