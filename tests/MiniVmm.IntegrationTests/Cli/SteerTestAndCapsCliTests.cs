using System.Text.Json;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>`minivmm steer-test --json` and `minivmm caps --json` as a user runs them (out/bin/minivmm).</summary>
public sealed class SteerTestAndCapsCliTests
{
    private static readonly string[] s_backends = ["kernel", "ebpf-kfuncs", "ebpf-hybrid", "software"];

    /// <summary>
    /// With one queue pair every frame must arrive (on queue 0) and match: exit 0, frames &gt; 0,
    /// mismatches 0, and per-queue counts that add up to what was sent.
    /// </summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Steer_test_with_one_queue_passes_and_prints_valid_json()
    {
        string tap = $"mvs{Random.Shared.Next(1_000_000, 9_999_999)}";
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(180), "steer-test", "--json", "--queues", "1", "--tap", tap);
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(tap);

        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        int frames = root.GetProperty("frames").GetInt32();
        int mismatches = root.GetProperty("mismatches").GetInt32();
        string firstMismatches = string.Join("; ", root.GetProperty("mismatch_list").EnumerateArray().Take(5)
            .Select(m => $"{m.GetProperty("id").GetInt64()} {m.GetProperty("frame").GetString()}: {m.GetProperty("problem").GetString()}"));
        Assert.True(r.ExitCode == 0 && mismatches == 0,
            $"steer-test --queues 1: exit {r.ExitCode}, {mismatches} mismatches of {frames} frames ({firstMismatches}); stderr: {r.Stderr}");

