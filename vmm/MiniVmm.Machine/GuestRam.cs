using MiniVmm.Kvm;
using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.Machine;

/// <summary>
/// Guest RAM: one anonymous mapping at guest-physical 0 (at most 3 GiB, so it ends below the PCI
/// hole), registered with KVM as memory slot 0. Pages are only backed once the guest touches them.
/// </summary>
public sealed unsafe class GuestRam : IDisposable
{
    public const ulong MaxBytes = 3UL << 30;

    private readonly MappedRegion _region;

    public GuestRam(VirtualMachine vm, ulong sizeBytes)
    {
        if (sizeBytes == 0 || sizeBytes > MaxBytes || sizeBytes % 4096 != 0)
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"guest RAM must be 4 KiB aligned, in (0, 3 GiB]: {sizeBytes}");
        _region = MappedRegion.Anonymous(sizeBytes);
        try
        {
            vm.SetUserMemoryRegion(0, new GuestAddress(0), sizeBytes, _region.Pointer);
        }
        catch
        {
            _region.Dispose();
            throw;
        }
        // Safe: the mapping lives as long as this object, which outlives every user of Memory.
        Memory = new PointerGuestMemory(_region.Pointer, sizeBytes);
    }

    public IGuestMemory Memory { get; }

    public ulong SizeBytes => _region.Length;

    public void Dispose() => _region.Dispose();
}
