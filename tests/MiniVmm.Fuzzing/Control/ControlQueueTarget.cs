using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Testing;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Fuzzing.Control;

/// <summary>
/// Control-queue commands of any class and command, gathered into descriptors any way
/// (<see cref="ControlCase"/>), through <see cref="VirtioNetDevice.ProcessControlQueue"/> with
/// tests/MiniVmm.Testing's <see cref="FakeNetDeviceHost"/>. A rejected command changes nothing (the
/// steering state, the host's calls); an accepted one reaches the host exactly once, and what the host
/// got is what was sent (<see cref="ControlModel"/> decodes the command independently); the answer is
/// the model's; only the ack byte and the used ring change in guest memory.
/// </summary>
public sealed class ControlQueueTarget : IFuzzTarget
{
    private const int MemoryBytes = 1 << 16;
    private const ulong Desc = 0x0000, Avail = 0x0400, Used = 0x0800, RxRings = 0x1000, Buffers = 0x2000, Indirect = 0xF000;

    private readonly ArrayGuestMemory _memory = new(MemoryBytes);
    private readonly byte[] _before = new byte[MemoryBytes];
    private readonly Dictionary<int, (VirtioNetDevice Device, FakeNetDeviceHost Host)> _devices = [];

    public OutcomeCounts Outcomes { get; } = new();

    public string Name => "control";

    public string Oracle => "a rejected command changes nothing (steering state, host calls); an accepted one reaches the host once and round-trips; the answer is an independent model's; only the ack byte and used ring change";

    public void Run(ReadOnlySpan<byte> input)
    {
        ControlCase c = ControlCase.Read(input);
        (VirtioNetDevice device, FakeNetDeviceHost host) = Device(c.Pairs);
        Span<byte> image = _memory.GetSpan(new GuestAddress(0), MemoryBytes);
        image.Clear();
        device.Reset();
        foreach (SplitQueue q in device.Queues) q.Reset();
        host.FailSteering = null;

        int controlIndex = c.Mq || c.Rss ? 2 * c.Pairs : 2; // §5.1.2
        SplitQueue control = device.Queues[controlIndex];
        control.TrySetSize(Math.Min(c.QueueSize, control.MaxSize));
        Enable(control, Desc, Avail, Used);
        for (int k = 0; k < c.Pairs; k++)
        {
            if (c.RxEnabled(k) && 2 * k != controlIndex) Enable(device.Queues[2 * k], RxRings + 0x40UL * (ulong)k, RxRings + 0x40UL * (ulong)k + 0x10, RxRings + 0x40UL * (ulong)k + 0x20, size: 1);
        }
        device.Activate(Features(c));
        host.Events.Clear();
        host.Applied.Clear();

        var driver = new VirtqueueDriver(_memory, control.Size, new GuestAddress(Desc), new GuestAddress(Avail), new GuestAddress(Used));
        foreach (ControlCommand command in c.Commands)
        {
            GuestAddress ack = Post(driver, command, c.IndirectDesc, out ushort head);
            image.CopyTo(_before);
            SteeringState before = device.Steering;
            int events = host.Events.Count, applied = host.Applied.Count;
            ushort nextUsed = control.NextUsed;
            host.FailSteering = command.HostFails ? "the fuzz host refuses" : null;

            ControlOutcome outcome = device.ProcessControlQueue(_memory);

            OracleViolationException.Check(host.Events.Count == events, () => $"a control command caused lifecycle calls: {string.Join(", ", host.Events.Skip(events))}");
            if (ExpectedFailure(command, c) is VirtioError reason)
            {
                OracleViolationException.Check(outcome.Failure?.Reason == reason, () => $"a chain that breaks {reason} gave {outcome}");
                Unchanged(device, host, before, applied, "a broken chain");
                Outcomes.Add($"failed {reason}");
                return; // the transport now sets DEVICE_NEEDS_RESET
            }
            OracleViolationException.Check(outcome.Failure is null && outcome.Answered == 1, () => $"a well-formed chain gave {outcome}");
            CheckMemory(_before, image, ack, control.Size);
            int element = (int)Used + 4 + 8 * (nextUsed & (control.Size - 1));
            OracleViolationException.Check(BinaryPrimitives.ReadUInt32LittleEndian(image[element..]) == head && BinaryPrimitives.ReadUInt32LittleEndian(image[(element + 4)..]) == 1,
                () => $"used element for head {head} is {Convert.ToHexString(_before.AsSpan(element, 8))} -> {Convert.ToHexString(_memory.GetSpan(new GuestAddress((ulong)element), 8))}");

            byte answer = image[(int)ack.Value];
            SteeringState? expected = ControlModel.Expect(command.Bytes, c, before);
            if (expected is not null && !command.HostFails)
            {
                OracleViolationException.Check(answer == 0, () => $"device answered {answer} to a valid command {Convert.ToHexString(command.Bytes)}; the model expects {expected}");
                OracleViolationException.Check(host.Applied.Count == applied + 1 && ReferenceEquals(host.Applied[^1], device.Steering),
                    () => $"an accepted command reached the host {host.Applied.Count - applied} times, or the state in force is not what the host got");
                SteeringState got = device.Steering;
                OracleViolationException.Check(got == expected && got.Configuration?.MaxTxVq == expected.Configuration?.MaxTxVq,
                    () => $"command {Convert.ToHexString(command.Bytes)}: the host got {Describe(got)}, the command says {Describe(expected)}");
                Outcomes.Add($"accepted {command.Bytes[1]}");
            }
            else
            {
                OracleViolationException.Check(answer == 1, () => $"device answered {answer} to {(expected is null ? "an invalid command" : "a command the host refused")} {Convert.ToHexString(command.Bytes)}");
                Unchanged(device, host, before, applied, "a rejected command");
                Outcomes.Add(expected is null ? "rejected" : "host refused");
            }
        }
    }

