namespace MiniVmm.Machine.Boot;

/// <summary>
/// A kernel, initrd or command line that cannot be booted. The message is one line naming the
/// file and the problem, e.g. "kernel /x/y: not a Linux kernel (no ELF magic, no bzImage 'HdrS' header)",
/// fit to print as is before exiting with status 2.
/// </summary>
public sealed class BootImageException : Exception
{
    public BootImageException(string role, string path, string problem, Exception? inner = null)
        : base($"{role} {path}: {problem}", inner)
    {
        Role = role;
        FilePath = path;
        Problem = problem;
    }

    /// <summary>"kernel", "initrd" or "command line".</summary>
    public string Role { get; }

    public string FilePath { get; }

    public string Problem { get; }
}
