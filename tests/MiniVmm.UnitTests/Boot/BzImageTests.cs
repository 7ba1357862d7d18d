using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// bzImage through the 64-bit boot protocol (Documentation/arch/x86/boot.rst): "the protected-mode
/// kernel starts at (setup_sects+1)*512 in the kernel file"; "the 64-bit entry point ... is at the
/// 0x200 offset from the start of the protected mode kernel"; a relocatable kernel may be loaded at
/// pref_address ("0258/8 2.10+ pref_address Preferred loading address").
/// </summary>
public sealed class BzImageTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private KernelImage Inspect(BzImageBuilder b) => KernelLoader.Inspect(_files.Write("bzImage", b.Build()));

    private BootImageException Fails(BzImageBuilder b, string expected)
    {
        var e = Assert.Throws<BootImageException>(() => Inspect(b));
        Assert.Contains(expected, e.Message);
        return e;
    }

    [Fact]
    public void SetupHeader_IsParsed()
    {
        KernelImage k = Inspect(new BzImageBuilder { SetupSects = 7, InitSize = 0x80_0000 });
        Assert.Equal(KernelFormat.BzImage, k.Format);
        BzImageKernel bz = k.BzImage!;
        Assert.Equal(7, bz.Header.SetupSects);
        Assert.Equal(0x020F, bz.Header.Version);
        Assert.Equal(8 * 512L, bz.KernelOffset);
        Assert.Equal(0x2000ul, bz.KernelSize);
        Assert.Equal(0x100_0000ul, bz.LoadAddress);      // pref_address
        Assert.Equal(0x100_0200ul, k.EntryPoint);        // + 0x200
        Assert.Equal(0x100_0000ul + 0x80_0000, k.End);   // + init_size
        Assert.Equal(0x26C - 0x1F1, bz.Header.Bytes.Length); // header ends at 0x202 + 0x6A
    }

    [Fact]
    public void SetupSectsZero_MeansFour()
    {
        KernelImage k = Inspect(new BzImageBuilder { SetupSects = 0 });
        Assert.Equal(5 * 512L, k.BzImage!.KernelOffset);
    }

    [Fact]
    public void PrefAddress_IsRoundedUpToKernelAlignment()
    {
        KernelImage k = Inspect(new BzImageBuilder { PrefAddress = 0x100_1000, KernelAlignment = 0x20_0000 });
        Assert.Equal(0x120_0000ul, k.BzImage!.LoadAddress);
    }

    [Fact]
    public void NotRelocatable_LoadsAtCode32Start()
    {
        KernelImage k = Inspect(new BzImageBuilder { Relocatable = false, Code32Start = 0x10_0000 });
        Assert.Equal(0x10_0000ul, k.BzImage!.LoadAddress);
        Assert.Equal(0x10_0200ul, k.EntryPoint);
    }

    [Fact]
    public void Load_CopiesTheProtectedModeKernel()
    {
        var memory = new ArrayGuestMemory(32 << 20);
        KernelImage k = Inspect(new BzImageBuilder());
        CpuBootState s = KernelLoader.Load(memory, k, null, "console=ttyS0", 1);
        Assert.Equal(0x100_0200ul, s.Rip);
        Assert.Equal(ElfImageBuilder.Pattern(0x2000, 0x33), memory.GetSpan(new GuestAddress(0x100_0000), 0x2000).ToArray());
    }

    [Fact]
    public void InitSizeBeyondRam_IsRefused()
    {
        KernelImage k = Inspect(new BzImageBuilder { InitSize = 0x200_0000 }); // 16 MiB + 32 MiB > 40 MiB
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(new ArrayGuestMemory(40 << 20), k, null, "", 1));
        Assert.Contains("init_size", e.Message);
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public void InitrdGoesBelowInitrdAddrMax()
    {
        var memory = new ArrayGuestMemory(64 << 20);
        KernelImage k = Inspect(new BzImageBuilder { InitrdAddrMax = 0x2FF_FFFF }); // "022C/4 2.03+ initrd_addr_max Highest legal initrd address"
        string initrd = _files.Write("initrd", new byte[0x1800]);
        KernelLoader.Load(memory, k, initrd, "", 1);
        // Last byte at or below 0x2FFFFFF, page aligned: 0x3000000 - 0x1800 = 0x2FFE800 -> 0x2FFE000.
        Assert.Equal(0x2FF_E000u, memory.ReadU32(new GuestAddress(0x7000 + 0x218)));
    }

    [Fact]
    public void CommandLine_IsLimitedByCmdlineSize()
    {
        KernelImage k = Inspect(new BzImageBuilder { CmdlineSize = 16 });
        var memory = new ArrayGuestMemory(32 << 20);
        KernelLoader.Load(memory, k, null, new string('x', 16), 1);
        Assert.Throws<BootImageException>(() => KernelLoader.Load(memory, k, null, new string('x', 17), 1));
    }

    [Fact]
    public void OldProtocol_IsUnsupported() =>
        Fails(new BzImageBuilder { Version = 0x0205 }, "bzImage boot protocol 2.05 is too old");

    [Fact]
    public void NoXlfKernel64_HasNo64BitEntry() =>
        Fails(new BzImageBuilder { XLoadFlags = 0 }, "no 64-bit entry point");

    [Fact]
    public void Protocol211_HasNo64BitEntry() =>
        Fails(new BzImageBuilder { Version = 0x020B }, "no 64-bit entry point");

    [Fact]
    public void ZImage_IsUnsupported() =>
        Fails(new BzImageBuilder { LoadFlags = 0 }, "zImage");

    [Fact]
    public void TruncatedSetupSectors()
    {
        byte[] image = new BzImageBuilder { SetupSects = 4 }.Build()[..0x800];
        string path = _files.Write("bzImage", image);
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(path));
        Assert.Equal($"kernel {path}: truncated bzImage: setup sectors end at 2560, file is 2048 bytes", e.Message);
    }

    [Fact]
    public void SyssizeBeyondTheFile_IsTruncated() =>
        Fails(new BzImageBuilder { SysSize = 0x1000 }, "truncated bzImage protected-mode kernel");

    [Fact]
    public void HeaderMagicOnly_TooShortFile()
    {
        // "HdrS" at 0x202 but the file ends right after it.
        byte[] image = new BzImageBuilder().Build()[..0x206];
        string path = _files.Write("bzImage", image);
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(path));
        Assert.Equal($"kernel {path}: truncated bzImage setup header (file is 518 bytes)", e.Message);
    }
}
