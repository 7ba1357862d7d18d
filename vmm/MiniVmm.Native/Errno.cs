namespace MiniVmm.Native;

/// <summary>Symbolic names for the errno values a VMM meets (asm-generic/errno-base.h, errno.h).</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7,
        EBADF = 9, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EFAULT = 14, EBUSY = 16, EEXIST = 17,
        ENODEV = 19, ENOTDIR = 20, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, ENOSPC = 28, EROFS = 30, ERANGE = 34, ENAMETOOLONG = 36,
        EPIPE = 32, ENOSYS = 38, EBADFD = 77, EMSGSIZE = 90, ENOTSUP = 95, EOPNOTSUPP = 95, EADDRINUSE = 98,
        ECONNABORTED = 103, ECONNRESET = 104, ENOBUFS = 105, ENOTCONN = 107, ECONNREFUSED = 111;

    public static string Name(int errno) => errno switch
    {
        EPERM => "EPERM", ENOENT => "ENOENT", ESRCH => "ESRCH", EINTR => "EINTR", EIO => "EIO",
        ENXIO => "ENXIO", E2BIG => "E2BIG", EBADF => "EBADF", EAGAIN => "EAGAIN", ENOMEM => "ENOMEM",
        EACCES => "EACCES", EFAULT => "EFAULT", EBUSY => "EBUSY", EEXIST => "EEXIST", ENODEV => "ENODEV",
        EINVAL => "EINVAL", ENFILE => "ENFILE", EMFILE => "EMFILE", ENOTTY => "ENOTTY", ENOSPC => "ENOSPC",
        ERANGE => "ERANGE", ENOSYS => "ENOSYS", EOPNOTSUPP => "EOPNOTSUPP", EADDRINUSE => "EADDRINUSE",
        ENOBUFS => "ENOBUFS", EPIPE => "EPIPE", EBADFD => "EBADFD", EMSGSIZE => "EMSGSIZE",
        ECONNABORTED => "ECONNABORTED", ENOTCONN => "ENOTCONN", ENOTDIR => "ENOTDIR", EROFS => "EROFS",
        ENAMETOOLONG => "ENAMETOOLONG", ECONNREFUSED => "ECONNREFUSED", ECONNRESET => "ECONNRESET",
        _ => $"errno {errno}",
    };
}
