using MiniVmm.Native;
using MiniVmm.Native.Kvm;
using MiniVmm.Native.Signals;
using Tmds.Linux;

namespace MiniVmm.Kvm;

/// <summary>
/// A vCPU fd and its mapped kvm_run page. <see cref="Run"/> is called from the vCPU's own thread;
/// <see cref="Kick"/> from any thread makes that thread leave KVM_RUN promptly.
/// </summary>
public sealed unsafe class Vcpu : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly MappedRegion _run;
    private volatile int _threadId;

    internal Vcpu(int id, FileDescriptor fd, MappedRegion run)
    {
        Id = id;
        _fd = fd;
        _run = run;
    }

    public int Id { get; }

    /// <summary>
    /// KVM_RUN until the next exit that needs the VMM. The returned view reads the kvm_run page in
    /// place and is valid until the next call. A kick shows up as <see cref="KvmExitReason.Interrupted"/>.
    /// </summary>
    public VcpuExit Run()
    {
        // Safe: KVM_RUN takes no argument; the fd stays open until Dispose, after the runner is joined.
        int r = LibC.ioctl(_fd.Fd, unchecked((int)KvmIoctls.Run), null);
        if (r < 0)
        {
            int errno = LibC.errno;
            if (errno == Errno.EINTR || errno == Errno.EAGAIN)
            {
                // Re-arm for the next run; whoever kicked set its own flag before kicking, so the caller sees it.
                Volatile.Write(ref _run.Pointer[KvmRunLayout.ImmediateExit], (byte)0);
                return new VcpuExit(_run.Pointer, _run.Length, interrupted: true);
            }
            throw new SyscallException("KVM_RUN", errno);
        }
        return new VcpuExit(_run.Pointer, _run.Length, interrupted: false);
    }

    /// <summary>Records the calling thread as this vCPU's runner, the target of <see cref="Kick"/>.</summary>
    public void BindToCurrentThread() => _threadId = ThreadSignals.CurrentThreadId();

    /// <summary>
    /// Makes the runner leave KVM_RUN: kvm_run.immediate_exit covers a thread about to enter it,
    /// the signal (which must have a handler installed, see <c>VcpuKickSignal</c>) one inside it.
    /// </summary>
    public void Kick(int signal)
    {
        // Safe: the run page stays mapped until Dispose, which happens after the runner is joined.
        Volatile.Write(ref _run.Pointer[KvmRunLayout.ImmediateExit], (byte)1);
        int tid = _threadId;
        if (tid != 0) ThreadSignals.Send(tid, signal);
    }

    public KvmRegs GetRegs()
    {
        KvmRegs regs;
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.GetRegs, "KVM_GET_REGS", &regs);
        return regs;
    }

    public void SetRegs(in KvmRegs regs)
    {
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        fixed (KvmRegs* p = &regs) Ioctl.Invoke(_fd, KvmIoctls.SetRegs, "KVM_SET_REGS", p);
    }

    public KvmSregs GetSregs()
    {
        KvmSregs sregs;
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.GetSregs, "KVM_GET_SREGS", &sregs);
        return sregs;
    }

    public void SetSregs(in KvmSregs sregs)
    {
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        fixed (KvmSregs* p = &sregs) Ioctl.Invoke(_fd, KvmIoctls.SetSregs, "KVM_SET_SREGS", p);
    }

    /// <summary>KVM_SET_CPUID2 with the given leaves.</summary>
    public void SetCpuid(ReadOnlySpan<KvmCpuidEntry2> entries)
    {
        int bytes = sizeof(KvmCpuid2) + entries.Length * sizeof(KvmCpuidEntry2);
        byte[] buffer = new byte[bytes];
        fixed (byte* p = buffer)
        {
            // Safe: the buffer holds the header plus exactly entries.Length entries.
            ((KvmCpuid2*)p)->Nent = (uint)entries.Length;
            entries.CopyTo(new Span<KvmCpuidEntry2>(p + sizeof(KvmCpuid2), entries.Length));
            Ioctl.Invoke(_fd, KvmIoctls.SetCpuid2, "KVM_SET_CPUID2", p);
        }
    }

    /// <summary>KVM_GET_CPUID2: the leaves this vCPU presents (what KVM_SET_CPUID2 set, with KVM's run-time bits).</summary>
    public KvmCpuidEntry2[] GetCpuid()
    {
        const int MaxEntries = 256;
        int bytes = sizeof(KvmCpuid2) + MaxEntries * sizeof(KvmCpuidEntry2);
        byte[] buffer = new byte[bytes];
        fixed (byte* p = buffer)
        {
            // Safe: the buffer holds the header plus MaxEntries entries, which is what nent announces.
            var header = (KvmCpuid2*)p;
            header->Nent = MaxEntries;
            Ioctl.Invoke(_fd, KvmIoctls.GetCpuid2, "KVM_GET_CPUID2", p);
            var entries = new KvmCpuidEntry2[Math.Min(header->Nent, MaxEntries)];
            new ReadOnlySpan<KvmCpuidEntry2>(p + sizeof(KvmCpuid2), entries.Length).CopyTo(entries);
            return entries;
        }
    }

    /// <summary>
    /// KVM_SET_MSRS. The kernel stops at the first MSR it refuses and returns how many it set, so a
    /// short count is an error naming that MSR (the ioctl itself does not fail).
    /// </summary>
    public void SetMsrs(ReadOnlySpan<KvmMsrEntry> entries)
    {
        int set = MsrIoctl(KvmIoctls.SetMsrs, "KVM_SET_MSRS", entries.ToArray());
        if (set != entries.Length)
            throw new InvalidOperationException($"KVM_SET_MSRS: vcpu{Id} refused MSR 0x{entries[set].Index:x} (set {set} of {entries.Length})");
    }

    /// <summary>KVM_GET_MSRS for the given indices; throws if the kernel cannot read one of them.</summary>
    public KvmMsrEntry[] GetMsrs(ReadOnlySpan<uint> indices)
    {
        var entries = new KvmMsrEntry[indices.Length];
        for (int i = 0; i < indices.Length; i++) entries[i].Index = indices[i];
        int read = MsrIoctl(KvmIoctls.GetMsrs, "KVM_GET_MSRS", entries);
        if (read != entries.Length)
            throw new InvalidOperationException($"KVM_GET_MSRS: vcpu{Id} cannot read MSR 0x{entries[read].Index:x}");
        return entries;
    }

    private int MsrIoctl(uint request, string name, KvmMsrEntry[] entries)
    {
        int bytes = sizeof(KvmMsrs) + entries.Length * sizeof(KvmMsrEntry);
        byte[] buffer = new byte[bytes];
        fixed (byte* p = buffer)
        {
            // Safe: the buffer holds the header plus exactly entries.Length entries; nmsrs says so.
            ((KvmMsrs*)p)->Nmsrs = (uint)entries.Length;
            var body = new Span<KvmMsrEntry>(p + sizeof(KvmMsrs), entries.Length);
            entries.CopyTo(body);
            int done = Ioctl.Invoke(_fd, request, name, p);
            body.CopyTo(entries);
            return done;
        }
    }

    /// <summary>KVM_GET_MP_STATE (a <see cref="KvmMpState"/> constant). Call from the vCPU's own thread, outside KVM_RUN.</summary>
    public uint GetMpState()
    {
        KvmMpState state;
        // Safe: the kernel writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.GetMpState, "KVM_GET_MP_STATE", &state);
        return state.MpState;
    }

    public void Dispose()
    {
        _run.Dispose();
        _fd.Dispose();
    }
}
