using MiniVmm.Rss.Packets;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

public sealed class SteeringFlowSetTests
{
    [Fact]
    public void EveryFrameCarriesItsIdAndTheKindsCoverEveryReportType()
    {
        IReadOnlyList<SteeringFlow> flows = SteeringFlowSet.Build(firstId: 100, flowsPerKind: 4);
        RssConfiguration config = RssConfiguration.Spread(4);

        Assert.Equal(Enumerable.Range(100, flows.Count).Select(i => (uint)i), flows.Select(f => f.Id));
        Assert.All(flows, f => Assert.Equal(f.Id, FrameBuilder.ReadId(f.Frame)));
        var reports = flows.Select(f => RssHasher.Compute(f.Frame, config).HashReport).ToHashSet();
        Assert.Equal(Enum.GetValues<VirtioNetHashReport>().ToHashSet(), reports);
        Assert.Equal(VirtioNetHashReport.None, RssHasher.Compute(flows.Single(f => f.Kind == "arp").Frame, config).HashReport);
    }

    [Fact]
    public void PlainFlowsSpreadOverFourQueues()
    {
        RssConfiguration config = RssConfiguration.Spread(4);
        var queues = SteeringFlowSet.Build().Where(f => f.Kind is "ipv4-tcp" or "ipv6-udp")
            .Select(f => RssHasher.Compute(f.Frame, config).Queue).ToHashSet();

        Assert.True(queues.Count >= 3, $"8+8 flows reached only queues {string.Join(",", queues)}");
    }
}
