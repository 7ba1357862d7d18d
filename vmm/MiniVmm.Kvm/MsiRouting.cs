using MiniVmm.Native;

namespace MiniVmm.Kvm;

/// <summary>
/// MSI(-X) delivery for one device through KVM: each vector owns a GSI and an irqfd. The guest's
/// programming of a table entry becomes <see cref="Configure"/>, an interrupt becomes
/// <see cref="Signal"/> (one eventfd write; the kernel injects it, no VM exit, any thread).
/// </summary>
public sealed class MsiRouting : IDisposable
{
    private readonly VirtualMachine _vm;
    private readonly uint[] _gsis;
    private readonly EventFd[] _events;

    public MsiRouting(VirtualMachine vm, int vectorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vectorCount);
        _vm = vm;
        _gsis = new uint[vectorCount];
        _events = new EventFd[vectorCount];
        try
        {
            for (int v = 0; v < vectorCount; v++)
            {
                _gsis[v] = vm.Routing.AllocateMsiGsi();
                _events[v] = new EventFd();
                vm.RegisterIrqFd(_events[v], _gsis[v]);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int VectorCount => _gsis.Length;

    /// <summary>
    /// Routes <paramref name="vector"/> to the MSI message (address, data); a masked vector gets no
    /// route, so a stray signal is dropped by KVM (the device keeps the pending bit, PCI 3.0 6.8.3.5).
    /// Vectors out of range are ignored: the index comes from the guest.
    /// </summary>
    public void Configure(int vector, ulong address, uint data, bool masked)
    {
        if ((uint)vector >= (uint)_gsis.Length) return;
        if (masked) _vm.Routing.ClearRoute(_gsis[vector]);
        else _vm.Routing.SetMsiRoute(_gsis[vector], address, data);
    }

    /// <summary>Raises <paramref name="vector"/> (no-op when out of range).</summary>
    public void Signal(int vector)
    {
        if ((uint)vector < (uint)_events.Length) _events[vector].Signal();
    }

    public void Dispose()
    {
        for (int v = 0; v < _events.Length; v++)
        {
            if (_events[v] is null) continue;
            try { _vm.UnregisterIrqFd(_events[v], _gsis[v]); } catch (SyscallException) { /* VM already gone */ }
            try { _vm.Routing.ClearRoute(_gsis[v]); } catch (SyscallException) { }
            _events[v].Dispose();
        }
    }
}
