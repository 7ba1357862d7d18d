using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVmm.Native.Vhost;

namespace MiniVmm.UnitTests.Native;

/// <summary>
/// Pins every vhost interop struct (size and field offsets), ioctl number and constant against
/// /usr/include/linux/vhost.h and vhost_types.h: a C program compiled here with gcc prints the
/// headers' values. These machines have no /dev/vhost-net, so this is what holds the numbers.
/// </summary>
public sealed class VhostAbiTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/vhost.h>
        #define P(name, value) printf("%s %llu\n", name, (unsigned long long)(value))
        int main(void) {
          P("sizeof vhost_memory", sizeof(struct vhost_memory));
          P("offsetof vhost_memory.regions", offsetof(struct vhost_memory, regions));
          P("sizeof vhost_memory_region", sizeof(struct vhost_memory_region));
          P("offsetof vhost_memory_region.memory_size", offsetof(struct vhost_memory_region, memory_size));
          P("offsetof vhost_memory_region.userspace_addr", offsetof(struct vhost_memory_region, userspace_addr));
          P("offsetof vhost_memory_region.flags_padding", offsetof(struct vhost_memory_region, flags_padding));
          P("sizeof vhost_vring_state", sizeof(struct vhost_vring_state));
          P("offsetof vhost_vring_state.num", offsetof(struct vhost_vring_state, num));
          P("sizeof vhost_vring_file", sizeof(struct vhost_vring_file));
          P("offsetof vhost_vring_file.fd", offsetof(struct vhost_vring_file, fd));
          P("sizeof vhost_vring_addr", sizeof(struct vhost_vring_addr));
          P("offsetof vhost_vring_addr.flags", offsetof(struct vhost_vring_addr, flags));
          P("offsetof vhost_vring_addr.desc_user_addr", offsetof(struct vhost_vring_addr, desc_user_addr));
          P("offsetof vhost_vring_addr.used_user_addr", offsetof(struct vhost_vring_addr, used_user_addr));
          P("offsetof vhost_vring_addr.avail_user_addr", offsetof(struct vhost_vring_addr, avail_user_addr));
          P("offsetof vhost_vring_addr.log_guest_addr", offsetof(struct vhost_vring_addr, log_guest_addr));
          P("VHOST_VIRTIO", VHOST_VIRTIO);
          P("VHOST_FILE_UNBIND", (unsigned int)VHOST_FILE_UNBIND);
          P("VHOST_F_LOG_ALL", VHOST_F_LOG_ALL);
          P("VHOST_NET_F_VIRTIO_NET_HDR", VHOST_NET_F_VIRTIO_NET_HDR);
          P("VHOST_PAGE_SIZE", VHOST_PAGE_SIZE);
          P("VHOST_GET_FEATURES", VHOST_GET_FEATURES);
          P("VHOST_SET_FEATURES", VHOST_SET_FEATURES);
          P("VHOST_SET_OWNER", VHOST_SET_OWNER);
          P("VHOST_SET_MEM_TABLE", VHOST_SET_MEM_TABLE);
          P("VHOST_SET_VRING_NUM", VHOST_SET_VRING_NUM);
          P("VHOST_SET_VRING_ADDR", VHOST_SET_VRING_ADDR);
          P("VHOST_SET_VRING_BASE", VHOST_SET_VRING_BASE);
          P("VHOST_GET_VRING_BASE", VHOST_GET_VRING_BASE);
          P("VHOST_SET_VRING_KICK", VHOST_SET_VRING_KICK);
          P("VHOST_SET_VRING_CALL", VHOST_SET_VRING_CALL);
          P("VHOST_NET_SET_BACKEND", VHOST_NET_SET_BACKEND);
          return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> Headers = new(CompileAndRun);

    public static TheoryData<string, ulong> Values() => new()
    {
        { "sizeof vhost_memory", (ulong)Unsafe.SizeOf<VhostMemory>() },
        { "offsetof vhost_memory.regions", (ulong)Unsafe.SizeOf<VhostMemory>() },
        { "sizeof vhost_memory_region", (ulong)Unsafe.SizeOf<VhostMemoryRegion>() },
        { "offsetof vhost_memory_region.memory_size", Offset<VhostMemoryRegion>(nameof(VhostMemoryRegion.MemorySize)) },
        { "offsetof vhost_memory_region.userspace_addr", Offset<VhostMemoryRegion>(nameof(VhostMemoryRegion.UserspaceAddr)) },
        { "offsetof vhost_memory_region.flags_padding", Offset<VhostMemoryRegion>(nameof(VhostMemoryRegion.FlagsPadding)) },
        { "sizeof vhost_vring_state", (ulong)Unsafe.SizeOf<VhostVringState>() },
        { "offsetof vhost_vring_state.num", Offset<VhostVringState>(nameof(VhostVringState.Num)) },
        { "sizeof vhost_vring_file", (ulong)Unsafe.SizeOf<VhostVringFile>() },
        { "offsetof vhost_vring_file.fd", Offset<VhostVringFile>(nameof(VhostVringFile.Fd)) },
        { "sizeof vhost_vring_addr", (ulong)Unsafe.SizeOf<VhostVringAddr>() },
        { "offsetof vhost_vring_addr.flags", Offset<VhostVringAddr>(nameof(VhostVringAddr.Flags)) },
        { "offsetof vhost_vring_addr.desc_user_addr", Offset<VhostVringAddr>(nameof(VhostVringAddr.DescUserAddr)) },
        { "offsetof vhost_vring_addr.used_user_addr", Offset<VhostVringAddr>(nameof(VhostVringAddr.UsedUserAddr)) },
        { "offsetof vhost_vring_addr.avail_user_addr", Offset<VhostVringAddr>(nameof(VhostVringAddr.AvailUserAddr)) },
        { "offsetof vhost_vring_addr.log_guest_addr", Offset<VhostVringAddr>(nameof(VhostVringAddr.LogGuestAddr)) },
        { "VHOST_VIRTIO", VhostIoctl.VHOST_VIRTIO },
        { "VHOST_FILE_UNBIND", unchecked((uint)VhostIoctl.VHOST_FILE_UNBIND) },
        { "VHOST_F_LOG_ALL", VhostIoctl.VHOST_F_LOG_ALL },
        { "VHOST_NET_F_VIRTIO_NET_HDR", VhostIoctl.VHOST_NET_F_VIRTIO_NET_HDR },
        { "VHOST_PAGE_SIZE", VhostIoctl.VHOST_PAGE_SIZE },
        { "VHOST_GET_FEATURES", VhostIoctl.VHOST_GET_FEATURES },
        { "VHOST_SET_FEATURES", VhostIoctl.VHOST_SET_FEATURES },
        { "VHOST_SET_OWNER", VhostIoctl.VHOST_SET_OWNER },
        { "VHOST_SET_MEM_TABLE", VhostIoctl.VHOST_SET_MEM_TABLE },
        { "VHOST_SET_VRING_NUM", VhostIoctl.VHOST_SET_VRING_NUM },
        { "VHOST_SET_VRING_ADDR", VhostIoctl.VHOST_SET_VRING_ADDR },
        { "VHOST_SET_VRING_BASE", VhostIoctl.VHOST_SET_VRING_BASE },
        { "VHOST_GET_VRING_BASE", VhostIoctl.VHOST_GET_VRING_BASE },
        { "VHOST_SET_VRING_KICK", VhostIoctl.VHOST_SET_VRING_KICK },
        { "VHOST_SET_VRING_CALL", VhostIoctl.VHOST_SET_VRING_CALL },
        { "VHOST_NET_SET_BACKEND", VhostIoctl.VHOST_NET_SET_BACKEND },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Matches_linux_vhost_h(string name, ulong ours)
    {
        Assert.True(Headers.Value.TryGetValue(name, out ulong kernel), $"the C program printed no {name}");
        Assert.Equal(kernel, ours);
    }

    [Fact]
    public void Every_header_value_is_checked()
    {
        var checkedNames = Values().Select(row => (string)row[0]).ToHashSet();
        string[] missed = Headers.Value.Keys.Where(k => !checkedNames.Contains(k)).ToArray();
        Assert.True(missed.Length == 0, $"not compared: {string.Join(", ", missed)}");
    }

    private static ulong Offset<T>(string field) where T : struct => (ulong)Marshal.OffsetOf<T>(field);

    private static Dictionary<string, ulong> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("minivmm-vhost-abi-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "abi.c"), Program);
            Run("gcc", $"-o {dir}/abi {dir}/abi.c");
            return Run($"{dir}/abi", "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => (Name: line[..line.LastIndexOf(' ')], Value: ulong.Parse(line[(line.LastIndexOf(' ') + 1)..])))
                .ToDictionary(e => e.Name, e => e.Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout;
    }
}
