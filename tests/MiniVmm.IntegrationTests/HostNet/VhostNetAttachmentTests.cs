using System.Runtime.InteropServices;
using System.Text;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.IntegrationTests.EndToEnd;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Machine.Net;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// `--net tap=...,vhost=` on a real KVM machine and a real TAP, with a fake vhost-net in place of
/// /dev/vhost-net (absent on these machines): the probe guest's DRIVER_OK hands the rings over in
/// addresses of the VMM's real mapping of guest RAM while the VMM answers its control queue; with
/// hash report negotiated `auto` keeps the in-process workers and the guest's frames flow; `on`
/// refuses what the kernel could not carry with one line and leaves no TAP and no fd behind.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class VhostNetAttachmentTests
{
    private static Machine.Machine ProbeMachine(string cmdline, MemoryStream serial) => Machine.Machine.Create(new MachineOptions
    {
        KernelPath = SteerTestFixture.ProbePath,
        CommandLine = cmdline,
        MemoryBytes = 256UL << 20,
        SerialOutput = serial,
        ForwardStdin = false,
        HandleHostSignals = false,
    });

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void The_probes_rings_go_to_vhost_net_in_host_addresses_and_the_VMM_answers_its_control_queue()
    {
        var kernel = new FakeVhostNet();
        var log = new List<string>();
        var serial = new MemoryStream();
        string tap = SteerTestFixture.UniqueTap();
        using (Machine.Machine machine = ProbeMachine("pairs=2 expect=0", serial))
        {
            VirtioNetAttachment nic = VirtioNetAttachment.Create(machine,
                new NetworkOptions { TapName = tap, Queues = 2, HashReport = false, Steering = SteeringRequest.EbpfHybrid, Vhost = VhostRequest.Auto },
                openVhost: kernel.Open, log: line => { lock (log) log.Add(line); });
            Assert.StartsWith("vhost=auto: the data path is chosen when the guest sets DRIVER_OK (vhost-net: yes (", nic.Runtime.Vhost!.Summary);

            int status = machine.Run();
            string output = Encoding.ASCII.GetString(serial.ToArray());
            Assert.True(status == 1, $"probe status {status}:\n{output}\n{string.Join("\n", kernel.Calls)}");
            // The VMM answered VQ_PAIRS_SET and RSS_CONFIG while the kernel held the data rings.
            Assert.Contains("ctrl mq_vq_pairs_set pairs=2 ack=0", output);
            Assert.Contains("net0: data path: vhost-net (vhost=auto: steering ebpf-hybrid keeps packets in the kernel; hash report not negotiated)", log);
            Assert.True(nic.Runtime.KernelCarriesRings);

            // The memory table is the VMM's real mapping: the bytes at a ring's host address are the guest's.
            var ram = machine.MemoryRegions[0];
            string table = $"VHOST_SET_MEM_TABLE {{gpa 0x0, size 0x{256UL << 20:x}, uaddr 0x{ram.HostAddress:x}, flags 0}}";
            Assert.Contains($"fd1 {table}", kernel.Calls);
            var rx0 = nic.Device.Queues[0];
            ulong descHost = ram.HostAddress + rx0.DescriptorTable.Value;
            Assert.Contains(kernel.CallsOf("fd1"), c => c.StartsWith($"VHOST_SET_VRING_ADDR {{index 0, flags 0, desc 0x{descHost:x}, "));
            long guestView = BitConverter.ToInt64(machine.Memory.GetSpan(rx0.DescriptorTable, 8));
            Assert.NotEqual(0, guestView); // the probe's first receive buffer address
            Assert.Equal(guestView, Marshal.ReadInt64((nint)descHost));

            // VQ_PAIRS_SET(2) gave pair 1's rings their TAP queue (fd2 is pair 1's; fd0 was the probe's look).
            Assert.Contains(kernel.CallsOf("fd2"), c => c.StartsWith("VHOST_NET_SET_BACKEND {index 0, fd ") && !c.EndsWith("fd -1}"));
        }
        Assert.Equal(0, kernel.OpenCount);
        TapTestKit.AssertRemoved(tap);
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void With_hash_report_negotiated_auto_keeps_the_in_process_data_path_and_the_guests_frames_flow()
    {
        const int PerQueue = 10;
        var kernel = new FakeVhostNet();
        var log = new List<string>();
        var serial = new MemoryStream();
        string tap = SteerTestFixture.UniqueTap();
        using Machine.Machine machine = ProbeMachine($"pairs=2 expect=0 tx=0:{PerQueue},1:{PerQueue}", serial);
        VirtioNetAttachment nic = VirtioNetAttachment.Create(machine,
            new NetworkOptions { TapName = tap, Queues = 2, Steering = SteeringRequest.EbpfHybrid, Vhost = VhostRequest.Auto },
            openVhost: kernel.Open, log: line => { lock (log) log.Add(line); });

        int status = machine.Run();
        string output = Encoding.ASCII.GetString(serial.ToArray());
        Assert.True(status == 1, $"probe status {status}:\n{output}");
        Assert.False(nic.Runtime.KernelCarriesRings);
        string line = Assert.Single(log, l => l.Contains("data path"));
        Assert.StartsWith("net0: data path: in-process (vhost=auto: negotiated HASH_REPORT, and the kernel cannot report the hash: steering ebpf-hybrid leaves it to the VMM (tun hashing ioctls: no (", line);
        Assert.Equal((ulong)PerQueue, nic.Device.Pairs[0].Counters.TxPackets);
        Assert.Equal((ulong)PerQueue, nic.Device.Pairs[1].Counters.TxPackets);
        Assert.DoesNotContain(kernel.Calls, c => c.Contains("VRING")); // the kernel never got a ring
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Vhost_on_without_the_device_is_one_line_and_nothing_is_left_behind()
    {
        var kernel = new FakeVhostNet { OpenErrno = Errno.ENOENT };
        string tap = SteerTestFixture.UniqueTap();
        using Machine.Machine machine = ProbeMachine("", new MemoryStream());
        var e = Assert.Throws<VhostNetUnavailableException>(() => VirtioNetAttachment.Create(machine,
            new NetworkOptions { TapName = tap, Queues = 2, HashReport = false, Steering = SteeringRequest.Software, Rss = false, Vhost = VhostRequest.On },
            openVhost: kernel.Open));
        Assert.Equal("vhost=on: vhost-net: no (open /dev/vhost-net: ENOENT (2): no vhost-net in this kernel (CONFIG_VHOST_NET, or modprobe vhost_net))", e.Message);
        TapTestKit.AssertRemoved(tap);
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void Vhost_on_with_hash_report_refuses_at_start_and_closes_the_vhost_fds()
    {
        var kernel = new FakeVhostNet();
        string tap = SteerTestFixture.UniqueTap();
        using Machine.Machine machine = ProbeMachine("", new MemoryStream());
        var e = Assert.Throws<VhostNetUnavailableException>(() => VirtioNetAttachment.Create(machine,
            new NetworkOptions { TapName = tap, Queues = 2, Steering = SteeringRequest.EbpfHybrid, Vhost = VhostRequest.On },
            openVhost: kernel.Open));
        Assert.StartsWith("vhost=on: the kernel data path cannot serve HASH_REPORT, and the kernel cannot report the hash", e.Message);
        Assert.EndsWith("give hash-report=off, or vhost=auto to fall back to the in-process data path", e.Message);
        Assert.Equal(0, kernel.OpenCount);
        Assert.Equal(3, kernel.Devices.Count); // the probe's look, then one per pair
        TapTestKit.AssertRemoved(tap);
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void Vhost_on_offers_the_guest_what_the_kernel_carries()
    {
        var kernel = new FakeVhostNet { Features = FakeVhostNet.MainlineFeatures & ~(1UL << 29) }; // a vhost-net without EVENT_IDX
        string tap = SteerTestFixture.UniqueTap();
        using Machine.Machine machine = ProbeMachine("", new MemoryStream());
        VirtioNetAttachment nic = VirtioNetAttachment.Create(machine,
            new NetworkOptions { TapName = tap, Queues = 2, HashReport = false, Steering = SteeringRequest.EbpfHybrid, Vhost = VhostRequest.On },
            openVhost: kernel.Open, log: _ => { });
        ulong offer = nic.Device.DeviceFeatures;
        Assert.Equal(0UL, offer & (1UL << 29));
        Assert.NotEqual(0UL, offer & (1UL << VirtioNetFeature.Rss)); // eBPF keeps RSS steering in the kernel
        Assert.Equal(0UL, offer & (1UL << VirtioNetFeature.HashReport));
        Assert.StartsWith("vhost=on: vhost-net carries the data rings from DRIVER_OK", nic.Runtime.Vhost!.Summary);
    }
}
