namespace MiniVmm.HostNet;

/// <summary>How a <see cref="Tap"/> came to be, which decides what Dispose removes.</summary>
public enum TapOrigin
{
    /// <summary>The VMM created the interface: it disappears when the VMM lets go.</summary>
    Created,

    /// <summary>The interface existed (persistent or held by someone else): it stays.</summary>
    Attached,

    /// <summary>Already-open queue fds were handed in by a privileged parent (fds=...): they are closed, the interface is the parent's.</summary>
    Adopted,
}
