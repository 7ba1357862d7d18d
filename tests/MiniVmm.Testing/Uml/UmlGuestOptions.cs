namespace MiniVmm.Testing.Uml;

/// <summary>How to boot a <see cref="UmlGuest"/>.</summary>
public sealed class UmlGuestOptions
{
    /// <summary>The shell script the guest's init runs (as root, host binaries on the hostfs root, GLIBC_TUNABLES set).</summary>
    public required string Script { get; init; }

    /// <summary>
    /// Extra kernel arguments, e.g. <c>vec0:transport=tap,ifname=NAME</c> (UML's own TAP transport) or
    /// <c>virtio_uml.device=SOCKET:1</c> (a vhost-user net device; the back end must already listen).
    /// </summary>
    public IReadOnlyList<string> KernelArguments { get; init; } = [];

    /// <summary>Run UML inside this network namespace (its TAP then lives there too).</summary>
    public NetworkNamespace? Namespace { get; init; }

    public int MemoryMiB { get; init; } = 256;
}
