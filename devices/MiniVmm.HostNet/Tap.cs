using MiniVmm.Native;
using MiniVmm.Native.Net;
using Tmds.Linux;

namespace MiniVmm.HostNet;

/// <summary>
/// A multiqueue TAP interface (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE) with one
/// non-blocking fd per queue pair. Created, attached to, or adopted from fds a privileged parent
/// opened. Dispose closes every fd: an interface the VMM created disappears with them (it is never
/// made persistent), one it attached to stays. Dispose is idempotent and safe from any thread.
/// </summary>
public sealed class Tap : IDisposable
{
    /// <summary>The flags every queue must have.</summary>
    public const TunFlags RequiredFlags = TunFlags.Tap | TunFlags.NoPi | TunFlags.VnetHdr | TunFlags.MultiQueue;

    /// <summary>MAX_TAP_QUEUES in drivers/net/tun.c.</summary>
    public const int MaxQueues = 256;

    /// <summary>sizeof(struct virtio_net_hdr_v1) (virtio 1.2 §5.1.6): the header without a hash.</summary>
    public const int VnetHeaderBytes = 12;

    /// <summary>sizeof(struct virtio_net_hdr_v1_hash): the header when VIRTIO_NET_F_HASH_REPORT is negotiated.</summary>
    public const int VnetHashHeaderBytes = 20;

    private readonly TapQueue[] _queues;
    private readonly object _controlLock = new();
    private int _disposed;

    private Tap(string name, TapOrigin origin, TapQueue[] queues)
    {
        Name = name;
        Origin = origin;
        _queues = queues;
        ActiveQueues = queues.Length;
    }

    /// <summary>The interface name (the kernel's choice when created from a '%d' pattern).</summary>
    public string Name { get; }

    public TapOrigin Origin { get; }

    /// <summary>All queues, attached or not, in index order.</summary>
    public IReadOnlyList<TapQueue> Queues => _queues;

    /// <summary>How many queues (0..n-1) are attached.</summary>
    public int ActiveQueues { get; private set; }

    /// <summary>The current TUNSETVNETHDRSZ value.</summary>
    public int VnetHeaderSize { get; private set; }

    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Creates a new interface (fails when <paramref name="name"/> exists); '%d' in the name lets the kernel number it.</summary>
    public static Tap Create(string name, int queues) => OpenByName(name, queues, mustExist: false, mustBeNew: true);

    /// <summary>Attaches to an existing multiqueue TAP (fails when it does not exist).</summary>
    public static Tap Attach(string name, int queues) => OpenByName(name, queues, mustExist: true, mustBeNew: false);

    /// <summary>Attaches when the interface exists, creates it otherwise.</summary>
    public static Tap CreateOrAttach(string name, int queues) => OpenByName(name, queues, mustExist: false, mustBeNew: false);

    /// <summary>
    /// Adopts queue fds opened by a privileged parent (fds=3,4,5,6). Each must be a TAP queue of the
    /// same interface with <see cref="RequiredFlags"/>. On success the Tap owns the fds; on failure
    /// they are left open and still belong to the caller.
    /// </summary>
    public static Tap Adopt(IReadOnlyList<int> fds)
    {
        if (fds.Count == 0) throw new TapException("fds=: no file descriptors given");
        if (fds.Count > MaxQueues) throw new TapException($"fds=: {fds.Count} file descriptors, at most {MaxQueues}");
        if (fds.Distinct().Count() != fds.Count) throw new TapException($"fds=: a file descriptor appears twice ({string.Join(",", fds)})");
        string? name = null;
        foreach (int fd in fds)
        {
            if (fd < 0) throw new TapException($"fds=: {fd} is not a file descriptor");
            using var borrowed = new FileDescriptor(fd, ownsHandle: false);
            if (!TunDevice.TryGetInterface(borrowed, out string ifName, out TunFlags flags, out int errno))
            {
                throw new TapException($"fds=: fd {fd} is not an open TAP queue (TUNGETIFF: {Errno.Name(errno)})");
            }
            if ((flags & RequiredFlags) != RequiredFlags)
            {
                throw new TapException($"fds=: fd {fd} ({ifName}) has flags 0x{(ushort)flags:x4}; need IFF_TAP|IFF_NO_PI|IFF_VNET_HDR|IFF_MULTI_QUEUE (0x{(ushort)RequiredFlags:x4})");
            }
            if (name is not null && name != ifName) throw new TapException($"fds=: fd {fd} belongs to {ifName}, the others to {name}");
            name = ifName;
        }
        var queues = new TapQueue[fds.Count];
        foreach (int fd in fds) FdIo.SetNonBlocking(fd);
        for (int i = 0; i < fds.Count; i++) queues[i] = new TapQueue(i, new FileDescriptor(fds[i]));
        var tap = new Tap(name!, TapOrigin.Adopted, queues);
        try
        {
            // A parent may hand in detached queues; TUNSETQUEUE attach answers EINVAL for attached ones.
            foreach (TapQueue q in queues) EnsureAttached(q);
            tap.Prepare();
            return tap;
        }
        catch
        {
            // Failed adoption: the fds go back to the caller unclosed, as documented.
            foreach (TapQueue q in queues) q.Handle.SetHandleAsInvalid();
            throw;
        }
    }

