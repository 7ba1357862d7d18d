using MiniVmm.Native.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// Plays "the host" on a TAP interface through an AF_PACKET socket: a frame sent here leaves the
/// interface and is read from one of the TAP's queue fds (with a vnet header in front); a frame
/// written to a queue fd arrives on the interface and is captured here. For host tests and
/// `minivmm steer-test`.
/// </summary>
public sealed class PacketInjector : IDisposable
{
    private readonly PacketSocket _socket;

    private PacketInjector(string interfaceName, PacketSocket socket)
    {
        InterfaceName = interfaceName;
        _socket = socket;
    }

    public string InterfaceName { get; }

    /// <summary>Opens an injector on <paramref name="interfaceName"/> (which must be up to pass frames).</summary>
    public static PacketInjector Open(string interfaceName)
    {
        if (!NetInterface.TryGetIndex(interfaceName, out int index)) throw new TapException($"inject: no interface {interfaceName}");
        return new PacketInjector(interfaceName, PacketSocket.Open(index));
    }

    /// <summary>Sends one Ethernet frame (no vnet header) into the TAP, towards its queues.</summary>
    public void Send(ReadOnlySpan<byte> frame) => _socket.Send(frame);

    /// <summary>
    /// Captures the next frame that arrived on the interface from a queue fd (the device's transmit
    /// side), skipping frames the host itself sent; 0 when none came within <paramref name="timeout"/>.
    /// </summary>
    public int Capture(Span<byte> frame, TimeSpan timeout) => _socket.ReceiveIncoming(frame, timeout);

    public void Dispose() => _socket.Dispose();
}
