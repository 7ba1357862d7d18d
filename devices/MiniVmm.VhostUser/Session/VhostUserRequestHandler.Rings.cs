using System.Numerics;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Memory;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

// The requests that change features, memory and rings, and the inferred activation and reset.
public sealed partial class VhostUserRequestHandler
{
    private const int MaxRingSize = 32768;

    private VhostUserRejectReason SetFeatures(ulong features)
    {
        if ((features & ~OfferedFeatures) != 0) return VhostUserRejectReason.FeaturesNotOffered;
        // QEMU sends one SET_FEATURES per queue pair, the later ones after the first pair's rings
        // started: the same features again are not a reset.
        if (_featuresSet && features == _features) return VhostUserRejectReason.None;
        if (_activated) ResetDevice($"features changed 0x{_features:x} -> 0x{features:x}");
        _features = features;
        _featuresSet = true;
        return UpdateRings();
    }

    private VhostUserRejectReason SetProtocolFeatures(ulong features)
    {
        if ((features & ~(ulong)VhostUserProtocolFeatures.Offered) != 0) return VhostUserRejectReason.ProtocolFeaturesNotOffered;
        _protocol = (VhostUserProtocolFeatures)features;
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason SetMemTable(IReadOnlyList<MemoryRegionDescription> regions, List<FileDescriptor> fds)
    {
        // Map the new table first: if it cannot be mapped, nothing changes.
        VhostUserGuestMemory? memory = VhostUserGuestMemory.TryMap(regions, fds, out VhostUserRejectReason reason);
        if (memory is null) return reason;
        if (_activated && !ResetDevice("new memory table"))
        {
            memory.Dispose();
            return VhostUserRejectReason.DeviceFailed;
        }
        _memory?.Dispose(); // nothing uses it now: the device was not active, or has been reset
        _memory = memory;
        string table = string.Join(", ", memory.Regions.Select(r => $"gpa 0x{r.Start.Value:x}+0x{r.SizeBytes:x} ua 0x{r.Description.UserAddress:x} off 0x{r.Description.MmapOffset:x}"));
        _log($"vhost-user: memory table: {table}");
        foreach (VhostUserRing ring in _rings) ring.Failed = false;
        return UpdateRings();
    }

    private VhostUserRejectReason SetVringNum(VringState state)
    {
        if (!TryRing(state.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        if (state.Num == 0 || state.Num > MaxRingSize || !BitOperations.IsPow2(state.Num)) return VhostUserRejectReason.RingSizeInvalid;
        // Latched at the next start; a running ring keeps the size it started with.
        ring.Size = (int)state.Num;
        ring.Failed = false;
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason SetVringAddr(VringAddress address)
    {
        if (!TryRing(address.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        if (_memory is not null && !TryTranslate(_memory, address, Math.Max(ring.Size, 1), out _, out _, out _))
        {
            return VhostUserRejectReason.RingOutsideMemory;
        }
        if (ring.Kicked && _activated && !ResetDevice($"SET_VRING_ADDR on started ring {ring.Index}")) return VhostUserRejectReason.DeviceFailed;
        ring.Address = address;
        ring.Failed = false;
        return UpdateRings();
    }

    private VhostUserRejectReason SetVringBase(VringState state)
    {
        if (!TryRing(state.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        if (ring.Kicked && _activated && !ResetDevice($"SET_VRING_BASE on started ring {ring.Index}")) return VhostUserRejectReason.DeviceFailed;
        ring.Base = (ushort)state.Num; // the parser refused values above 0xffff
        ring.Failed = false;
        return UpdateRings();
    }

    // GET_VRING_BASE stops the ring: answered only once the device no longer touches it.
    private VhostUserRejectReason GetVringBase(VringState state, out byte[]? reply)
    {
        reply = null;
        if (!TryRing(state.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        if (ring.Running && !StopRing(ring)) return VhostUserRejectReason.DeviceFailed;
        ring.Kicked = false;
        reply = VhostUserEncoder.VringStateReply(new VringState(state.Index, ring.Base));
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason SetVringKick(VringFile file, List<FileDescriptor> fds)
    {
        if (!TryRing(file.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        // A kick without descriptor asks the back end to poll the ring, which it does not do.
        if (file.NoFd) return VhostUserRejectReason.NotSupported;
        if (ring.Running && !StopRing(ring)) return VhostUserRejectReason.DeviceFailed;
        ring.ReplaceKick(Take(fds));
        ring.Kicked = true;
        ring.Failed = false;
        return UpdateRings();
    }

    private VhostUserRejectReason SetVringNotifier(VringFile file, List<FileDescriptor> fds, bool error)
    {
        if (!TryRing(file.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        VhostRingNotifier notifier = error ? ring.Error : ring.Call;
        notifier.Replace(file.NoFd ? null : new NotifyFd(Take(fds)));
        // A signal that raced with the swap may have gone to the closed descriptor: one spurious
        // interrupt on the new one is harmless, a lost one could stall the driver.
        if (!error && ring.Running) notifier.Signal();
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason SetVringEnable(VringState state)
    {
        if (!TryRing(state.Index, out VhostUserRing? ring)) return VhostUserRejectReason.RingIndexOutOfRange;
        if (state.Num > 1) return VhostUserRejectReason.ReservedBitsSet;
        ring.Enabled = state.Num == 1;
        if (!ring.Enabled && ring.Running && !StopRing(ring)) return VhostUserRejectReason.DeviceFailed;
        // UML's rmmod disables every ring and says nothing else: that is the driver's reset.
        if (_activated && !_rings.Any(IsEnabled) && !ResetDevice("all rings disabled")) return VhostUserRejectReason.DeviceFailed;
        // Enabling a ring that is not set up yet (QEMU does) is a no-op until its kick arrives.
        return UpdateRings();
    }

    private VhostUserRejectReason SetSlaveReqFd(List<FileDescriptor> fds)
    {
        _slave.Replace(Take(fds));
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason GetConfig(VhostUserConfig config, out byte[]? reply)
    {
        reply = null;
        if (!InConfigSpace(config)) return VhostUserRejectReason.ConfigOutOfRange;
        var data = new byte[config.Size];
        _device.ReadConfig((int)config.Offset, data);
        reply = VhostUserEncoder.ConfigMessage(VhostUserRequest.GetConfig, config with { Data = data }, reply: true);
        return VhostUserRejectReason.None;
    }

    private VhostUserRejectReason SetConfig(VhostUserConfig config)
    {
        if (!InConfigSpace(config)) return VhostUserRejectReason.ConfigOutOfRange;
        _device.WriteConfig((int)config.Offset, config.Data);
        return VhostUserRejectReason.None;
    }

    private bool InConfigSpace(VhostUserConfig config) =>
        config.Size <= (uint)_device.ConfigSizeBytes && config.Offset <= (uint)_device.ConfigSizeBytes - config.Size;

    // Without VHOST_USER_F_PROTOCOL_FEATURES a ring is enabled as soon as it is kicked (vhost-user.rst "Ring states").
    private bool IsEnabled(VhostUserRing ring) =>
        ring.Enabled || !_featuresSet || (_features & VhostUserVirtioFeatures.ProtocolFeatures) == 0;

    /// <summary>Activates the device and starts every ring that is kicked, enabled and set up; returns the first failure.</summary>
    private VhostUserRejectReason UpdateRings()
    {
        if (!_featuresSet || _memory is null) return VhostUserRejectReason.None;
        VhostUserRejectReason result = VhostUserRejectReason.None;
        foreach (VhostUserRing ring in _rings)
        {
            if (ring.Running || ring.Failed || !ring.Kicked || !IsEnabled(ring)) continue;
            VhostUserRejectReason reason = StartRing(ring, _memory);
            if (reason != VhostUserRejectReason.None && result == VhostUserRejectReason.None) result = reason;
        }
        return result;
    }

    private VhostUserRejectReason StartRing(VhostUserRing ring, VhostUserGuestMemory memory)
    {
        VhostUserRejectReason reason = VhostUserRejectReason.None;
        if (ring.Size == 0 || ring.Address is null) reason = VhostUserRejectReason.RingSizeInvalid;
        else if (!TryTranslate(memory, ring.Address.Value, ring.Size, out GuestAddress desc, out GuestAddress avail, out GuestAddress used))
        {
            reason = VhostUserRejectReason.RingOutsideMemory;
        }
        else
        {
            try
            {
                if (!_activated)
                {
                    ulong features = _features & ~VhostUserVirtioFeatures.ProtocolFeatures;
                    _device.Activate(features, memory);
                    _activated = true;
                    Activations++;
                    _log($"vhost-user: activated, features 0x{features:x}");
                }
                _device.StartRing(ring.Index, new VhostRingSetup(ring.Size, desc, avail, used, ring.Base, ring.Kick!, ring.Call, ring.Error));
                ring.Running = true;
                return VhostUserRejectReason.None;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                reason = VhostUserRejectReason.DeviceFailed;
                _detail = $"ring {ring.Index} failed to start: {e.Message}";
            }
        }
        ring.Failed = true;
        _detail ??= $"ring {ring.Index} not started";
        return reason;
    }

    private bool StopRing(VhostUserRing ring)
    {
        try
        {
            ring.Base = _device.StopRing(ring.Index);
            ring.Running = false;
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log($"vhost-user: ring {ring.Index} failed to stop: {e.Message}");
            return false;
        }
    }

    /// <summary>Resets the device; false when the device threw (its workers may still run).</summary>
    private bool ResetDevice(string why)
    {
        foreach (VhostUserRing ring in _rings)
        {
            ring.Running = false;
            ring.Kicked = false;
            ring.Failed = false;
        }
        _activated = false;
        Resets++;
        _log($"vhost-user: reset: {why}");
        try
        {
            _device.Reset();
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log($"vhost-user: device reset failed: {e.Message}");
            return false;
        }
    }

    // Each part of the ring must lie inside one region, at its size for this queue size (virtio 1.2 §2.7).
    private static bool TryTranslate(VhostUserGuestMemory memory, VringAddress address, int size,
        out GuestAddress desc, out GuestAddress avail, out GuestAddress used)
    {
        avail = used = default;
        return memory.TryTranslateUser(address.DescriptorTable, 16UL * (ulong)size, out desc)
            && memory.TryTranslateUser(address.AvailableRing, 6 + 2UL * (ulong)size, out avail)
            && memory.TryTranslateUser(address.UsedRing, 6 + 8UL * (ulong)size, out used);
    }

    private bool TryRing(uint index, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out VhostUserRing? ring)
    {
        ring = index < (uint)_rings.Length ? _rings[index] : null;
        return ring is not null;
    }

    private static FileDescriptor Take(List<FileDescriptor> fds)
    {
        FileDescriptor fd = fds[0];
        fds.RemoveAt(0);
        return fd;
    }
}
