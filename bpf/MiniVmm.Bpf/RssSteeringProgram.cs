using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Rss;

namespace MiniVmm.Bpf;

/// <summary>
/// The loaded RSS steering program (bpf/rss_steering.bpf.c) and its two maps: <c>rss_config</c>
/// (written by <see cref="Configure"/> on every RSS_CONFIG / HASH_CONFIG) and the per-CPU
/// <c>rss_result</c> (read by <see cref="TestRun"/>). Loaded from an object file or memory with
/// libbpf, or built from fds a privileged parent passed (as QEMU's ebpf-rss-fds), so the VMM can
/// run without CAP_BPF. Disposing closes what this instance owns; a TAP it is attached to keeps
/// its own reference to the program until detached or closed.
/// </summary>
public sealed unsafe class RssSteeringProgram : IDisposable
{
    public const string ProgramName = "rss_steering";
    public const string ConfigMapName = "rss_config";
    public const string ResultMapName = "rss_result";

    /// <summary>
    /// Test frames shorter than this are zero-padded: BPF_PROG_TEST_RUN refuses less than
    /// ETH_HLEN, and an IPv4/IPv6 EtherType followed by less than a whole IP header (14 + 40).
    /// The program still sees the true length (cb[0], see <see cref="TestLengthKey"/>).
    /// </summary>
    public const int MinimumTestFrameBytes = 54;

    /// <summary>cb[0] of a test run carries the frame length XOR this (RSS_TEST_LENGTH_KEY in the C source).</summary>
    public const uint TestLengthKey = 0x4D56_0000;

    /// <summary>offsetof(struct __sk_buff, cb) and the context bytes we pass (up to the end of cb[5]).</summary>
    private const int SkBuffCbOffset = 48, SkBuffContextBytes = 68;

    private readonly object _testRunLock = new();
    private IntPtr _object;
    private readonly FileDescriptor _program;
    private readonly FileDescriptor _configMap;
    private readonly FileDescriptor? _resultMap;

    private RssSteeringProgram(IntPtr bpfObject, FileDescriptor program, FileDescriptor configMap, FileDescriptor? resultMap)
    {
        _object = bpfObject;
        _program = program;
        _configMap = configMap;
        _resultMap = resultMap;
    }

    /// <summary>The program fd (pass it to a child, or to TUNSETSTEERINGEBPF).</summary>
    public int ProgramFd => _program.Fd;

    public int ConfigMapFd => _configMap.Fd;

    /// <summary>The rss_result map fd, or -1 when the parent passed none.</summary>
    public int ResultMapFd => _resultMap?.Fd ?? -1;

    /// <summary>Opens and loads an object built by bpf/Makefile (needs CAP_BPF or root).</summary>
    public static RssSteeringProgram Load(string objectPath)
    {
        if (!File.Exists(objectPath)) throw new FileNotFoundException($"BPF object {objectPath} does not exist", objectPath);
        LibBpfLog.EnsureInstalled();
        IntPtr obj = LibBpf.CheckPointer(LibBpf.bpf_object__open_file(objectPath, IntPtr.Zero), "bpf_object__open_file");
        return LoadOpened(obj);
    }

