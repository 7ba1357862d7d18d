using MiniVmm.Control.Protocol;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Rss;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Control;

/// <summary>
/// The answers' contents, read from a running device. Every value comes from a read-only member
/// that is safe on any thread (volatile or locked state, counter snapshots); values read one after
/// the other may be a batch apart, which a report can afford.
/// </summary>
public static class NetDeviceReports
{
    public static DeviceInfo Info(NetDeviceRuntime runtime)
    {
        VirtioNetDevice device = runtime.Device;
        return new DeviceInfo
        {
            Name = runtime.Name,
            Features = new FeaturesInfo(Bits(device.DeviceFeatures), Bits(device.NegotiatedFeatures)),
            Status = new DeviceStatusInfo
            {
                Active = device.IsActive,
                NeedsReset = device.NeedsReset,
                LastFailure = device.LastFailure is VirtioFailure f ? new FailureInfo(f.Queue, f.Reason.ToString(), f.Detail) : null,
            },
            QueuePairs = new QueuePairsInfo(device.Pairs.Count, device.Steering.Pairs),
            Mac = device.Options.Mac.ToString(),
            LinkUp = device.LinkUp,
            Steering = runtime.Backend.Choice is SteeringChoice choice ? new SteeringInfo(SteeringSelector.Name(choice.Kind), choice.LogLine) : null,
        };
    }

    public static RssInfo Rss(VirtioNetDevice device)
    {
        SteeringState state = device.Steering;
        if (state.Configuration is not RssConfiguration c)
        {
            return new RssInfo { Mode = RssInfo.ModeOff, Generation = state.Generation, PairsInUse = state.Pairs };
        }
        bool steers = c.SteeringEnabled;
        return new RssInfo
        {
            Mode = steers ? RssInfo.ModeRss : RssInfo.ModeHash,
            Generation = state.Generation,
            PairsInUse = state.Pairs,
            HashTypes = VirtioNames.HashTypeNames(c.HashTypes),
            HashTypesHex = $"0x{(uint)c.HashTypes:x}",
            Key = Convert.ToHexString(c.Key).ToLowerInvariant(),
            IndirectionTable = steers ? c.IndirectionTable : null,
            UnclassifiedQueue = steers ? c.UnclassifiedQueue : null,
            MaxTxVq = steers ? c.MaxTxVq : null,
        };
    }

    public static CountersInfo Counters(VirtioNetDevice device) =>
        new(device.Pairs.Select(pair => Counters(pair.Index, pair.Counters.Snapshot())).ToArray());

    /// <summary>One pair's counters as the protocol names them.</summary>
    public static PairCountersInfo Counters(int pair, NetQueuePairCounters c) => new(pair,
        new RxCountersInfo
        {
            Packets = c.RxPackets,
            Bytes = c.RxBytes,
            Notifications = c.RxNotifications,
            Dropped = c.RxDropped,
            Drops = new RxDropsInfo(c.RxDroppedNeverFits, c.RxDroppedOffloads, c.RxDroppedBackend),
            BackendErrors = c.RxBackendErrors,
            HashReportsRejected = c.RxHashReportsRejected,
        },
        new TxCountersInfo
        {
            Packets = c.TxPackets,
            Bytes = c.TxBytes,
            Notifications = c.TxNotifications,
            Dropped = c.TxDropped,
            Drops = new TxDropsInfo(c.TxDroppedOversized, c.TxDroppedOffloads, c.TxDroppedBackend),
        });

    private static FeatureBits Bits(ulong features) => new($"0x{features:x}", VirtioNames.FeatureNames(features));
}
