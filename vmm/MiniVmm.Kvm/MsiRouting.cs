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
    private readonly bool[] _irqFdAssigned;

    public MsiRouting(VirtualMachine vm, int vectorCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vectorCount);
        _vm = vm;
        _gsis = new uint[vectorCount];
        _events = new EventFd[vectorCount];
        _irqFdAssigned = new bool[vectorCount];
        try
        {
            for (int v = 0; v < vectorCount; v++)
            {
                _gsis[v] = vm.Routing.AllocateMsiGsi();
                _events[v] = new EventFd();
                vm.RegisterIrqFd(_events[v], _gsis[v]);
                _irqFdAssigned[v] = true;
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
    /// Routes <paramref name="vector"/> to the MSI message (address, data). A masked vector has no route
    /// and no irqfd: a writer that signals its eventfd directly (a vhost back end with the eventfd as
    /// its call fd) then only raises the eventfd's counter, which <see cref="TakeSignalWhileMasked"/>
    /// reads (PCI 3.0 §6.8.3.5: the message stays pending). Unmasking assigns the irqfd again after
    /// the route, and KVM injects at once if the counter was raised meanwhile: nothing is lost.
    /// Vectors out of range are ignored: the index comes from the guest.
    /// </summary>
    public void Configure(int vector, ulong address, uint data, bool masked)
    {
        if ((uint)vector >= (uint)_gsis.Length) return;
        if (masked)
        {
            if (_irqFdAssigned[vector]) _vm.UnregisterIrqFd(_events[vector], _gsis[vector]);
            _irqFdAssigned[vector] = false;
            _vm.Routing.ClearRoute(_gsis[vector]);
            return;
        }
        _vm.Routing.SetMsiRoute(_gsis[vector], address, data);
        if (!_irqFdAssigned[vector]) _vm.RegisterIrqFd(_events[vector], _gsis[vector]);
        _irqFdAssigned[vector] = true;
    }

    /// <summary>
    /// True when someone signalled the eventfd of masked vector <paramref name="vector"/> directly since
    /// it was masked; the signal is consumed (the caller keeps it as the vector's pending bit).
    /// </summary>
    public bool TakeSignalWhileMasked(int vector) =>
        (uint)vector < (uint)_events.Length && !_irqFdAssigned[vector] && _events[vector].Drain() != 0;

    /// <summary>The eventfd KVM injects <paramref name="vector"/> from (an irqfd): the call fd a vhost back end writes.</summary>
    public EventFd EventOf(int vector) => _events[vector];

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
            if (_irqFdAssigned[v])
            {
                try { _vm.UnregisterIrqFd(_events[v], _gsis[v]); } catch (SyscallException) { /* VM already gone */ }
            }
            try { _vm.Routing.ClearRoute(_gsis[v]); } catch (SyscallException) { }
            _events[v].Dispose();
        }
    }
}
