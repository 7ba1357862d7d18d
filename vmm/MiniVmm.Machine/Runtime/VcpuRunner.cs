using MiniVmm.Kvm;
using MiniVmm.Machine.Buses;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Runtime;

/// <summary>
/// One vCPU on its own named thread: run, look at the exit, hand port I/O and MMIO to the buses,
/// repeat until the machine stops. Any failure (an exit we cannot handle, an exception from a
/// device) stops the whole machine with a message that names the vCPU; nothing is swallowed.
/// </summary>
public sealed class VcpuRunner
{
    private const uint SystemEventShutdown = 1, SystemEventReset = 2, SystemEventCrash = 3;
    private const ulong RflagsInterruptEnable = 1 << 9;

    private readonly Vcpu _vcpu;
    private readonly Bus _io;
    private readonly Bus _mmio;
    private readonly MachineStop _stop;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _sampled = new(false);
    private volatile bool _sampleWanted;
    private VcpuActivity _activity;

    public VcpuRunner(Vcpu vcpu, Bus io, Bus mmio, MachineStop stop)
    {
        _vcpu = vcpu;
        _io = io;
        _mmio = mmio;
        _stop = stop;
        _thread = new Thread(Loop) { Name = $"vcpu{vcpu.Id}", IsBackground = true };
    }

    public void Start() => _thread.Start();

    /// <summary>Kicks the vCPU out of KVM_RUN until its thread is gone, or the timeout passes.</summary>
    public bool StopAndJoin(TimeSpan timeout)
    {
        if (!_thread.IsAlive) return true;
        var deadline = DateTime.UtcNow + timeout;
        do
        {
            _vcpu.Kick(VcpuKickSignal.Number);
            if (_thread.Join(20)) return true;
        } while (DateTime.UtcNow < deadline);
        return false;
    }

    /// <summary>
    /// Asks the vCPU thread what the vCPU is doing; the kick makes it leave KVM_RUN (where a halted
    /// vCPU waits) and look, since vCPU ioctls belong to its own thread. See <see cref="WaitActivitySample"/>.
    /// </summary>
    public void RequestActivitySample()
    {
        _sampled.Reset();
        _sampleWanted = true;
        _vcpu.Kick(VcpuKickSignal.Number);
    }

    /// <summary>The answer to the last <see cref="RequestActivitySample"/>, or null if none came within <paramref name="timeout"/>.</summary>
    public VcpuActivity? WaitActivitySample(TimeSpan timeout) => _sampled.Wait(timeout) ? _activity : null;

    private void Loop()
    {
        try
        {
            _vcpu.BindToCurrentThread();
            while (!_stop.IsRequested)
            {
                string? failure = HandleExit(_vcpu.Run());
                if (failure is not null) _stop.Fail($"vcpu{_vcpu.Id}: {failure}");
                if (_sampleWanted) SampleActivity();
            }
        }
        catch (Exception e)
        {
            _stop.Fail($"vcpu{_vcpu.Id}: {e.Message}");
        }
    }

    private void SampleActivity()
    {
        _sampleWanted = false;
        uint state = _vcpu.GetMpState();
        _activity = state switch
        {
            KvmMpState.Uninitialized or KvmMpState.InitReceived => VcpuActivity.WaitingForStartup,
            KvmMpState.Halted when (_vcpu.GetRegs().Rflags & RflagsInterruptEnable) == 0 => VcpuActivity.HaltedForGood,
            _ => VcpuActivity.Running,
        };
        _sampled.Set();
    }

    /// <summary>Handles one exit; returns a description of the failure when the VM cannot go on.</summary>
    private string? HandleExit(VcpuExit exit)
    {
        switch (exit.Reason)
        {
            case KvmExitReason.Io:
                Span<byte> data = exit.IoData;
                int size = exit.IoSize;
                for (int i = 0; i + size <= data.Length; i += size)
                {
                    if (exit.IoIsWrite) _io.Write(exit.IoPort, data.Slice(i, size));
                    else _io.Read(exit.IoPort, data.Slice(i, size));
                }
                return null;
            case KvmExitReason.Mmio:
                if (exit.MmioIsWrite) _mmio.Write(exit.MmioAddress, exit.MmioData);
                else _mmio.Read(exit.MmioAddress, exit.MmioData);
                return null;
            case KvmExitReason.Interrupted:
            case KvmExitReason.Intr:
            case KvmExitReason.IrqWindowOpen:
                return null; // a kick: the loop condition decides
            case KvmExitReason.Hlt:
                // With the in-kernel irqchip HLT stays in the kernel; reaching here means nothing can wake us.
                _stop.Request(0);
                return null;
            case KvmExitReason.Shutdown:
                // A shutdown cycle: an exception while delivering a double fault (SDM vol. 3A, 6.15, #DF).
                // Resets come through 0xCF9, the i8042 or ACPI, never here.
                return "the guest triple-faulted (KVM_EXIT_SHUTDOWN)";
            case KvmExitReason.SystemEvent:
                uint type = exit.SystemEventType;
                if (type is SystemEventShutdown or SystemEventReset) { _stop.Request(0); return null; }
                return type == SystemEventCrash ? "guest reported a crash (KVM_SYSTEM_EVENT_CRASH)" : $"unhandled system event {type}";
            case KvmExitReason.InternalError:
                return $"KVM_EXIT_INTERNAL_ERROR suberror {exit.InternalSuberror}{DescribeSuberror(exit.InternalSuberror)}" +
                    $" data [{string.Join(", ", exit.InternalData.ToArray().Select(d => $"0x{d:x}"))}]";
            case KvmExitReason.FailEntry:
                return $"KVM_EXIT_FAIL_ENTRY hardware reason 0x{exit.FailEntryReason:x}";
            case KvmExitReason.Unknown:
                return $"KVM_EXIT_UNKNOWN hardware reason 0x{exit.HardwareExitReason:x}";
            default:
                return $"unhandled exit reason {(uint)exit.Reason}";
        }
    }

    private static string DescribeSuberror(uint suberror) => suberror switch
    {
        1 => " (emulation failure: an instruction KVM could not emulate)",
        2 => " (simultaneous exceptions)",
        3 => " (delivery event failure)",
        4 => " (unexpected exit reason)",
        _ => "",
    };
}
