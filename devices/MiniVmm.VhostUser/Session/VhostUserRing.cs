using MiniVmm.Native;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

/// <summary>
/// What the front end told the session about one ring. The values are latched into a
/// <see cref="VhostRingSetup"/> when the ring starts; a change to a started ring's base or
/// address is a device reset (VHOST-USER.md), a new kick restarts it, a new call swaps in place.
/// </summary>
internal sealed class VhostUserRing(int index) : IDisposable
{
    public int Index { get; } = index;

    /// <summary>SET_VRING_NUM; 0 until sent.</summary>
    public int Size { get; set; }

    /// <summary>SET_VRING_ADDR (user addresses); null until sent.</summary>
    public VringAddress? Address { get; set; }

    /// <summary>SET_VRING_BASE, or where the ring stopped last (GET_VRING_BASE's answer).</summary>
    public ushort Base { get; set; }

    public FileDescriptor? Kick { get; private set; }

    public VhostRingNotifier Call { get; } = new();

    public VhostRingNotifier Error { get; } = new();

    /// <summary>SET_VRING_ENABLE's last value (rings start disabled when PROTOCOL_FEATURES is negotiated).</summary>
    public bool Enabled { get; set; }

    /// <summary>Started in the spec's sense: a kick descriptor arrived and no GET_VRING_BASE or reset stopped it since.</summary>
    public bool Kicked { get; set; }

    /// <summary>The device serves the ring (StartRing was called and StopRing/Reset not yet).</summary>
    public bool Running { get; set; }

    /// <summary>The ring could not be started with its current set-up; cleared when the front end changes it.</summary>
    public bool Failed { get; set; }

    /// <summary>Takes ownership of <paramref name="kick"/> and closes the previous one (the ring must not be running).</summary>
    public void ReplaceKick(FileDescriptor kick)
    {
        Kick?.Dispose();
        Kick = kick;
    }

    public void Dispose()
    {
        Kick?.Dispose();
        Kick = null;
        Call.Dispose();
        Error.Dispose();
    }
}
