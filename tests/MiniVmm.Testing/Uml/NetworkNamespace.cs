using System.Diagnostics;

namespace MiniVmm.Testing.Uml;

/// <summary>
/// A network namespace a test creates (ip netns add) and deletes on dispose, with everything in
/// it: test traffic goes only into TAPs and namespaces the test made itself.
/// </summary>
public sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates "mvt-ns-" + 8 random hex digits.</summary>
    public static NetworkNamespace Create()
    {
        var ns = new NetworkNamespace("mvt-ns-" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 4).ToLowerInvariant());
        Run("ip", ["netns", "add", ns.Name]);
        return ns;
    }

    /// <summary>Runs a command inside the namespace and returns its standard output; throws on a non-zero exit.</summary>
    public string Exec(string file, params string[] args) => Run("ip", ["netns", "exec", Name, file, .. args]);

    /// <summary>A TAP interface inside the namespace, up.</summary>
    public void AddTap(string name)
    {
        Exec("ip", "tuntap", "add", "dev", name, "mode", "tap");
        Exec("ip", "link", "set", name, "up");
    }

    /// <summary>Arguments that run <paramref name="file"/> inside the namespace (for a long-running process).</summary>
    public (string File, string[] Args) Wrap(string file, params string[] args) => ("ip", ["netns", "exec", Name, file, .. args]);

    public void Dispose() => Run("ip", ["netns", "del", Name]); // deleting it deletes its TAPs

    private static string Run(string file, string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        using Process p = Process.Start(info)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000)) throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {p.ExitCode}: {error.Trim()}");
        return output;
    }
}
