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

    private readonly Vcpu _vcpu;
    private readonly Bus _io;
    private readonly Bus _mmio;
    private readonly MachineStop _stop;
    private readonly Thread _thread;

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

    private void Loop()
    {
        try
        {
            _vcpu.BindToCurrentThread();
            while (!_stop.IsRequested)
            {
                string? failure = HandleExit(_vcpu.Run());
                if (failure is not null) _stop.Fail($"vcpu{_vcpu.Id}: {failure}");
            }
        }
        catch (Exception e)
        {
            _stop.Fail($"vcpu{_vcpu.Id}: {e.Message}");
        }
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
                MachineLog.Debug($"vcpu{_vcpu.Id}: guest shut down (triple fault or reset)");
                _stop.Request(0);
                return null;
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