    /// <summary>
    /// Loads the object built into this assembly: rss_steering.bpf.o, or with
    /// <paramref name="withHashKfuncs"/> rss_steering_kfunc.bpf.o (docs/BPF.md).
    /// </summary>
    public static RssSteeringProgram LoadEmbedded(bool withHashKfuncs = false)
    {
        string name = withHashKfuncs ? "rss_steering_kfunc.bpf.o" : "rss_steering.bpf.o";
        using Stream stream = typeof(RssSteeringProgram).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"{name} is not embedded in MiniVmm.Bpf (build with make -C bpf first)");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return Load(bytes);
    }

    /// <summary>Opens and loads an object held in memory (e.g. an embedded resource).</summary>
    public static RssSteeringProgram Load(ReadOnlySpan<byte> objectBytes)
    {
        LibBpfLog.EnsureInstalled();
        IntPtr obj;
        // Safe: libbpf copies the ELF image during open; the span outlives the call.
        fixed (byte* p = objectBytes)
        {
            obj = LibBpf.CheckPointer(LibBpf.bpf_object__open_mem(p, (nuint)objectBytes.Length, IntPtr.Zero), "bpf_object__open_mem");
        }
        return LoadOpened(obj);
    }

    /// <summary>
    /// Wraps fds received from a privileged parent (program, rss_config map, optionally rss_result
    /// map). Takes ownership: they are closed on <see cref="Dispose"/>.
    /// </summary>
    public static RssSteeringProgram FromFileDescriptors(FileDescriptor program, FileDescriptor configMap, FileDescriptor? resultMap = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(configMap);
        if (program.IsInvalid) throw new ArgumentException("the program fd is invalid", nameof(program));
        if (configMap.IsInvalid) throw new ArgumentException("the rss_config map fd is invalid", nameof(configMap));
        return new RssSteeringProgram(IntPtr.Zero, program, configMap, resultMap is { IsInvalid: false } ? resultMap : null);
    }

    private static RssSteeringProgram LoadOpened(IntPtr obj)
    {
        try
        {
            LibBpf.Check(LibBpf.bpf_object__load(obj), "bpf_object__load");
            int program = FindProgramFd(obj, ProgramName);
            int config = FindMapFd(obj, ConfigMapName);
            int result = FindMapFd(obj, ResultMapName);
            // The fds belong to the bpf_object; bpf_object__close closes them.
            return new RssSteeringProgram(obj, new FileDescriptor(program, ownsHandle: false),
                new FileDescriptor(config, ownsHandle: false), new FileDescriptor(result, ownsHandle: false));
        }
        catch
        {
            LibBpf.bpf_object__close(obj);
            throw;
        }
    }

    private static int FindProgramFd(IntPtr obj, string name)
    {
        IntPtr program = LibBpf.bpf_object__find_program_by_name(obj, name);
        if (program == IntPtr.Zero) throw new SyscallException($"bpf_object__find_program_by_name {name}", Errno.ENOENT);
        return LibBpf.Check(LibBpf.bpf_program__fd(program), $"bpf_program__fd {name}");
    }

    private static int FindMapFd(IntPtr obj, string name)
    {
        IntPtr map = LibBpf.bpf_object__find_map_by_name(obj, name);
        if (map == IntPtr.Zero) throw new SyscallException($"bpf_object__find_map_by_name {name}", Errno.ENOENT);
        return LibBpf.Check(LibBpf.bpf_map__fd(map), $"bpf_map__fd {name}");
    }

    /// <summary>Writes <paramref name="config"/> into rss_config; the next packet sees all of it (one map update).</summary>
    public void Configure(RssConfiguration config)
    {
        RssConfigValue value = RssConfigValue.From(config);
        uint key = 0;
        LibBpf.Check(LibBpf.bpf_map_update_elem(_configMap.Fd, &key, &value, 0), "bpf_map_update_elem rss_config");
    }

    /// <summary>Makes this program choose the queue for every packet of the TAP that <paramref name="tapQueueFd"/> belongs to.</summary>
    public void AttachTo(FileDescriptor tapQueueFd)
    {
        TunDevice.SetSteeringProgram(tapQueueFd, _program.Fd);
    }

    /// <summary>Gives queue selection back to tun (TUNSETSTEERINGEBPF with -1).</summary>
    public static void DetachFrom(FileDescriptor tapQueueFd)
    {
        TunDevice.SetSteeringProgram(tapQueueFd, -1);
    }

    /// <summary>
    /// Runs the program once on <paramref name="frame"/> (an Ethernet frame of any length up to
    /// about 3.5 KiB, the kernel's limit) with BPF_PROG_TEST_RUN and returns its queue and the
    /// hash it stored in rss_result.
    /// </summary>
    public RssResult TestRun(ReadOnlySpan<byte> frame)
    {
        if (_resultMap is null) throw new InvalidOperationException("TestRun needs the rss_result map, and no fd for it was passed");
        lock (_testRunLock)
        {
            int cpus = LibBpf.Check(LibBpf.libbpf_num_possible_cpus(), "libbpf_num_possible_cpus");
            var values = new RssResultValue[cpus];
            uint key = 0;
            // Safe: the array holds one 16-byte value per possible CPU, what a per-CPU map lookup/update reads or writes.
            fixed (RssResultValue* p = values)
            {
                LibBpf.Check(LibBpf.bpf_map_update_elem(_resultMap.Fd, &key, p, 0), "bpf_map_update_elem rss_result");
                uint queue = Run(frame, 1, out _);
                LibBpf.Check(LibBpf.bpf_map_lookup_elem(_resultMap.Fd, &key, p), "bpf_map_lookup_elem rss_result");
                foreach (RssResultValue v in values)
                {
                    if (v.Runs != 0 && v.Queue == (ushort)queue)
                        return new RssResult(v.HashValue, (VirtioNetHashReport)v.HashReport, (ushort)queue);
                }
            }
            throw new InvalidOperationException("the steering program ran but left no rss_result");
        }
    }

    /// <summary>Runs the program <paramref name="repeat"/> times in the kernel; returns the kernel's average ns per run.</summary>
    public uint MeasureNanosecondsPerRun(ReadOnlySpan<byte> frame, int repeat)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        lock (_testRunLock)
        {
            Run(frame, repeat, out uint duration);
            return duration;
        }
    }

    private uint Run(ReadOnlySpan<byte> frame, int repeat, out uint durationNanoseconds)
    {
        Span<byte> padded = stackalloc byte[MinimumTestFrameBytes];
        scoped ReadOnlySpan<byte> input = frame;
        if (frame.Length < MinimumTestFrameBytes)
        {
            padded.Clear();
            frame.CopyTo(padded);
            input = padded;
        }
        byte* context = stackalloc byte[SkBuffContextBytes];
        new Span<byte>(context, SkBuffContextBytes).Clear();
        *(uint*)(context + SkBuffCbOffset) = (uint)frame.Length ^ TestLengthKey;
        // Safe: data_in and ctx_in point into pinned/stack memory for the duration of the syscall only.
        fixed (byte* data = input)
        {
            var opts = new BpfTestRunOpts
            {
                Size = (nuint)sizeof(BpfTestRunOpts),
                DataIn = data,
                DataSizeIn = (uint)input.Length,
                ContextIn = context,
                ContextSizeIn = SkBuffContextBytes,
                Repeat = repeat,
            };
            LibBpf.Check(LibBpf.bpf_prog_test_run_opts(_program.Fd, &opts), "BPF_PROG_TEST_RUN");
            durationNanoseconds = opts.DurationNanoseconds;
            return opts.ReturnValue;
        }
    }

    public void Dispose()
    {
        _program.Dispose();
        _configMap.Dispose();
        _resultMap?.Dispose();
        IntPtr obj = Interlocked.Exchange(ref _object, IntPtr.Zero);
        if (obj != IntPtr.Zero) LibBpf.bpf_object__close(obj);
    }
}
