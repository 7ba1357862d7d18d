using MiniVmm.HostNet.Steering;
using MiniVmm.Rss;

namespace MiniVmm.Testing;

/// <summary>Records what a back end does with its steering program, in order.</summary>
public sealed class FakeSteeringProgram : ISteeringProgramAttachment
{
    public List<string> Calls { get; } = [];
    public RssConfiguration? LastConfiguration { get; private set; }

    public void Configure(RssConfiguration configuration)
    {
        LastConfiguration = configuration;
        Calls.Add("configure");
    }

    public void Attach() => Calls.Add("attach");

    public void Detach() => Calls.Add("detach");

    public void Dispose() => Calls.Add("dispose");
}