    public void Dispose()
    {
    }

    private (VirtioNetDevice, FakeNetDeviceHost) Device(int pairs)
    {
        if (!_devices.TryGetValue(pairs, out var entry))
        {
            var host = new FakeNetDeviceHost();
            entry = (new VirtioNetDevice(new VirtioNetOptions { QueuePairs = pairs, QueueSize = 64 }, host), host);
            _devices[pairs] = entry;
        }
        return entry;
    }

    private void Enable(SplitQueue queue, ulong desc, ulong avail, ulong used, ushort size = 0)
    {
        if (size != 0) queue.TrySetSize(size);
        queue.DescriptorTable = new GuestAddress(desc);
        queue.DriverArea = new GuestAddress(avail);
        queue.DeviceArea = new GuestAddress(used);
        string? error = queue.TryEnable(_memory);
        if (error is not null) throw new InvalidOperationException($"the fuzz layout is wrong: {error}");
    }

    private static ulong Features(ControlCase c)
    {
        ulong f = VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioNetFeature.CtrlVq);
        if (c.Mq) f |= VirtioFeature.Bit(VirtioNetFeature.Mq);
        if (c.Rss) f |= VirtioFeature.Bit(VirtioNetFeature.Rss);
        if (c.HashReport) f |= VirtioFeature.Bit(VirtioNetFeature.HashReport);
        if (c.IndirectDesc) f |= VirtioFeature.Bit(VirtioFeature.IndirectDesc);
        if (c.EventIdx) f |= VirtioFeature.Bit(VirtioFeature.EventIdx);
        return f;
    }

    /// <summary>Writes the command's pieces and ack room and publishes the chain; returns where the ack byte goes.</summary>
    private GuestAddress Post(VirtqueueDriver driver, ControlCommand command, bool indirect, out ushort head)
    {
        var buffers = new List<(GuestAddress, uint, bool)>();
        ulong next = Buffers;
        if (command.Ack == AckLayout.EmptyWritableFirst) buffers.Add((new GuestAddress(next), 0, true));
        int[] cuts = [0, .. command.Cuts.Select(x => x % (command.Bytes.Length + 1)).Order(), command.Bytes.Length];
        for (int i = 0; i + 1 < cuts.Length; i++)
        {
            int length = cuts[i + 1] - cuts[i];
            _memory.Write(new GuestAddress(next), command.Bytes.AsSpan(cuts[i], length));
            buffers.Add((new GuestAddress(next), (uint)length, false));
            next += (ulong)length + 8;
        }
        var ack = new GuestAddress(next);
        _memory.Write(ack, [0xAA, 0xAA, 0xAA, 0xAA]);
        switch (command.Ack)
        {
            case AckLayout.OneByte or AckLayout.EmptyWritableFirst: buffers.Add((ack, 1, true)); break;
            case AckLayout.FourBytes: buffers.Add((ack, 4, true)); break;
            case AckLayout.EmptyThenOneByte: buffers.Add((ack, 0, true)); buffers.Add((ack, 1, true)); break;
            case AckLayout.ReadableAfter: buffers.Add((ack, 1, true)); buffers.Add((new GuestAddress(next + 8), 4, false)); break;
            case AckLayout.None: break;
        }
        // A chain longer than the queue cannot be posted directly; it goes indirect (and fails without the feature).
        bool useIndirect = command.Indirect || buffers.Count > driver.Size;
        head = useIndirect ? driver.AddIndirectChain(new GuestAddress(Indirect), [.. buffers]) : driver.AddChain([.. buffers]);
        return ack;
    }

    /// <summary>The chain-level failure a device must report for this command's layout, if any (virtio 1.2 §2.7.4.2, §2.7.5.3, §5.1.6.5).</summary>
    private static VirtioError? ExpectedFailure(ControlCommand command, ControlCase c)
    {
        int pieces = command.Cuts.Length + 1 + command.Ack switch { AckLayout.None => 0, AckLayout.OneByte or AckLayout.FourBytes => 1, _ => 2 };
        bool indirect = command.Indirect || pieces > c.QueueSize;
        if (indirect && !c.IndirectDesc) return VirtioError.BadIndirectDescriptor;
        // Walking in order, the first rule broken wins: too long at descriptor QueueSize, the layout at
        // the first readable one after a writable one (the length check comes first at the same descriptor).
        int tooLongAt = pieces > c.QueueSize ? c.QueueSize : int.MaxValue;
        int layoutAt = command.Ack switch { AckLayout.EmptyWritableFirst => 1, AckLayout.ReadableAfter => pieces - 1, _ => int.MaxValue };
        if (tooLongAt <= layoutAt && tooLongAt != int.MaxValue) return VirtioError.ChainTooLong;
        if (layoutAt != int.MaxValue) return VirtioError.BadChainLayout;
        if (command.Ack == AckLayout.None) return VirtioError.BadChainForQueue;
        return null;
    }

    private static void Unchanged(VirtioNetDevice device, FakeNetDeviceHost host, SteeringState before, int applied, string what)
    {
        OracleViolationException.Check(ReferenceEquals(device.Steering, before) && host.Applied.Count == applied,
            () => $"{what} changed the steering state ({Describe(before)} -> {Describe(device.Steering)}) or reached the host ({host.Applied.Count - applied} calls)");
    }

    private static void CheckMemory(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after, GuestAddress ack, ushort size)
    {
        var used = new Queues.ByteRange(Used, 6UL + 8UL * size);
        int i = 0;
        while (true)
        {
            i += before[i..].CommonPrefixLength(after[i..]);
            if (i >= before.Length) return;
            OracleViolationException.Check((ulong)i == ack.Value || used.Contains((ulong)i), () => $"the device changed byte 0x{i:x}, neither the ack byte nor the used ring");
            i++;
        }
    }

    private static string Describe(SteeringState? s) => s is null ? "nothing" : s.Configuration is null ? $"pairs {s.Pairs}, no hashing, generation {s.Generation}"
        : $"pairs {s.Pairs}, types {s.Configuration.HashTypes}, key {Convert.ToHexString(s.Configuration.Key)}, table [{string.Join(",", s.Configuration.IndirectionTable)}], unclassified {s.Configuration.UnclassifiedQueue}, steering {s.Configuration.SteeringEnabled}, max_tx_vq {s.Configuration.MaxTxVq}, generation {s.Generation}";
}
