namespace MiniVmm.Testing.Uml;

/// <summary>Where build.sh leaves the UML guest's tools (guest-images/uml, built into out/guest-images/uml).</summary>
public static class UmlPaths
{
    public const string Kernel = "/usr/bin/linux.uml";

    public static string Root { get; } = FindRoot();

    public static string Directory => Path.Combine(Root, "out", "guest-images", "uml");

    /// <summary>Starts linux.uml under the seccomp filter (guest-images/uml/uml-launch.c).</summary>
    public static string Launcher => Path.Combine(Directory, "uml-launch");

    /// <summary>PID 1 of the guest (guest-images/uml/init).</summary>
    public static string Init => Path.Combine(Directory, "init");

    /// <summary>The per-frame observer and frame sender (guest-images/uml/frame-observer.c).</summary>
    public static string FrameObserver => Path.Combine(Directory, "frame-observer");

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MiniVmm.sln"))) dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("cannot find the repository root (MiniVmm.sln)");
    }
}
