using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.VhostNet;

/// <summary>
/// The ring hand-over between the device's runtime and the kernel's vhost-net, against a fake that
/// records the ioctls (these machines have no /dev/vhost-net): at DRIVER_OK the data rings go to the
/// kernel with the queue's kick eventfd and its vector's call eventfd and no pair worker starts, the
/// control queue stays with the VMM (VQ_PAIRS_SET becomes ring enables), stopping takes each ring's
/// index back so the queue resumes there, and a guest that negotiates what the kernel cannot serve
/// gets the in-process workers with the line that says why.
/// </summary>
public sealed class VhostNetDataPathTests : IDisposable
{
    private const ulong HashReportBit = 1UL << VirtioNetFeature.HashReport;

    private readonly FakeVhostNet _kernel = new();
    private readonly EventFd[] _taps = [new(), new()];
    private readonly List<string> _log = [];
    private readonly List<int> _headerSizes = [];

    public void Dispose()
    {
        foreach (EventFd t in _taps) t.Dispose();
    }

    /// <summary>Features a guest negotiates here: VERSION_1, EVENT_IDX, MRG_RXBUF, MAC, STATUS, CTRL_VQ, MQ (and what the test adds).</summary>
    private static ulong Features(params int[] extra) => NetTestRig.BaseFeatures([VirtioFeature.EventIdx, VirtioNetFeature.MrgRxbuf, .. extra]);

    private RuntimeTestRig Rig(SteeringBackendKind steering = SteeringBackendKind.EbpfHybrid, int tapHeaderBytes = 12)
    {
        VhostNetBackend backend = VhostNetBackend.Open([.. _taps.Select(t => t.Handle)], _kernel.Open);
        var conditions = new VhostNetConditions(VhostRequest.Auto, ProbeResult.Yes("fake vhost-net"), backend.Features, steering, new FakeSteeringCapabilities());
        var vhost = new VhostNetDataPath("test0", conditions, backend, tapHeaderBytes, _headerSizes.Add, line => { lock (_log) _log.Add(line); });
        _kernel.ClearCalls();
        return new RuntimeTestRig(new FakeNetBackend(2), new VirtioNetOptions { QueuePairs = 2 }, vhost: vhost);
    }

    private string Tap(int pair) => _taps[pair].Handle.Fd.ToString();