        Assert.True(frames >= 1000, $"only {frames} frames sent (default is about 1000)");
        Assert.Equal(1, root.GetProperty("queues").GetInt32());
        Assert.Contains(root.GetProperty("backend").GetString(), s_backends);
        Assert.True(root.GetProperty("passed").GetBoolean());
        JsonElement queue0 = Assert.Single(root.GetProperty("per_queue").EnumerateArray());
        Assert.Equal(0, queue0.GetProperty("queue").GetInt32());
        Assert.Equal(frames, queue0.GetProperty("expected").GetInt32());
        // received counts every frame on the queue, the host's own frames ("foreign") included.
        Assert.Equal(frames + root.GetProperty("foreign").GetInt32(), queue0.GetProperty("received").GetInt32());
        Assert.Equal(frames, root.GetProperty("received").GetInt32());
    }

    /// <summary>
    /// --frames accepts up to 100,000, but a TAP queue holds only tx_queue_len (1000) packets the
    /// guest has not taken yet: a burst larger than that must be paced, not lost and then reported
    /// as "never received" (a steering failure that is not one).
    /// </summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Steer_test_with_more_frames_than_a_tap_queue_holds_loses_none()
    {
        string tap = $"mvs{Random.Shared.Next(1_000_000, 9_999_999)}";
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(180), "steer-test", "--json", "--queues", "1", "--frames", "3000", "--tap", tap);
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(tap);
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        int frames = root.GetProperty("frames").GetInt32(), received = root.GetProperty("received").GetInt32();
        Assert.True(frames >= 3000, $"only {frames} frames sent");
        Assert.True(r.ExitCode == 0 && received == frames && root.GetProperty("mismatches").GetInt32() == 0,
            $"steer-test --queues 1 --frames 3000: exit {r.ExitCode}, {received} of {frames} frames received, {root.GetProperty("mismatches").GetInt32()} mismatches");
    }

    /// <summary>
    /// caps names the back end auto would pick, and it is the first available top down (kernel,
    /// ebpf-kfuncs, ebpf-hybrid, software) by the probe results it prints. Here root may load BPF
    /// (the differential and host tests do), so eBPF steering must be reported available.
    /// </summary>
    [HostFact(HostNeeds.Tap | HostNeeds.Bpf)]
    public void Caps_json_has_a_steering_section_with_the_auto_back_end()
    {
        MinivmmProcess.Result r = MinivmmProcess.Run("caps", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement steering = doc.RootElement.GetProperty("steering");
        bool ioctls = steering.GetProperty("tun_hash_ioctls").GetBoolean();
        bool kfuncs = steering.GetProperty("hash_kfuncs").GetBoolean();
        bool ebpf = steering.GetProperty("ebpf_steering").GetBoolean();
        foreach (string reason in new[] { "tun_hash_ioctls_reason", "hash_kfuncs_reason", "ebpf_steering_reason" })
            Assert.False(string.IsNullOrWhiteSpace(steering.GetProperty(reason).GetString()), $"{reason} is empty");

        Assert.True(ebpf, $"ebpf steering reported unavailable: {steering.GetProperty("ebpf_steering_reason").GetString()}");
        string expected = ioctls ? "kernel" : kfuncs && ebpf ? "ebpf-kfuncs" : ebpf ? "ebpf-hybrid" : "software";
        string auto = steering.GetProperty("auto_backend").GetString()!;
        Assert.Equal(expected, auto);
        Assert.Contains($"steering: {auto} (requested auto", steering.GetProperty("auto_reason").GetString());
        // With hash report off auto skips ebpf-kfuncs (docs/STEERING.md).
        string withoutReport = ioctls ? "kernel" : ebpf ? "ebpf-hybrid" : "software";
        Assert.Equal(withoutReport, steering.GetProperty("auto_backend_without_hash_report").GetString());
    }

    /// <summary>
    /// steer-test --vhost auto with hash report on (the default): on these machines there is no
    /// vhost-net, on a mainline vhost-net host the kernel cannot report the hash; either way the rig
    /// runs on the in-process data path, says so in its data path line, and every frame matches.
    /// </summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Steer_test_with_vhost_auto_and_hash_report_runs_in_process_and_says_why()
    {
        string tap = $"mvs{Random.Shared.Next(1_000_000, 9_999_999)}";
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(180), "steer-test", "--json", "--queues", "2", "--frames", "300", "--vhost", "auto", "--tap", tap);
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(tap);
        Assert.True(r.ExitCode == 0, r.ToString());
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("mismatches").GetInt32());
        string line = Assert.Single(r.StderrLines, l => l.Contains("data path"));
        Assert.StartsWith("minivmm: net0: data path: in-process (vhost=auto: ", line);
    }

    /// <summary>steer-test --vhost on with hash report on cannot be honoured on any mainline host: one line, exit 2, no TAP left.</summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Steer_test_with_vhost_on_and_hash_report_is_bad_input()
    {
        string tap = $"mvs{Random.Shared.Next(1_000_000, 9_999_999)}";
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(60), "steer-test", "--queues", "2", "--vhost", "on", "--tap", tap);
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(tap);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.StartsWith("minivmm: vhost=on: ", Assert.Single(r.StderrLines));
    }

    /// <summary>
    /// caps says whether /dev/vhost-net opens, and why not with the open's errno; the test opens the
    /// device itself to know which answer is right (these machines: ENOENT, CONFIG_VHOST_NET is off).
    /// The data path `vhost=auto` would take follows: in-process without the device, and with it
    /// in-process too once hash report is negotiated on a kernel that cannot report the hash.
    /// </summary>
    [HostFact(HostNeeds.Tap | HostNeeds.Bpf)]
    public void Caps_json_reports_vhost_net_and_the_data_path_auto_would_take()
    {
        string? openError = null;
        try
        {
            using var device = new FileStream("/dev/vhost-net", FileMode.Open, FileAccess.ReadWrite);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            openError = e.Message;
        }
        MinivmmProcess.Result r = MinivmmProcess.Run("caps", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement vhost = doc.RootElement.GetProperty("vhost_net");
        string reason = vhost.GetProperty("reason").GetString()!;
        string withHash = vhost.GetProperty("auto_with_hash_report").GetString()!;
        string withoutHash = vhost.GetProperty("auto_without_hash_report").GetString()!;
        Assert.True(vhost.GetProperty("available").GetBoolean() == (openError is null), $"caps: {reason}; the test's own open: {openError ?? "works"}");
        if (openError is not null)
        {
            Assert.StartsWith("open /dev/vhost-net: E", reason);
            if (!File.Exists("/dev/vhost-net")) Assert.Contains("ENOENT (2): no vhost-net in this kernel", reason);
            Assert.Equal($"data path: in-process (vhost=auto: vhost-net: no ({reason}))", withHash);
            Assert.Equal(withHash, withoutHash);
        }
        else
        {
            Assert.Matches("^0x[0-9a-f]+$", vhost.GetProperty("features").GetString()!);
            Assert.StartsWith("data path: vhost-net (vhost=auto: steering ", withoutHash);
            bool ioctls = doc.RootElement.GetProperty("steering").GetProperty("tun_hash_ioctls").GetBoolean();
            if (!ioctls) Assert.StartsWith("data path: in-process (vhost=auto: negotiated HASH_REPORT", withHash);
        }
    }
}
