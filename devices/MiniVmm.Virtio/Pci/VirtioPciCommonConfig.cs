using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Pci;

/// <summary>
/// struct virtio_pci_common_cfg (virtio 1.2 §4.1.4.3): feature windows, device_status state
/// machine, queue selection and per-queue configuration. Reads build the structure for the
/// current selections; writes change only the driver-writable fields, and only when the spec
/// allows it (features before FEATURES_OK, queue fields while the queue is disabled).
/// </summary>
internal sealed class VirtioPciCommonConfig(IVirtioDevice device, IGuestMemory memory, int msixVectors, IVirtioInterrupts interrupts)
{
    private int _status;
    private uint _deviceFeatureSelect;
    private uint _driverFeatureSelect;
    private ulong _driverFeatures;
    private ushort _queueSelect;
    private int _configGeneration;

    public VirtioDeviceStatus Status => (VirtioDeviceStatus)Volatile.Read(ref _status);

    public ulong DriverFeatures => _driverFeatures;

    public ushort ConfigMsixVector { get; private set; } = SplitQueue.NoVector;

    public void BumpGeneration() => Interlocked.Increment(ref _configGeneration);

    /// <summary>Sets DEVICE_NEEDS_RESET; returns true when DRIVER_OK was set (so the driver must be told).</summary>
    public bool SetNeedsReset()
    {
        int old = Interlocked.Or(ref _status, (int)VirtioDeviceStatus.DeviceNeedsReset);
        return (old & (int)VirtioDeviceStatus.DriverOk) != 0;
    }

