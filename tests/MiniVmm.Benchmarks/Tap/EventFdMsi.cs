using MiniVmm.Native;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// MSI-X delivery as the machine does it, minus KVM: every signal is one eventfd write (an irqfd
/// in the real VMM), so the benchmark pays the interrupt's syscall. Nobody reads the counter.
/// </summary>
public sealed class EventFdMsi : IMsiInterrupts, IDisposable
{
    private readonly EventFd _irq = new();

    public long Signals { get; private set; }

    public void Configure(int vector, ulong address, uint data, bool masked)
    {
    }

    public void Signal(int vector)
    {
        _irq.Signal();
        Signals++;
    }

    public bool TakeSignalWhileMasked(int vector) => false;

    public void Dispose() => _irq.Dispose();
}
