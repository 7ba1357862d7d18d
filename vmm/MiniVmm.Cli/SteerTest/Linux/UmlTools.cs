namespace MiniVmm.Cli.SteerTest.Linux;

/// <summary>
/// What the Linux guest rig runs: Debian's User-Mode Linux kernel (the real Linux 6.1 with its
/// virtio_net module, as a host process) and the tools build.sh leaves in out/guest-images/uml
/// (guest-images/uml/README.md): the launcher with its seccomp filter, the guest's init, the frame observer.
/// </summary>
public sealed record UmlTools(string Kernel, string Launcher, string Init, string FrameObserver, string ModulesRoot)
{
    public const string DefaultKernel = "/usr/bin/linux.uml";

    /// <summary>Where Debian's user-mode-linux package puts the kernel's modules (virtio_net among them), one directory per release.</summary>
    public const string DefaultModulesRoot = "/usr/lib/uml/modules";

    /// <summary>The tools beside this binary (out/bin/minivmm -> out/guest-images/uml).</summary>
    public static UmlTools Default()
    {
        string dir = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "guest-images", "uml"));
        return new UmlTools(DefaultKernel, Path.Combine(dir, "uml-launch"), Path.Combine(dir, "init"), Path.Combine(dir, "frame-observer"), DefaultModulesRoot);
    }

    /// <summary>Why the rig cannot run here (one line naming what is missing and how to get it), or null.</summary>
    public string? Problem()
    {
        if (!File.Exists(Kernel))
            return $"--guest linux needs User-Mode Linux ({Kernel}, Debian's user-mode-linux package; ./build.sh installs it)";
        if (!Directory.Exists(ModulesRoot) || !Directory.EnumerateDirectories(ModulesRoot).Any())
            return $"--guest linux needs the User-Mode Linux modules in {ModulesRoot} (Debian's user-mode-linux package)";
        foreach (string tool in new[] { Launcher, Init, FrameObserver })
        {
            if (!File.Exists(tool)) return $"--guest linux: {tool} is missing (build it with ./build.sh)";
        }
        return null;
    }
}