    public void Read(int offset, Span<byte> data)
    {
        Span<byte> cfg = stackalloc byte[64];
        ulong features = device.DeviceFeatures;
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[0..], _deviceFeatureSelect);
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[4..], _deviceFeatureSelect < 2 ? (uint)(features >> (int)(32 * _deviceFeatureSelect)) : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[8..], _driverFeatureSelect);
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[12..], _driverFeatureSelect < 2 ? (uint)(_driverFeatures >> (int)(32 * _driverFeatureSelect)) : 0);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[16..], ConfigMsixVector);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[18..], (ushort)device.Queues.Count);
        cfg[20] = (byte)Volatile.Read(ref _status);
        cfg[21] = (byte)Volatile.Read(ref _configGeneration);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[22..], _queueSelect);
        if (SelectedQueue is SplitQueue q)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(cfg[24..], q.Size);
            BinaryPrimitives.WriteUInt16LittleEndian(cfg[26..], q.MsixVector);
            BinaryPrimitives.WriteUInt16LittleEndian(cfg[28..], q.IsEnabled ? (ushort)1 : (ushort)0);
            BinaryPrimitives.WriteUInt16LittleEndian(cfg[30..], _queueSelect); // queue_notify_off = index
            BinaryPrimitives.WriteUInt64LittleEndian(cfg[32..], q.DescriptorTable.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(cfg[40..], q.DriverArea.Value);
            BinaryPrimitives.WriteUInt64LittleEndian(cfg[48..], q.DeviceArea.Value);
        }
        // queue_size reads 0 for a queue that does not exist (§4.1.4.3.2).
        RegisterWindow.Read(cfg[..VirtioPciLayout.CommonLength], offset, data);
    }

    /// <summary>Applies a write of a whole driver-writable field; anything else is ignored (read-only enforcement).</summary>
    public void Write(int offset, ReadOnlySpan<byte> data)
    {
        uint value = data.Length switch
        {
            1 => data[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(data),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(data),
            _ => 0,
        };
        int size = data.Length;
        switch (offset, size)
        {
            case (0, 4): _deviceFeatureSelect = value; break;
            case (8, 4): _driverFeatureSelect = value; break;
            case (12, 4): WriteDriverFeatures(value); break;
            case (16, 2): ConfigMsixVector = CheckedVector(value); break;
            case (20, 1): WriteStatus((byte)value); break;
            case (22, 2): _queueSelect = (ushort)value; break;
            case (24, 2): if (WritableQueue is SplitQueue q1) { q1.TrySetSize((ushort)value); } break;
            case (26, 2): if (SelectedQueue is SplitQueue q2) { q2.MsixVector = CheckedVector(value); } break;
            case (28, 2): EnableQueue(value); break;
            case (32, 4): SetQueueAddress(q => q.DescriptorTable, (q, a) => q.DescriptorTable = a, value, high: false); break;
            case (36, 4): SetQueueAddress(q => q.DescriptorTable, (q, a) => q.DescriptorTable = a, value, high: true); break;
            case (40, 4): SetQueueAddress(q => q.DriverArea, (q, a) => q.DriverArea = a, value, high: false); break;
            case (44, 4): SetQueueAddress(q => q.DriverArea, (q, a) => q.DriverArea = a, value, high: true); break;
            case (48, 4): SetQueueAddress(q => q.DeviceArea, (q, a) => q.DeviceArea = a, value, high: false); break;
            case (52, 4): SetQueueAddress(q => q.DeviceArea, (q, a) => q.DeviceArea = a, value, high: true); break;
            default: break; // device_feature, num_queues, config_generation, queue_notify_off: read-only
        }
    }

    private SplitQueue? SelectedQueue => _queueSelect < device.Queues.Count ? device.Queues[_queueSelect] : null;

    /// <summary>Queue fields may change only before DRIVER_OK and while the queue is disabled.</summary>
    private SplitQueue? WritableQueue =>
        SelectedQueue is SplitQueue q && !q.IsEnabled && (Status & VirtioDeviceStatus.DriverOk) == 0 ? q : null;

    private ushort CheckedVector(uint value) =>
        // §4.1.5.1.2: a vector the table does not have reads back as NO_VECTOR.
        value < (uint)msixVectors ? (ushort)value : SplitQueue.NoVector;

    private void WriteDriverFeatures(uint value)
    {
        if ((Status & VirtioDeviceStatus.FeaturesOk) != 0 || _driverFeatureSelect >= 2)
        {
            return;
        }
        int shift = (int)(32 * _driverFeatureSelect);
        _driverFeatures = (_driverFeatures & ~(0xFFFF_FFFFUL << shift)) | ((ulong)value << shift);
    }

    private void SetQueueAddress(Func<SplitQueue, GuestAddress> get, Action<SplitQueue, GuestAddress> set, uint value, bool high)
    {
        if (WritableQueue is not SplitQueue q)
        {
            return;
        }
        ulong old = get(q).Value;
        ulong updated = high ? (old & 0xFFFF_FFFF) | ((ulong)value << 32) : (old & 0xFFFF_FFFF_0000_0000) | value;
        set(q, new GuestAddress(updated));
    }

    private void EnableQueue(uint value)
    {
        // §4.1.4.3.2: "The driver MUST NOT write a 0 to queue_enable." Writing 0 is ignored.
        if (value != 1 || WritableQueue is not SplitQueue q)
        {
            return;
        }
        if (q.TryEnable(memory) is string error)
        {
            interrupts.MarkNeedsReset(new VirtioFailure(_queueSelect, VirtioError.BadRingAddress, error));
        }
    }

    private void WriteStatus(byte value)
    {
        if (value == 0)
        {
            Reset();
            return;
        }
        var old = Status;
        var requested = (VirtioDeviceStatus)value;
        // FAILED too: "The driver MUST NOT clear a device status bit" (§2.1.1), and a status of 0 must mean a reset.
        const VirtioDeviceStatus driverBits = VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver
            | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk | VirtioDeviceStatus.Failed;
        if ((old & ~requested & driverBits) != 0)
        {
            // §2.1.2/§3.1.1: the driver only ever adds status bits until it resets the device by writing 0.
            // Clearing one on a live device (to renegotiate, say, without MQ, which would move the control
            // queue under a running worker) is a driver error: the device stops and asks for a reset.
            interrupts.MarkNeedsReset(new VirtioFailure(null, VirtioError.BadDeviceStatus,
                $"driver cleared status bits {old & ~requested & driverBits} without a reset"));
            return;
        }
        if ((requested & VirtioDeviceStatus.FeaturesOk) != 0 && (old & VirtioDeviceStatus.FeaturesOk) == 0 && !FeaturesAcceptable())
        {
            // §3.1.1 step 6: the device leaves FEATURES_OK clear when it cannot accept the subset.
            requested &= ~VirtioDeviceStatus.FeaturesOk;
        }
        // A worker may set DEVICE_NEEDS_RESET at any moment: keep it, whatever the driver wrote.
        int seen = (int)old;
        while (true)
        {
            int next = (int)requested | (seen & (int)VirtioDeviceStatus.DeviceNeedsReset);
            int actual = Interlocked.CompareExchange(ref _status, next, seen);
            if (actual == seen)
            {
                requested = (VirtioDeviceStatus)next;
                break;
            }
            seen = actual;
        }
        if ((requested & VirtioDeviceStatus.DriverOk) != 0 && (old & VirtioDeviceStatus.DriverOk) == 0)
        {
            if ((requested & VirtioDeviceStatus.FeaturesOk) == 0)
            {
                interrupts.MarkNeedsReset(new VirtioFailure(null, VirtioError.BadDeviceStatus, "DRIVER_OK without FEATURES_OK"));
                return;
            }
            if ((requested & VirtioDeviceStatus.DeviceNeedsReset) != 0)
            {
                // Broken during set-up (e.g. a bad queue): stay inactive and tell the driver now (§2.1.2).
                interrupts.SignalConfigurationChange();
                return;
            }
            device.Activate(_driverFeatures);
        }
    }

    private bool FeaturesAcceptable() =>
        (_driverFeatures & ~device.DeviceFeatures) == 0
        && (_driverFeatures & VirtioFeature.Bit(VirtioFeature.Version1)) != 0
        && device.AcceptsFeatures(_driverFeatures);

    /// <summary>§2.4: on reset the device forgets features, queues and vectors it was given.</summary>
    private void Reset()
    {
        device.Reset();
        foreach (SplitQueue q in device.Queues)
        {
            q.Reset();
        }
        _driverFeatures = 0;
        _deviceFeatureSelect = _driverFeatureSelect = 0;
        _queueSelect = 0;
        ConfigMsixVector = SplitQueue.NoVector;
        Volatile.Write(ref _status, 0);
    }
}
