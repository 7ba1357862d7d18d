namespace MiniVmm.Benchmarks.Uml;

/// <summary>
/// One way a UML guest reaches its TAP in the `uml` benchmark: our back end (`minivmm vhost-user-net`
/// with <see cref="Queues"/> queue pairs, the guest's virtio_net over virtio_uml) or UML's own
/// vector driver (<c>vec0:transport=tap</c>, no vhost-user). <see cref="Streams"/> parallel iperf3 streams.
/// </summary>
public sealed record UmlTransport(bool VhostUser, int Queues, int Streams)
{
    public string Label => VhostUser ? $"vhost-user {Queues}q" : "UML tap (vec0)";

    /// <summary>The guest's interface name: virtio_net's eth0 or the vector driver's vec0.</summary>
    public string GuestInterface => VhostUser ? "eth0" : "vec0";
}
