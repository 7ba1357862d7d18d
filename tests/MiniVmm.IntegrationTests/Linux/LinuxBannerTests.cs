using System.Diagnostics;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Linux;

/// <summary>
/// A stock Debian kernel under minivmm reaches its banner on the serial console. On these machines
/// ring-0 guest code is emulated (PVM) and the kernel dies in emulation later, so the banner is the
/// most that can be shown; earlyprintk is needed because the kernel's first unemulatable instruction
/// (lock cmpxchg16b in the slab allocator) comes before its serial console driver starts.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class LinuxBannerTests
{
    private const string CommandLine = "console=ttyS0 earlyprintk=serial,ttyS0,115200";

    [HostFact(HostNeeds.Kvm)]
    public void Elf_vmlinux_prints_the_linux_banner_within_30_seconds()
    {
        // Wait for the line that is asserted, not the one before it: the VM is killed once the marker
        // is read, so a line after the marker may never have been read (LinuxEarlyLogTests reads to the end).
        string output = RunUntil("vmlinux", $"Command line: {CommandLine}", TimeSpan.FromSeconds(30));
        string[] lines = output.Split('\n');
        int banner = Array.FindIndex(lines, l => l.Contains("Linux version"));
        int commandLine = Array.FindIndex(lines, l => l.Contains($"Command line: {CommandLine}"));
        Assert.True(banner >= 0 && banner < commandLine, $"the banner must come before the command line:\n{output}");
    }

    [HostFact(HostNeeds.Kvm)]
    public void BzImage_prints_the_linux_banner_after_its_emulated_decompressor()
    {
        // The decompressor runs in ring 0, so it is emulated: about 40 s on an idle machine, minutes under load.
        RunUntil("bzImage", "Linux version", TimeSpan.FromSeconds(400));
    }

    private static string RunUntil(string image, string marker, TimeSpan timeout)
    {
        string kernel = Path.Combine(RepoPaths.GuestImages, image);
        string initrd = Path.Combine(RepoPaths.GuestImages, "initramfs.cpio.gz");
        Assert.True(File.Exists(kernel), $"{kernel} is missing: run ./build.sh first");
        Assert.True(File.Exists(RepoPaths.Cli), $"{RepoPaths.Cli} is missing: run ./build.sh first");
        var start = new ProcessStartInfo(RepoPaths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "run", "--kernel", kernel, "--initrd", initrd, "--memory", "256M", "--cpus", "2", "--cmdline", CommandLine })
            start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        var lines = new List<string>();
        var found = new ManualResetEventSlim();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (lines) lines.Add(e.Data);
            if (e.Data.Contains(marker)) found.Set();
        };
        p.BeginOutputReadLine();
        bool seen = found.Wait(timeout);
        if (!p.HasExited) p.Kill(entireProcessTree: true);
        p.WaitForExit(10_000);
        string output;
        lock (lines) output = string.Join("\n", lines);
        Assert.True(seen, $"no '{marker}' from {image} within {timeout.TotalSeconds} s; serial output:\n{output}\nstderr:\n{p.StandardError.ReadToEnd()}");
        return output;
    }
}
