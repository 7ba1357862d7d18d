using MiniVmm.Testing;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Fuzzing.Pci;

/// <summary>
/// The pci target's device_status and queue rules, checked after every access from what the transport
/// and device show (virtio 1.2 §2.1, §2.4, §3.1.1, §4.1.4.3): a non-zero write never clears a status bit
/// (only a reset does); a reset forgets features, queues and vectors and stops the device; FEATURES_OK
/// is kept only for an acceptable subset (§5.1.3.1 dependencies, written here apart from the device's),
/// and a driver asking it for one gets it; the device is active only with FEATURES_OK and DRIVER_OK and
/// never after it set DEVICE_NEEDS_RESET; an enabled queue has aligned rings inside memory, a power-of-two
/// size and fields that stay as they were when it was enabled until the next reset.
/// </summary>
public sealed class PciStatusRules(VirtioNetDevice device, VirtioPciTransport transport, FakeNetDeviceHost host, int memoryBytes)
{
    private const VirtioDeviceStatus Kept = VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk
        | VirtioDeviceStatus.DriverOk | VirtioDeviceStatus.DeviceNeedsReset | VirtioDeviceStatus.Failed;

    private readonly Dictionary<int, (ushort Size, ulong Desc, ulong Avail, ulong Used)> _enabled = [];
    private VirtioDeviceStatus _before;
    private int _activatedBefore;
    private bool _halted;
    private int _activations, _resets, _needsReset;

    public string Summary => _activations > 0 ? (_needsReset > 0 ? "activated, then needs reset" : "activated") : _resets > 0 ? "reset only" : _needsReset > 0 ? "needs reset" : "never activated";

    public void Before(PciAccess access)
    {
        _before = transport.Status;
        _activatedBefore = host.Events.Count(e => e == "activated");
    }

    public void After(PciAccess access)
    {
        VirtioDeviceStatus now = transport.Status;
        if (now == 0 && _before != 0)
        {
            _resets++;
            _halted = false;
            _enabled.Clear();
            Check(!device.IsActive && transport.DriverFeatures == 0, $"after a reset the device is active ({device.IsActive}) or keeps features 0x{transport.DriverFeatures:x}");
            foreach (SplitQueue q in device.Queues)
            {
                Check(!q.IsEnabled && q.Size == q.MaxSize && q.MsixVector == SplitQueue.NoVector, "a queue survived the reset (§2.4)");
            }
        }
        else
        {
            Check((_before & ~now & Kept) == 0, $"status went 0x{(byte)_before:x2} -> 0x{(byte)now:x2} without a reset: a bit was cleared");
        }
        if ((now & VirtioDeviceStatus.DeviceNeedsReset) != 0 && (_before & VirtioDeviceStatus.DeviceNeedsReset) == 0 && transport.LastFailure is not null)
        {
            _halted = true; // the device set it (MarkNeedsReset), not a driver writing bit 6
            _needsReset++;
        }
        if ((now & VirtioDeviceStatus.FeaturesOk) != 0)
        {
            Check(Acceptable(transport.DriverFeatures), $"FEATURES_OK kept for features 0x{transport.DriverFeatures:x}, which §5.1.3.1 or the offer rules out");
        }
        else if (IsStatusWrite(access, out byte written) && (written & (byte)VirtioDeviceStatus.FeaturesOk) != 0 && (_before & ~(VirtioDeviceStatus)written & Kept) == 0)
        {
            Check(!Acceptable(transport.DriverFeatures), $"the driver asked FEATURES_OK for acceptable features 0x{transport.DriverFeatures:x} and did not get it");
        }
        int activated = host.Events.Count(e => e == "activated");
        if (activated > _activatedBefore)
        {
            _activations++;
            Check((now & (VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk)) == (VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk),
                $"the device was activated with status 0x{(byte)now:x2}");
        }
        if (device.IsActive)
        {
            Check((now & VirtioDeviceStatus.DriverOk) != 0 && !_halted, $"the device is active with status 0x{(byte)now:x2}{(_halted ? " after it asked for a reset" : "")}");
        }
        CheckQueues();
    }

    private void CheckQueues()
    {
        for (int i = 0; i < device.Queues.Count; i++)
        {
            SplitQueue q = device.Queues[i];
            Check(q.Size != 0 && (q.Size & (q.Size - 1)) == 0 && q.Size <= q.MaxSize, $"queue {i} has size {q.Size}");
            Check(q.MsixVector == SplitQueue.NoVector || q.MsixVector <= device.Queues.Count, $"queue {i} has MSI-X vector {q.MsixVector}, past the table");
            if (!q.IsEnabled)
            {
                _enabled.Remove(i);
                continue;
            }
            var fields = (q.Size, q.DescriptorTable.Value, q.DriverArea.Value, q.DeviceArea.Value);
            if (_enabled.TryGetValue(i, out var was))
            {
                Check(was == fields, $"enabled queue {i} changed from {was} to {fields} without a reset");
                continue;
            }
            _enabled[i] = fields;
            // §2.7: descriptor table 16-aligned, available ring 2, used ring 4; all inside memory.
            bool aligned = fields.Item2 % 16 == 0 && fields.Item3 % 2 == 0 && fields.Item4 % 4 == 0;
            bool inside = Inside(fields.Item2, 16UL * q.Size) && Inside(fields.Item3, 6UL + 2UL * q.Size) && Inside(fields.Item4, 6UL + 8UL * q.Size);
            Check(aligned && inside, $"queue {i} was enabled with rings {fields} (aligned {aligned}, inside memory {inside})");
        }
    }

    private bool Inside(ulong address, ulong length) => length <= (ulong)memoryBytes && address <= (ulong)memoryBytes - length;

    private static bool IsStatusWrite(PciAccess a, out byte value)
    {
        value = (byte)a.Value;
        return a.Bar && a.Write && a.Offset == VirtioPciLayout.CommonOffset + 20 && a.Size == 1;
    }

    /// <summary>A subset of the offer with VERSION_1, and §5.1.3.1's dependencies among what is offered.</summary>
    private bool Acceptable(ulong f)
    {
        bool Has(int bit) => (f & (1UL << bit)) != 0;
        return (f & ~device.DeviceFeatures) == 0 && Has(VirtioFeature.Version1)
            && (!Has(VirtioNetFeature.GuestTso4) && !Has(VirtioNetFeature.GuestTso6) || Has(VirtioNetFeature.GuestCsum))
            && (!Has(VirtioNetFeature.HostTso4) && !Has(VirtioNetFeature.HostTso6) || Has(VirtioNetFeature.Csum))
            && (!Has(VirtioNetFeature.Mq) && !Has(VirtioNetFeature.Rss) || Has(VirtioNetFeature.CtrlVq));
    }

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new OracleViolationException(message);
    }
}