    [Fact]
    public void At_DRIVER_OK_the_data_rings_go_to_the_kernel_and_no_pair_worker_starts()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features());

        Assert.True(rig.Runtime.KernelCarriesRings);
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        Assert.True(rig.Runtime.ControlWorkerRunning); // the control queue is the VMM's
        Assert.Equal(["test0: data path: vhost-net (vhost=auto: steering ebpf-hybrid keeps packets in the kernel; hash report not negotiated)"], _log);

        const ulong H = RuntimeTestRig.HostBase;
        var expected = new List<string>
        {
            "fd0 VHOST_SET_FEATURES 0x120008000", "fd1 VHOST_SET_FEATURES 0x120008000",
            "fd0 VHOST_SET_MEM_TABLE {gpa 0x0, size 0x400000, uaddr 0x7f5500000000, flags 0}",
            "fd1 VHOST_SET_MEM_TABLE {gpa 0x0, size 0x400000, uaddr 0x7f5500000000, flags 0}",
        };
        for (int q = 0; q < 4; q++)
        {
            string fd = $"fd{q / 2}";
            int ring = q % 2;
            VirtqueueDriver queue = rig.Queues[q];
            expected.AddRange(
            [
                $"{fd} VHOST_SET_VRING_NUM {{index {ring}, num 64}}",
                $"{fd} VHOST_SET_VRING_BASE {{index {ring}, num 0}}",
                $"{fd} VHOST_SET_VRING_ADDR {{index {ring}, flags 0, desc 0x{H + queue.Desc.Value:x}, used 0x{H + queue.Used.Value:x}, avail 0x{H + queue.Avail.Value:x}, log 0x0}}",
                $"{fd} VHOST_SET_VRING_KICK {{index {ring}, fd {rig.Kick(q).Fd}}}",
                $"{fd} VHOST_SET_VRING_CALL {{index {ring}, fd {rig.CallOfVector(q)!.Fd}}}", // the rig gives queue q vector q
                $"{fd} VHOST_NET_SET_BACKEND {{index {ring}, fd {Tap(q / 2)}}}",
            ]);
        }
        // §5.1.6.5.5: after reset only the first pair receives; pair 1's rings lose their TAP queue until VQ_PAIRS_SET.
        expected.AddRange(["fd1 VHOST_NET_SET_BACKEND {index 0, fd -1}", "fd1 VHOST_NET_SET_BACKEND {index 1, fd -1}"]);
        Assert.Equal(expected, _kernel.Calls);
    }

    [Fact]
    public void VQ_PAIRS_SET_is_answered_by_the_VMM_and_becomes_tap_queues_and_ring_enables()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features());
        _kernel.ClearCalls();

        // §5.1.6.5.5: "The device MUST use ... the first virtqueue_pairs receive virtqueues"; the command is acknowledged OK.
        Assert.Equal(0, rig.SendControl(VirtioNetCommands.PairsSet(2)));
        Assert.Equal(2, rig.Backend.Applied[^1].Pairs); // the TAP attaches its second queue
        Assert.Equal([$"fd1 VHOST_NET_SET_BACKEND {{index 0, fd {Tap(1)}}}", $"fd1 VHOST_NET_SET_BACKEND {{index 1, fd {Tap(1)}}}"], _kernel.Calls);

        _kernel.ClearCalls();
        Assert.Equal(0, rig.SendControl(VirtioNetCommands.PairsSet(1)));
        Assert.Equal(["fd1 VHOST_NET_SET_BACKEND {index 0, fd -1}", "fd1 VHOST_NET_SET_BACKEND {index 1, fd -1}"], _kernel.Calls);
    }

    [Fact]
    public void A_reset_takes_every_ring_back_and_keeps_the_fds_for_the_next_DRIVER_OK()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features());
        _kernel.ClearCalls();
        rig.Reset();
        Assert.Equal(
        [
            "fd0 VHOST_NET_SET_BACKEND {index 0, fd -1}", "fd0 VHOST_GET_VRING_BASE 0",
            "fd0 VHOST_NET_SET_BACKEND {index 1, fd -1}", "fd0 VHOST_GET_VRING_BASE 1",
            "fd1 VHOST_NET_SET_BACKEND {index 0, fd -1}", "fd1 VHOST_GET_VRING_BASE 0",
            "fd1 VHOST_NET_SET_BACKEND {index 1, fd -1}", "fd1 VHOST_GET_VRING_BASE 1",
        ], _kernel.Calls);
        Assert.False(rig.Runtime.Vhost!.RingsWithKernel);
        Assert.Equal(2, _kernel.OpenCount);

        _kernel.ClearCalls();
        rig.Start(Features());
        Assert.Contains("fd0 VHOST_SET_VRING_NUM {index 0, num 64}", _kernel.Calls);
        Assert.Single(_log); // the same choice again: one line, not one per activation
    }

    [Fact]
    public void Bus_master_off_and_on_resumes_each_ring_where_the_kernel_stopped()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features());
        // The kernel took two chains from pair 0's receive ring and used them: used->idx is 2 in guest memory.
        _kernel.Consumed["fd0 ring0"] = 2;
        rig.Memory.WriteU16(rig.Rx(0).Used + 2, 2);
        _kernel.ClearCalls();

        rig.Transport.WriteConfig(0x04, 2, 0x0002); // Bus Master Enable off: no DMA, the kernel must let go
        Assert.Contains("fd0 VHOST_GET_VRING_BASE 0", _kernel.Calls);
        Assert.False(rig.Runtime.Vhost!.RingsWithKernel);
        Assert.Equal(2, rig.Device.Queues[0].NextAvail);

        _kernel.ClearCalls();
        rig.Transport.WriteConfig(0x04, 2, 0x0006); // back on: the ring resumes at the kernel's last_avail_idx
        Assert.Contains("fd0 VHOST_SET_VRING_BASE {index 0, num 2}", _kernel.Calls);
        Assert.Contains("fd0 VHOST_SET_VRING_BASE {index 1, num 0}", _kernel.Calls);
        Assert.True(rig.Runtime.Vhost.RingsWithKernel);
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
    }

    [Fact]
    public void Hash_report_negotiated_on_a_mainline_kernel_keeps_the_in_process_workers_and_says_why()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features(VirtioNetFeature.HashReport));

        Assert.False(rig.Runtime.KernelCarriesRings);
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        Assert.Empty(_kernel.Calls); // the kernel was never told anything
        string line = Assert.Single(_log);
        Assert.StartsWith("test0: data path: in-process (vhost=auto: negotiated HASH_REPORT, and the kernel cannot report the hash: steering ebpf-hybrid leaves it to the VMM", line);
        Assert.Empty(_headerSizes); // the TAP keeps the header its steering back end set
    }

    [Fact]
    public void The_choice_is_made_again_at_every_DRIVER_OK_from_what_was_negotiated()
    {
        using RuntimeTestRig rig = Rig();
        rig.Start(Features(VirtioNetFeature.HashReport));
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        rig.Reset();
        rig.Start(Features());
        Assert.True(rig.Runtime.KernelCarriesRings);
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        Assert.Equal(2, _log.Count);
        Assert.StartsWith("test0: data path: vhost-net (", _log[1]);
    }

    [Fact]
    public void The_taps_vnet_header_is_set_to_what_vhost_net_passes_and_given_back_for_in_process()
    {
        // Kernel steering keeps the TAP at 20-byte headers for the hash; a guest without HASH_REPORT uses 12.
        using RuntimeTestRig rig = Rig(SteeringBackendKind.Kernel, tapHeaderBytes: 20);
        rig.Start(Features());
        Assert.True(rig.Runtime.KernelCarriesRings);
        Assert.Equal([12], _headerSizes);

        rig.Reset();
        rig.Start(Features(VirtioNetFeature.HashReport)); // this (mainline) vhost-net cannot pass the 20-byte header
        Assert.False(rig.Runtime.KernelCarriesRings);
        Assert.Equal([12, 20], _headerSizes);
    }

    [Fact]
    public void With_a_vhost_net_that_passes_the_hash_the_kernel_reports_it_on_20_byte_headers()
    {
        _kernel.Features |= HashReportBit;
        using RuntimeTestRig rig = Rig(SteeringBackendKind.Kernel, tapHeaderBytes: 20);
        rig.Start(Features(VirtioNetFeature.HashReport));
        Assert.True(rig.Runtime.KernelCarriesRings);
        Assert.Empty(_headerSizes); // already 20
        Assert.Contains($"fd0 VHOST_SET_FEATURES 0x{0x120008000UL | HashReportBit:x}", _kernel.Calls);
    }

    [Fact]
    public void A_kernel_that_refuses_the_set_up_leaves_the_in_process_workers_running()
    {
        _kernel.Fail = ("VHOST_SET_MEM_TABLE", Errno.EFAULT);
        using RuntimeTestRig rig = Rig();
        rig.Start(Features());
        Assert.False(rig.Runtime.KernelCarriesRings);
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        Assert.Equal(["test0: data path: in-process (vhost=auto: vhost-net refused the set-up: vhost-net pair 0: VHOST_SET_MEM_TABLE: EFAULT (14))"], _log);
    }

    [Fact]
    public void A_ring_the_kernel_refuses_is_a_host_failure_of_the_device()
    {
        _kernel.Fail = ("VHOST_SET_VRING_ADDR", Errno.EFAULT);
        using RuntimeTestRig rig = Rig();
        rig.Start(Features(), expectActive: false);
        // §2.1.2: DEVICE_NEEDS_RESET, with the reason on the log; nothing serves the queues until the guest resets.
        Assert.True(rig.NeedsReset);
        Assert.Contains(rig.Log, l => l == "test0: vhost-net refused a ring: vhost-net pair 0: VHOST_SET_VRING_ADDR: EFAULT (14)");
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        Assert.False(rig.Runtime.ControlWorkerRunning);
        Assert.False(rig.Runtime.Vhost!.RingsWithKernel);
    }

    [Fact]
    public void Disposing_the_runtime_takes_the_rings_back_then_closes_every_fd()
    {
        RuntimeTestRig rig = Rig();
        rig.Start(Features());
        _kernel.ClearCalls();
        rig.Dispose();
        IReadOnlyList<string> calls = _kernel.Calls;
        Assert.Equal(0, _kernel.OpenCount);
        Assert.True(calls.ToList().IndexOf("fd0 VHOST_GET_VRING_BASE 0") < calls.ToList().IndexOf("fd0 close"));
    }
}
