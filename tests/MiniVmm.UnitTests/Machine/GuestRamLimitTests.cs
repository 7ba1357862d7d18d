using MiniVmm.Machine;
using MiniVmm.Native;

namespace MiniVmm.UnitTests.Machine;

/// <summary>How much guest RAM `--memory` may ask for: the smallest of what the host has and what the rlimits leave.</summary>
public sealed class GuestRamLimitTests
{
    private const ulong G = 1UL << 30;

    [Fact]
    public void Without_rlimits_the_hosts_available_memory_decides()
    {
        var (bytes, reason) = GuestRam.HostLimit(new HostMemory(20 * G, null, 300 * G, null, 1 * G));
        Assert.Equal((20 * G, "the host's MemAvailable + SwapFree"), (bytes, reason));
    }

    [Fact]
    public void Rlimit_as_counts_what_the_process_maps_already()
    {
        var (bytes, reason) = GuestRam.HostLimit(new HostMemory(20 * G, 10 * G, 3 * G, null, 1 * G));
        Assert.Equal((7 * G, "RLIMIT_AS less what the process maps already"), (bytes, reason));
    }

    [Fact]
    public void Rlimit_data_decides_when_it_is_the_tightest_and_nothing_is_left_is_zero()
    {
        Assert.Equal((5 * G, "RLIMIT_DATA less the process's data already"), GuestRam.HostLimit(new HostMemory(20 * G, null, 0, 6 * G, 1 * G)));
        Assert.Equal(0ul, GuestRam.HostLimit(new HostMemory(20 * G, 2 * G, 3 * G, null, 0)).Bytes);
    }

    [Fact]
    public void The_limit_is_whole_pages()
    {
        Assert.Equal(0x1000ul, GuestRam.HostLimit(new HostMemory(0x1FFF, null, 0, null, 0)).Bytes);
    }

    [Fact]
    public void This_hosts_reading_agrees_with_proc_meminfo()
    {
        HostMemory host = HostMemory.Read();
        ulong totalKib = 0;
        foreach (string line in File.ReadLines("/proc/meminfo"))
            if (line.StartsWith("MemTotal:") || line.StartsWith("SwapTotal:"))
                totalKib += ulong.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        Assert.InRange(host.AvailableBytes, 1UL << 20, totalKib << 10);
        Assert.True(host.AddressSpaceUsedBytes > 0, "VmSize of a running .NET process is never 0");
    }
}
