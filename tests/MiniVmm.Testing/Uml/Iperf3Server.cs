using System.Diagnostics;

namespace MiniVmm.Testing.Uml;

/// <summary>`iperf3 -s` inside a namespace, bound to one of its addresses, returned once it listens.</summary>
public static class Iperf3Server
{
    /// <summary>
    /// Starts `iperf3 -s -B <paramref name="address"/> -p <paramref name="port"/> --forceflush` (it serves clients one after the
    /// other until killed) and waits for its "Server listening" line; throws with its stderr otherwise.
    /// The caller kills it (Process.Kill: `ip netns exec` execs iperf3, so this is iperf3 itself).
    /// </summary>
    public static Process Start(NetworkNamespace ns, string address, TimeSpan timeout, int port = 5201)
    {
        (string file, string[] args) = ns.Wrap("iperf3", "-s", "-B", address, "-p", $"{port}", "--forceflush");
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        Process server = Process.Start(info)!;
        var listening = Task.Run(() =>
        {
            string? line;
            while ((line = server.StandardOutput.ReadLine()) is not null && !line.Contains("Server listening", StringComparison.Ordinal)) { }
            if (line is not null) _ = server.StandardOutput.ReadToEndAsync(); // keep its pipe drained
            return line is not null;
        });
        if (listening.Wait(timeout) && listening.Result) return server;
        if (!server.HasExited) server.Kill();
        server.WaitForExit();
        string error = server.StandardError.ReadToEnd().Trim();
        server.Dispose();
        throw new InvalidOperationException($"iperf3 -s -B {address} did not listen within {timeout.TotalSeconds} s: {error}");
    }
}
