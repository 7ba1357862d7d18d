using System.Diagnostics;
using System.Text.Json;
using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.Testing.Uml;

namespace MiniVmm.Benchmarks.Uml;

/// <summary>
/// One boot of the `uml` benchmark inside the benchmark's namespace: a TAP there with the host
/// address (made by `minivmm vhost-user-net` run in the namespace, or by us for UML's vec0), an
/// iperf3 server bound to that address, and a guest that runs `iperf3 -c` and `iperf3 -c -R`
/// for the given seconds, JSON to files in /tmp (the guest's root is the host's / through hostfs).
/// Everything it started is stopped, and its TAP and files removed, whatever happened.
/// </summary>
public sealed class UmlIperfRun(NetworkNamespace ns, string minivmm, int seconds)
{
    public const string HostAddress = "10.78.0.1", GuestAddress = "10.78.0.2";

    private readonly List<Process> _processes = [];

    /// <summary>Kills whatever this run still has running (from the interruption handler).</summary>
    public void Kill()
    {
        lock (_processes)
        {
            foreach (Process p in _processes)
            {
                try { if (!p.HasExited) p.Kill(); } catch (InvalidOperationException) { } // it had exited
            }
        }
    }

    public UmlIperfResult Measure(UmlTransport transport, Action<string> log)
    {
        string id = Guid.NewGuid().ToString("N")[..10], tmp = Path.GetTempPath();
        string tap = "mvb-u" + id[..6];
        string vhost = Path.Combine(tmp, $"mvb-{id}.sock"), api = Path.Combine(tmp, $"mvb-{id}.ctl");
        string up = Path.Combine(tmp, $"mvb-{id}-up.json"), down = Path.Combine(tmp, $"mvb-{id}-down.json");
        Process? backEnd = null, server = null;
        try
        {
            List<string> backEndLog = [];
            if (transport.VhostUser)
            {
                backEnd = Start(ns.Wrap(minivmm, "vhost-user-net", "--socket", vhost, "--net", $"tap={tap},queues={transport.Queues}", "--api-socket", api));
                if (!WaitForLine(backEnd.StandardError, "listening on", backEndLog)) return UmlIperfResult.Failed(transport, "the back end did not listen: " + string.Join(" | ", backEndLog));
                _ = backEnd.StandardError.ReadToEndAsync(); // keep its pipe drained
            }
            else
            {
                ns.AddTap(tap);
            }
            ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", tap);
            ns.Exec("ip", "link", "set", tap, "up");
            server = Iperf3Server.Start(ns, HostAddress, TimeSpan.FromSeconds(30));
            lock (_processes) _processes.Add(server);

            using var guest = UmlGuest.Start(new UmlGuestOptions
            {
                Script = Script(transport, up, down),
                KernelArguments = [transport.VhostUser ? $"virtio_uml.device={vhost}:1" : $"vec0:transport=tap,ifname={tap}"],
                Namespace = ns,
            });
            int status = guest.WaitForExit(TimeSpan.FromSeconds(2 * seconds + 90));
            if (status != 0) return UmlIperfResult.Failed(transport, $"the guest's script exited {status}: {string.Join(" | ", guest.Lines.Where(l => l.StartsWith("bench:", StringComparison.Ordinal)))}");
            if (transport.VhostUser) log($"  {transport.Label}: {PerPair(api)}");
            (double upRate, long upRetransmits) = Read(up);
            (double downRate, long downRetransmits) = Read(down);
            return new UmlIperfResult(transport, upRate, upRetransmits, downRate, downRetransmits, null);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException or JsonException or KeyNotFoundException or IOException)
        {
            return UmlIperfResult.Failed(transport, e.Message);
        }
        finally
        {
            if (backEnd is { HasExited: false })
            {
                // SIGTERM: the back end removes its socket and TAP itself (exit 143).
                Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
                backEnd.WaitForExit(10_000);
            }
            Kill();
            foreach (Process? p in new[] { server, backEnd }) { p?.WaitForExit(10_000); p?.Dispose(); }
            lock (_processes) _processes.Clear();
            if (!transport.VhostUser && ns.Exec("ip", "-o", "link", "show").Contains(tap, StringComparison.Ordinal)) ns.Exec("ip", "link", "del", tap);
            foreach (string f in new[] { vhost, api, up, down }) File.Delete(f);
        }
    }

    /// <summary>
    /// The guest's part. With several queues the 6.1 driver must be told to use them: `-L` for the
    /// pairs, and RSS with a table over all of them (its default table, made at probe with one pair,
    /// is all zeros and `-L` does not re-send it; docs/VHOST-USER.md, "Seen on the wire").
    /// </summary>
    private string Script(UmlTransport t, string up, string down)
    {
        string multiQueue = t.Queues > 1 ? $"ethtool -L eth0 combined {t.Queues} && ethtool -K eth0 rxhash on && ethtool -X eth0 equal {t.Queues} || exit 3" : "";
        return $"""
            ip addr add {GuestAddress}/24 dev {t.GuestInterface}
            ip link set {t.GuestInterface} up
            {multiQueue}
            iperf3 -c {HostAddress} -t {seconds} -P {t.Streams} -J > {up}
            echo "bench: up rc=$?"
            iperf3 -c {HostAddress} -t {seconds} -P {t.Streams} -R -J > {down}
            echo "bench: down rc=$?"
            """;
    }

    /// <summary>The receiver's rate (end.sum_received.bits_per_second) and the sender's retransmits (end.sum_sent.retransmits).</summary>
    private static (double BitsPerSecond, long Retransmits) Read(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        if (doc.RootElement.TryGetProperty("error", out JsonElement error)) throw new InvalidOperationException($"iperf3: {error}");
        JsonElement end = doc.RootElement.GetProperty("end");
        double rate = end.GetProperty("sum_received").GetProperty("bits_per_second").GetDouble();
        long retransmits = end.GetProperty("sum_sent").TryGetProperty("retransmits", out JsonElement r) ? r.GetInt64() : -1;
        return (rate, retransmits);
    }

    /// <summary>The back end's packets per queue pair (`minivmm ctl counters`): which queues carried the traffic.</summary>
    private string PerPair(string api)
    {
        using Process ctl = Start((minivmm, ["ctl", api, "counters", "--json"]));
        string line = ctl.StandardOutput.ReadToEnd();
        ctl.WaitForExit();
        CountersInfo counters = ControlClient.ParseAnswer(line.Trim(), api).Counters ?? throw new InvalidOperationException($"ctl counters: {line}");
        return "packets per pair rx " + string.Join('/', counters.Pairs.Select(p => p.Rx.Packets))
            + ", tx " + string.Join('/', counters.Pairs.Select(p => p.Tx.Packets))
            + ", dropped " + counters.Pairs.Sum(p => (long)(p.Rx.Dropped + p.Tx.Dropped));
    }

    private Process Start((string File, string[] Args) command)
    {
        var info = new ProcessStartInfo(command.File) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in command.Args) info.ArgumentList.Add(a);
        Process p = Process.Start(info)!;
        lock (_processes) _processes.Add(p);
        return p;
    }

    private static bool WaitForLine(StreamReader reader, string text, List<string> seen)
    {
        var wait = Task.Run(() =>
        {
            string? line;
            while ((line = reader.ReadLine()) is not null)
            {
                seen.Add(line);
                if (line.Contains(text, StringComparison.Ordinal)) return true;
            }
            return false;
        });
        return wait.Wait(TimeSpan.FromSeconds(30)) && wait.Result;
    }
}
