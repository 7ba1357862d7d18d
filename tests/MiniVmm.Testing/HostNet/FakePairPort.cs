using MiniVmm.HostNet;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Testing;

/// <summary>
/// A pair port for worker tests without a TAP: packets to the guest wait in a list, and an eventfd
/// stands in for the TAP fd (readable while packets wait). Thread-safe: tests inject from their
/// thread, the worker reads on its own. <see cref="OnRead"/> and <see cref="OnWrite"/> let a test
/// act at an exact point of the worker's progress (e.g. post a TX chain after N reads).
/// </summary>
public sealed class FakePairPort : IPairPort, IDisposable
{
    private readonly object _lock = new();
    private readonly Queue<byte[]> _toGuest = new();
    private readonly Queue<BackendResult> _readResults = new();
    private readonly EventFd _ready = new();
    private readonly List<byte[]> _fromGuest = [];

    public int HeaderBytes { get; set; } = VirtioNetHeader.Bytes;

    public FileDescriptor Handle => _ready.Handle;

    public EventFd? Wakeup => null;

    public bool ServesWhileStalled => false;

    /// <summary>Reads so far (packets, errors and empty answers alike).</summary>
    public int Reads { get; private set; }

    /// <summary>Called on the worker's thread after each read, with the number of reads so far.</summary>
    public Action<int>? OnRead { get; set; }

    /// <summary>Called on the worker's thread after each write, with the number of reads so far.</summary>
    public Action<int>? OnWrite { get; set; }

    public List<byte[]> FromGuest
    {
        get { lock (_lock) return [.. _fromGuest]; }
    }

    /// <summary>Queues a frame behind a zeroed header of <see cref="HeaderBytes"/>, and makes the port readable.</summary>
    public void Inject(byte[] frame, byte flags = 0)
    {
        var packet = new byte[HeaderBytes + frame.Length];
        packet[0] = flags;
        frame.CopyTo(packet, HeaderBytes);
        lock (_lock) _toGuest.Enqueue(packet);
        _ready.Signal();
    }

    /// <summary>Makes the next reads answer these results (errors, drops) before any packet.</summary>
    public void InjectResults(params BackendResult[] results)
    {
        lock (_lock)
        {
            foreach (BackendResult r in results) _readResults.Enqueue(r);
        }
        _ready.Signal();
    }

    public BackendResult Read(Span<byte> packet)
    {
        BackendResult result;
        lock (_lock)
        {
            Reads++;
            if (_readResults.TryDequeue(out result)) { }
            else if (_toGuest.TryDequeue(out byte[]? next))
            {
                next.CopyTo(packet);
                result = BackendResult.Packet(next.Length);
            }
            else
            {
                _ready.Drain();
                result = BackendResult.WouldBlock;
            }
        }
        OnRead?.Invoke(Reads);
        return result;
    }

    public BackendResult Write(ReadOnlySpan<byte> packet)
    {
        lock (_lock) _fromGuest.Add(packet.ToArray());
        OnWrite?.Invoke(Reads);
        return BackendResult.Written;
    }

    public RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration)
    {
        RssResult result = RssHasher.Compute(packet[HeaderBytes..], configuration);
        return new RxHash(result.HashValue, result.HashReport);
    }

    public void ServeWhileStalled(int budget)
    {
    }

    public void Dispose() => _ready.Dispose();
}