    /// <summary>
    /// TUNSETVNETHDRSZ for the device (one setting for every queue): 12, or 20 when the kernel or a BPF
    /// kfunc fills the hash (virtio_net_hdr_v1_hash). Each queue's <see cref="TapQueue.Header"/> follows,
    /// so the device reads and writes what the kernel expects.
    /// </summary>
    public void SetVnetHeaderSize(int bytes)
    {
        if (bytes is not (VnetHeaderBytes or VnetHashHeaderBytes)) throw new ArgumentOutOfRangeException(nameof(bytes), bytes, "vnet header size must be 12 or 20");
        lock (_controlLock)
        {
            ThrowIfDisposed();
            TunDevice.SetVnetHeaderSize(_queues[0].Handle, bytes);
            VnetHeaderSize = bytes;
            foreach (TapQueue q in _queues) q.SetVnetHeaderBytes(bytes);
        }
    }

    /// <summary>TUNSETOFFLOAD for the device: the offloads the guest negotiated for its receive side.</summary>
    public void SetOffloads(TunOffloads offloads)
    {
        lock (_controlLock)
        {
            ThrowIfDisposed();
            TunDevice.SetOffload(_queues[0].Handle, offloads);
        }
    }

    /// <summary>
    /// Attaches queues 0..n-1 and detaches the rest (TUNSETQUEUE), as the guest changes the number
    /// of queue pairs (VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET). Attaches before detaching, so the device
    /// never has zero queues.
    /// </summary>
    public void SetActiveQueues(int count)
    {
        if (count < 1 || count > _queues.Length) throw new ArgumentOutOfRangeException(nameof(count), count, $"active queues must be 1..{_queues.Length}");
        lock (_controlLock)
        {
            ThrowIfDisposed();
            for (int i = 0; i < count; i++)
            {
                if (!_queues[i].Attached) { TunDevice.SetQueueAttached(_queues[i].Handle, true); _queues[i].Attached = true; }
            }
            for (int i = count; i < _queues.Length; i++)
            {
                if (_queues[i].Attached) { TunDevice.SetQueueAttached(_queues[i].Handle, false); _queues[i].Attached = false; }
            }
            ActiveQueues = count;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // SafeHandle defers each close until a worker's in-flight read/write has released the fd.
        foreach (TapQueue q in _queues) q.Dispose();
    }

    private static Tap OpenByName(string name, int queues, bool mustExist, bool mustBeNew)
    {
        try { Ifreq.CheckName(name); }
        catch (ArgumentException e) { throw new TapException($"tap={name}: {e.Message}"); }
        if (queues < 1 || queues > MaxQueues) throw new TapException($"queues={queues}: must be 1..{MaxQueues}");
        bool pattern = name.Contains('%');
        bool exists = !pattern && NetInterface.Exists(name);
        if (mustExist && !exists) throw new TapException($"tap={name}: no such interface");
        if (mustBeNew && exists) throw new TapException($"tap={name}: the interface already exists");

        var opened = new TapQueue[queues];
        string actual = name;
        int count = 0;
        try
        {
            for (; count < queues; count++)
            {
                FileDescriptor fd;
                try { fd = TunDevice.OpenQueue(actual, RequiredFlags, out actual); }
                catch (SyscallException e) { throw new TapException(Explain(name, exists, count, e), e); }
                opened[count] = new TapQueue(count, fd);
            }
            var tap = new Tap(actual, exists ? TapOrigin.Attached : TapOrigin.Created, opened);
            try
            {
                tap.Prepare();
                return tap;
            }
            catch
            {
                tap.Dispose();
                throw;
            }
        }
        catch
        {
            for (int i = 0; i < count; i++) opened[i].Dispose();
            throw;
        }
    }

    private void Prepare()
    {
        SetVnetHeaderSize(VnetHeaderBytes);
        try { NetInterface.SetUp(Name, true); }
        catch (SyscallException e) when (Origin == TapOrigin.Adopted && e.Errno == Errno.ENODEV)
        {
            // The parent may have moved the interface to another namespace; bringing it up is then its job.
        }
    }

    private static void EnsureAttached(TapQueue q)
    {
        if (!TunDevice.TryAttachQueue(q.Handle, out int errno) && errno != Errno.EINVAL)
        {
            throw new SyscallException($"TUNSETQUEUE attach fd {q.Handle.Fd}", errno);
        }
        q.Attached = true;
    }

    private static string Explain(string name, bool exists, int queue, SyscallException e) => e.Errno switch
    {
        Errno.EINVAL when exists => $"tap={name}: cannot attach queue {queue}: the interface is not a multiqueue TAP with vnet headers (or its flags differ) ({e.Message})",
        Errno.EBUSY => $"tap={name}: cannot open queue {queue}: the interface is busy, e.g. a single-queue TAP already in use ({e.Message})",
        Errno.EPERM or Errno.EACCES => $"tap={name}: permission denied (need CAP_NET_ADMIN, or hand in fds=) ({e.Message})",
        Errno.ENOENT or Errno.ENODEV => $"tap={name}: /dev/net/tun is missing ({e.Message})",
        _ => $"tap={name}: cannot open queue {queue}: {e.Message}",
    };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(IsDisposed, this);
}
