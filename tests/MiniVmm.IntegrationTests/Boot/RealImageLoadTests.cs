using System.Buffers.Binary;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.IntegrationTests.Boot;

/// <summary>
/// Inspects and loads the Debian kernel build.sh leaves in out/guest-images (no VM needed). Expected
/// values come from `readelf -h -l out/guest-images/vmlinux` and `xxd -s 0x1f0 bzImage` on
/// 6.1.0-*-cloud-amd64: e_entry 0x1000000 (CONFIG_PHYSICAL_START, physical), first PT_LOAD at file
/// offset 0x200000 with p_paddr 0x1000000; bzImage protocol 2.15, relocatable, pref_address 0x1000000.
/// </summary>
public sealed class RealImageLoadTests
{
    private const int RamBytes = 256 << 20;

    private static string Image(string name)
    {
        string path = Path.Combine(RepoPaths.GuestImages, name);
        Assert.True(File.Exists(path), $"{path} is missing: run ./build.sh (guest-images/linux/build-image.sh) first");
        return path;
    }

    [Fact]
    public void Vmlinux_InspectsAsElf_EnteredAt16MiB()
    {
        KernelImage k = KernelLoader.Inspect(Image("vmlinux"));
        Assert.Equal(KernelFormat.Elf, k.Format);
        Assert.Equal(0x100_0000ul, k.EntryPoint);
        Assert.Equal(0x100_0000ul, k.Elf!.Segments[0].PhysicalAddress);
        Assert.InRange(k.End, 0x200_0000ul, 0x800_0000ul); // a 6.1 cloud kernel is 32..128 MiB once loaded
    }

    [Fact]
    public void Vmlinux_LoadsInto256MiB_WithTheInitramfs()
    {
        string vmlinux = Image("vmlinux");
        string initrd = Image("initramfs.cpio.gz");
        var memory = new ArrayGuestMemory(RamBytes);
        KernelImage k = KernelLoader.Inspect(vmlinux);
        CpuBootState s = KernelLoader.Load(memory, k, initrd, "console=ttyS0", 2);

        Assert.Equal(0x100_0000ul, s.Rip);
        Assert.Equal(0x7000ul, s.Rsi);
        // The bytes at the entry are the file's bytes at the first segment's p_offset (0x200000).
        byte[] expected = new byte[4096];
        using (FileStream f = File.OpenRead(vmlinux)) { f.Seek(0x20_0000, SeekOrigin.Begin); f.ReadExactly(expected); }
        Assert.Equal(expected, memory.GetSpan(new GuestAddress(0x100_0000), 4096).ToArray());

        uint ramdisk = memory.ReadU32(new GuestAddress(0x7000 + 0x218)); // "0218/4 ramdisk_image"
        uint ramdiskSize = memory.ReadU32(new GuestAddress(0x7000 + 0x21C)); // "021C/4 ramdisk_size"
        Assert.Equal((uint)new FileInfo(initrd).Length, ramdiskSize);
        Assert.True(ramdisk >= k.End && ramdisk + (ulong)ramdiskSize <= RamBytes, $"initrd at 0x{ramdisk:x}");
        Assert.Equal(new byte[] { 0x1F, 0x8B }, memory.GetSpan(new GuestAddress(ramdisk), 2).ToArray()); // gzip magic
    }

    [Fact]
    public void BzImage_InspectsWith64BitEntry()
    {
        string path = Image("bzImage");
        KernelImage k = KernelLoader.Inspect(path);
        Assert.Equal(KernelFormat.BzImage, k.Format);
        Assert.True(k.BzImage!.Header.Version >= 0x020C, $"protocol {k.BzImage.Header.VersionText}");
        Assert.Equal(0x100_0000ul, k.BzImage.LoadAddress);
        Assert.Equal(0x100_0200ul, k.EntryPoint);
    }

    [Fact]
    public void BzImage_LoadsInto256MiB()
    {
        string path = Image("bzImage");
        var memory = new ArrayGuestMemory(RamBytes);
        CpuBootState s = KernelLoader.Load(memory, KernelLoader.Inspect(path), Image("initramfs.cpio.gz"), "console=ttyS0", 1);
        Assert.Equal(0x100_0200ul, s.Rip);

        byte[] file = File.ReadAllBytes(path);
        int setupSects = file[0x1F1] == 0 ? 4 : file[0x1F1];   // "01F1/1 setup_sects"
        int kernelOffset = (setupSects + 1) * 512;
        Assert.Equal(file.AsSpan(kernelOffset, 4096).ToArray(), memory.GetSpan(new GuestAddress(0x100_0000), 4096).ToArray());
        // The image's own header went into boot_params: "HdrS" at 0x202, its cmdline_size at 0x238.
        Assert.Equal("HdrS"u8.ToArray(), memory.GetSpan(new GuestAddress(0x7000 + 0x202), 4).ToArray());
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(0x238)), memory.ReadU32(new GuestAddress(0x7000 + 0x238)));
    }
}
