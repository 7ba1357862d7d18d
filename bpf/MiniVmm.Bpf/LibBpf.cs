using System.Runtime.InteropServices;

namespace MiniVmm.Bpf;

/// <summary>
/// libbpf 1.x imports (libbpf.so.1, Debian's libbpf1). libbpf 1.0+ returns NULL and sets errno
/// for failed constructors, and -errno from int-returning calls; <see cref="Check"/> turns the
/// latter into a <see cref="Native.SyscallException"/> naming the call.
/// </summary>
internal static unsafe partial class LibBpf
{
    private const string Library = "libbpf.so.1";

    /// <summary>enum btf_kind BTF_KIND_FUNC (linux/btf.h).</summary>
    public const uint BtfKindFunc = 12;

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial IntPtr bpf_object__open_file(string path, IntPtr opts);

    [LibraryImport(Library, SetLastError = true)]
    public static partial IntPtr bpf_object__open_mem(void* buffer, nuint size, IntPtr opts);

    [LibraryImport(Library)]
    public static partial int bpf_object__load(IntPtr obj);

    [LibraryImport(Library)]
    public static partial void bpf_object__close(IntPtr obj);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr bpf_object__find_map_by_name(IntPtr obj, string name);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial IntPtr bpf_object__find_program_by_name(IntPtr obj, string name);

    [LibraryImport(Library)]
    public static partial int bpf_map__fd(IntPtr map);

    [LibraryImport(Library)]
    public static partial int bpf_program__fd(IntPtr program);

    [LibraryImport(Library)]
    public static partial int bpf_map_update_elem(int fd, void* key, void* value, ulong flags);

    [LibraryImport(Library)]
    public static partial int bpf_map_lookup_elem(int fd, void* key, void* value);

    [LibraryImport(Library)]
    public static partial int bpf_prog_test_run_opts(int programFd, BpfTestRunOpts* opts);

    [LibraryImport(Library, SetLastError = true)]
    public static partial IntPtr btf__load_vmlinux_btf();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    public static partial IntPtr btf__load_module_btf(string moduleName, IntPtr vmlinuxBtf);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int btf__find_by_name_kind(IntPtr btf, string name, uint kind);

    [LibraryImport(Library)]
    public static partial void btf__free(IntPtr btf);

    [LibraryImport(Library)]
    public static partial long libbpf_get_error(IntPtr ptr);

    [LibraryImport(Library)]
    public static partial IntPtr libbpf_set_print(IntPtr printFunction);

    [LibraryImport(Library)]
    public static partial int libbpf_num_possible_cpus();

    /// <summary>Throws for a negative libbpf result (-errno), naming the call.</summary>
    public static int Check(int result, string call) =>
        result < 0 ? throw new Native.SyscallException(call, -result) : result;

    /// <summary>Throws when a libbpf constructor returned NULL; the errno is libbpf's.</summary>
    public static IntPtr CheckPointer(IntPtr pointer, string call)
    {
        if (pointer != IntPtr.Zero) return pointer;
        long error = libbpf_get_error(pointer);
        int errno = error != 0 ? (int)-error : Marshal.GetLastPInvokeError();
        throw new Native.SyscallException(call, errno == 0 ? Native.Errno.EINVAL : errno);
    }
}
