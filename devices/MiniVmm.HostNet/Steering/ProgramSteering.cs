using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The one attach path of both eBPF back ends: with RSS steering the program gets the configuration
/// (one map update) and is attached if it was not; without, it is detached and tun steers by itself.
/// </summary>
internal static class ProgramSteering
{
    /// <summary>Returns whether the program is attached afterwards.</summary>
    public static bool Apply(ISteeringProgramAttachment program, bool attached, SteeringState state)
    {
        if (state.SteeringEnabled)
        {
            program.Configure(state.Configuration!);
            if (!attached) program.Attach();
            return true;
        }
        if (attached) program.Detach();
        return false;
    }

    /// <summary>Detaches (when attached; a TAP already gone needs nothing) and unloads the program.</summary>
    public static void Release(ISteeringProgramAttachment program, bool attached)
    {
        try
        {
            if (attached) program.Detach();
        }
        catch (SyscallException)
        {
            // The TAP is going away with us; unloading the program below is what matters.
        }
        finally
        {
            program.Dispose();
        }
    }
}
