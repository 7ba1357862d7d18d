using MiniVmm.Memory;
using MiniVmm.VhostUser;

namespace MiniVmm.Fuzzing.VhostUser;

/// <summary>
/// The vhost-user target's device: it plays the worker side and checks the session keeps the
/// contract of <see cref="IVhostUserDevice"/>: activation before any ring, once per activation; a
/// ring started only once until stopped, with every part inside one region of the activation's memory
/// (read through it here, as a worker would); memory and kick descriptors still there for as long as a
/// ring runs (<see cref="CheckRunningRings"/>, after every message); config windows inside the config space.
/// </summary>
public sealed class ContractCheckingDevice : IVhostUserDevice
{
    public const int Pairs = 2;

    private readonly Dictionary<int, VhostRingSetup> _running = [];
    private readonly byte[] _config = new byte[24];
    private IGuestMemory? _memory;

    public ulong DeviceFeatures => Testing.VhostUser.FakeVhostUserDevice.CaptureFeatures;

    public int QueueCount => 2 * Pairs + 1;

    public int QueuePairs => Pairs;

    public int ConfigSizeBytes => _config.Length;

    public bool IsActive => _memory is not null;

    public int RunningRings => _running.Count;

    /// <summary>
    /// The first broken rule, if any. Recorded as well as thrown, because the session turns what a
    /// device throws into a refused ring (that is its contract); the target reads it after every message.
    /// </summary>
    public string? Violation { get; private set; }

#pragma warning disable CS0067 // the fuzz device never changes its config space on its own
    public event Action? ConfigChanged;
#pragma warning restore CS0067

    public void Clear()
    {
        Violation = null;
        _running.Clear();
        _memory = null;
        Array.Clear(_config);
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        CheckWindow(offset, data.Length);
        _config.AsSpan(offset, data.Length).CopyTo(data);
    }

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        CheckWindow(offset, data.Length);
        data.CopyTo(_config.AsSpan(offset));
    }

    public void Activate(ulong features, IGuestMemory memory)
    {
        Check(_memory is null, () => "Activate twice without a Reset");
        Check((features & (1UL << 30)) == 0 && (features & ~DeviceFeatures) == 0, () => $"activated with features 0x{features:x}, beyond the offer or with bit 30");
        _memory = memory;
    }

    public void StartRing(int index, VhostRingSetup setup)
    {
        Check(_memory is not null, () => $"StartRing {index} before Activate");
        Check(index >= 0 && index < QueueCount && !_running.ContainsKey(index), () => $"StartRing {index}: out of range or already running");
        Check(setup.Size > 0 && setup.Size <= 32768 && (setup.Size & (setup.Size - 1)) == 0, () => $"StartRing {index} with size {setup.Size}");
        Check(!setup.Kick.IsClosed && !setup.Kick.IsInvalid, () => $"StartRing {index} with a closed kick descriptor");
        _running[index] = setup;
        Touch(index, setup);
    }

    public ushort StopRing(int index)
    {
        Check(_running.Remove(index, out VhostRingSetup? setup), () => $"StopRing {index} of a ring not started");
        return setup!.LastAvailIndex;
    }

    public void Reset()
    {
        _running.Clear();
        _memory = null;
    }

    /// <summary>What a worker would touch now: every running ring's memory and kick descriptor must still be there.</summary>
    public void CheckRunningRings()
    {
        foreach ((int index, VhostRingSetup setup) in _running)
        {
            Check(!setup.Kick.IsClosed, () => $"ring {index} runs with its kick descriptor closed");
            Touch(index, setup);
        }
    }

    private void Touch(int index, VhostRingSetup setup)
    {
        IGuestMemory memory = _memory!;
        (GuestAddress At, ulong Bytes, string Part)[] parts =
        [
            (setup.DescriptorTable, 16UL * (ulong)setup.Size, "descriptor table"),
            (setup.AvailableRing, 6UL + 2UL * (ulong)setup.Size, "available ring"),
            (setup.UsedRing, 6UL + 8UL * (ulong)setup.Size, "used ring"),
        ];
        foreach ((GuestAddress at, ulong bytes, string part) in parts)
        {
            // A span only comes from a mapped region that holds the whole part (VhostUserGuestMemory).
            Check(memory.TryGetSpan(at, bytes, out Span<byte> span), () => $"ring {index}'s {part} {at}+{bytes} is not inside one mapped region");
            _ = span[0] + span[^1];
        }
    }

    private void Check(bool condition, Func<string> message)
    {
        if (condition) return;
        Violation ??= message();
        throw new OracleViolationException(Violation);
    }

    private void CheckWindow(int offset, int length) =>
        Check(offset >= 0 && length >= 0 && offset <= _config.Length - length, () => $"config window {offset}+{length} outside the {_config.Length}-byte space");
}
