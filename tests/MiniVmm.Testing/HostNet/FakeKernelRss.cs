using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Rss;

namespace MiniVmm.Testing;

/// <summary>Records what the kernel back end asks of tun, in order; can fail like a kernel without the series.</summary>
public sealed class FakeKernelRss : IKernelRss
{
    public List<string> Calls { get; } = [];
    public RssConfiguration? LastConfiguration { get; private set; }
    public int? FailWithErrno { get; set; }

    public void Configure(RssConfiguration configuration, bool reportHash)
    {
        Fail(configuration.SteeringEnabled ? (reportHash ? "TUNSETVNETREPORTINGRSS" : "TUNSETVNETRSS") : "TUNSETVNETREPORTINGAUTOMQ");
        LastConfiguration = configuration;
        Calls.Add($"configure steering={configuration.SteeringEnabled} report={reportHash}");
    }

    public void Disable()
    {
        Fail("TUNSETVNETREPORTINGAUTOMQ");
        Calls.Add("disable");
    }

    private void Fail(string call)
    {
        if (FailWithErrno is int errno) throw new SyscallException(call, errno);
    }
}
