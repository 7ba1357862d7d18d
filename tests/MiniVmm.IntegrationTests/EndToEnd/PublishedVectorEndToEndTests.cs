using MiniVmm.Cli.SteerTest;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss.Packets;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// The published Microsoft RSS vectors as TCP frames through the whole stack: the guest must get
/// each one with exactly the published hash (not a value our classifier computed) and report type
/// TCPv4 (2) or TCPv6 (5), on queue table[hash &amp; 127] of a 128-entry table spread over 4 queues.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class PublishedVectorEndToEndTests
{
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringRequest.EbpfHybrid)]
    [InlineData(SteeringRequest.Software)]
    public void Published_hashes_arrive_in_the_guest(SteeringRequest steering)
    {
        var flows = new List<(SteeringFlow, FlowExpectation)>();
        uint id = 1;
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            bool ipv6 = v.Family == "ipv6";
            FrameBuilder b = ipv6 ? new FrameBuilder().IPv6(v.SourceAddress, v.DestinationAddress) : new FrameBuilder().IPv4(v.SourceAddress, v.DestinationAddress);
            byte[] frame = b.Tcp(v.SourcePort, v.DestinationPort).WithPayloadLength(16).WithId(id).Build();
            // Spread table: entry i -> queue i % 4, so the queue is (hash & 127) % 4.
            int queue = (int)(v.HashWithPorts & 127) % 4;
            flows.Add((new SteeringFlow(id, $"vector {v.Id}", frame), new FlowExpectation(id, $"vector {v.Id}", queue, v.HashWithPorts, ipv6 ? 5 : 2)));
            id++;
        }
        var options = new SteerTestOptions { Queues = 4, Steering = steering, Key = ToeplitzVectors.Key };
        var (result, run) = SteerTestFixture.Execute(options, new SteerTestRun(options, TextWriter.Null) { CustomFlows = flows });
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.Equal(ToeplitzVectors.All.Count, result.FramesReceived);
    }
}
