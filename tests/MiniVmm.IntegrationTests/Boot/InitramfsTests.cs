using System.IO.Compression;
using System.Text;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Boot;

/// <summary>
/// The initramfs guest-images/linux/build-image.sh builds: read back as a "newc" cpio archive
/// (Documentation/driver-api/early-userspace/buffer-format.rst: "070701" magic, 13 eight-digit hex
/// fields, name, padding to 4 bytes, data, padding to 4 bytes; "TRAILER!!!" ends it).
/// </summary>
public sealed class InitramfsTests
{
    private static Dictionary<string, (uint Mode, byte[] Data)> ReadArchive()
    {
        string path = Path.Combine(RepoPaths.GuestImages, "initramfs.cpio.gz");
        Assert.True(File.Exists(path), $"{path} is missing: run ./build.sh first");
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gz.CopyTo(buffer);
        byte[] a = buffer.ToArray();

        var entries = new Dictionary<string, (uint, byte[])>();
        int at = 0;
        while (true)
        {
            Assert.Equal("070701", Encoding.ASCII.GetString(a, at, 6));
            uint Field(int i) => Convert.ToUInt32(Encoding.ASCII.GetString(a, at + 6 + i * 8, 8), 16);
            uint mode = Field(1), fileSize = Field(6), nameSize = Field(11);
            string name = Encoding.ASCII.GetString(a, at + 110, (int)nameSize - 1);
            int data = (at + 110 + (int)nameSize + 3) & ~3;
            if (name == "TRAILER!!!") return entries;
            entries[name] = (mode, a.AsSpan(data, (int)fileSize).ToArray());
            at = (data + (int)fileSize + 3) & ~3;
        }
    }

    [Fact]
    public void HasInitBusyboxAndConsole()
    {
        var files = ReadArchive();
        Assert.StartsWith("#!/bin/sh", Encoding.ASCII.GetString(files["init"].Data));
        Assert.Equal(0x8000u | 0x1ED, files["init"].Mode & 0xF1FF); // S_IFREG, 0755
        Assert.Equal(0x7F, files["bin/busybox"].Data[0]);            // an ELF binary
        Assert.Equal(0x2000u, files["dev/console"].Mode & 0xF000);   // S_IFCHR
        Assert.Equal(0xA000u, files["bin/sh"].Mode & 0xF000);        // S_IFLNK, to busybox
    }

    [Fact]
    public void HasTheVirtioNetModules_DependenciesFirst()
    {
        var files = ReadArchive();
        string[] order = Encoding.ASCII.GetString(files["lib/modules/load-order"].Data)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (string module in order)
        {
            byte[] ko = files[$"lib/modules/{module}.ko"].Data;
            Assert.Equal("\u007fELF", Encoding.ASCII.GetString(ko, 0, 4)); // decompressed, busybox insmod can read it
        }
        // modules.dep of Debian's 6.1 kernels: virtio_pci needs virtio, virtio_ring and the
        // modern/legacy helpers; virtio_net needs virtio, virtio_ring, failover, net_failover.
        int Index(string m) => Array.IndexOf(order, m);
        Assert.All(new[] { "virtio_ring", "virtio", "virtio_pci_modern_dev", "virtio_pci", "failover", "net_failover", "virtio_net" },
            m => Assert.True(Index(m) >= 0, $"{m} is not in the load order"));
        Assert.True(Index("virtio_ring") < Index("virtio"));
        Assert.True(Index("virtio") < Index("virtio_pci"));
        Assert.True(Index("virtio_pci_modern_dev") < Index("virtio_pci"));
        Assert.True(Index("failover") < Index("net_failover"));
        Assert.True(Index("net_failover") < Index("virtio_net"));
        Assert.Equal("virtio_net", order[^1]);
    }

    [Fact]
    public void Vmlinux_IsTheElfInsideTheBzImage()
    {
        byte[] vmlinux = new byte[4];
        using (FileStream f = File.OpenRead(Path.Combine(RepoPaths.GuestImages, "vmlinux"))) f.ReadExactly(vmlinux);
        Assert.Equal("\u007fELF", Encoding.ASCII.GetString(vmlinux));
        Assert.True(new FileInfo(Path.Combine(RepoPaths.GuestImages, "vmlinux")).Length >
                    2 * new FileInfo(Path.Combine(RepoPaths.GuestImages, "bzImage")).Length, "vmlinux is the decompressed kernel");
    }
}
