using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net.Control;

/// <summary>
/// Answers control commands (virtio 1.2 §5.1.6.5): each chain is class, command and
/// command-specific data (device-readable, in any number of descriptors), then one
/// device-writable ack byte. A command that is invalid, or that the host cannot carry out,
/// answers VIRTIO_NET_ERR and changes nothing.
/// </summary>
internal sealed class VirtioNetControlQueue(VirtioNetDevice device)
{
    /// <summary>The longest command accepted: an RSS_CONFIG with 128 entries and a 40-byte key is 307 bytes.</summary>
    private const int MaxCommandBytes = 1024;

    private readonly byte[] _command = new byte[MaxCommandBytes];
    private string? _hostError;

    public ControlOutcome Process(IGuestMemory memory, SplitQueue queue, int queueIndex)
    {
        int answered = 0, rejected = 0;
        _hostError = null;
        try
        {
            while (queue.TryPopChain(memory, out DescriptorChain chain))
            {
                if (chain.WritableBytes < 1)
                {
                    throw new VirtioDeviceException(VirtioError.BadChainForQueue, $"control chain {chain.Head} has no room for the ack");
                }
                byte ack = VirtioNetCtrl.Err;
                if (chain.ReadableBytes >= 2 && chain.ReadableBytes <= MaxCommandBytes)
                {
                    int length = chain.GatherReadable(memory, _command);
                    ack = Execute(_command[0], _command[1], _command.AsSpan(2, length - 2));
                }
                chain.ScatterWritable(memory, [ack]);
                queue.AddUsed(memory, chain.Head, 1);
                answered++;
                if (ack != VirtioNetCtrl.Ok) rejected++;
            }
        }
        catch (VirtioDeviceException e)
        {
            return new ControlOutcome(answered, rejected, false, _hostError, new VirtioFailure(queueIndex, e.Reason, $"controlq: {e.Message}"));
        }
        if (answered == 0)
        {
            return default;
        }
        queue.PublishUsed(memory);
        return new ControlOutcome(answered, rejected, queue.NeedsNotification(memory), _hostError);
    }

    private byte Execute(byte commandClass, byte command, ReadOnlySpan<byte> data)
    {
        if (commandClass != VirtioNetCtrl.ClassMq)
        {
            // RX mode, MAC filter, VLAN, announce and guest offloads need features this device
            // does not offer (CTRL_RX, CTRL_VLAN, GUEST_ANNOUNCE, CTRL_GUEST_OFFLOADS, CTRL_MAC_ADDR).
            return VirtioNetCtrl.Err;
        }
        return command switch
        {
            VirtioNetCtrl.MqVqPairsSet when device.HasFeature(VirtioNetFeature.Mq) => SetPairs(data),
            VirtioNetCtrl.MqRssConfig when device.HasFeature(VirtioNetFeature.Rss) => SetRss(data),
            VirtioNetCtrl.MqHashConfig when device.HasFeature(VirtioNetFeature.HashReport) => SetHash(data),
            _ => VirtioNetCtrl.Err,
        };
    }

    /// <summary>§5.1.6.5.5: virtqueue_pairs is 1..max_virtqueue_pairs.</summary>
    private byte SetPairs(ReadOnlySpan<byte> data)
    {
        if (data.Length != 2)
        {
            return VirtioNetCtrl.Err;
        }
        int pairs = data[0] | (data[1] << 8);
        if (pairs < 1 || pairs > device.Pairs.Count)
        {
            return VirtioNetCtrl.Err;
        }
        // "the resulting device configuration is defined by the last command": automatic steering
        // replaces RSS, while a hash-only configuration stays.
        RssConfiguration? current = device.Steering.Configuration;
        return Commit(current is { SteeringEnabled: true } ? null : current, pairs);
    }

    private byte SetRss(ReadOnlySpan<byte> data)
    {
        if (RssCommandParser.ParseRss(data, device.Pairs.Count) is not RssConfiguration config)
        {
            return VirtioNetCtrl.Err;
        }
        // "A driver MUST fill the indirection_table array only with enabled receive virtqueues ids."
        // The receive queues the driver set up and enabled are what counts: max_tx_vq tells the device
        // how many transmit queues the driver may use (Linux 6.1 sends 1 there on a one-CPU guest
        // whatever `ethtool -L` did), so it decides nothing about receive.
        int highest = config.UnclassifiedQueue;
        foreach (ushort queue in config.IndirectionTable)
        {
            highest = Math.Max(highest, queue);
        }
        if (!ReceiveQueuesEnabled(highest + 1))
        {
            return VirtioNetCtrl.Err;
        }
        return Commit(config, highest + 1);
    }

    /// <summary>§5.1.6.5.6.4: HASH_CONFIG sets hashing for the report only; the queue choice stays automatic.</summary>
    private byte SetHash(ReadOnlySpan<byte> data) =>
        RssCommandParser.ParseHash(data) is RssConfiguration config ? Commit(config, device.Steering.Pairs) : VirtioNetCtrl.Err;

    private bool ReceiveQueuesEnabled(int pairs)
    {
        for (int k = 0; k < pairs; k++)
        {
            if (!device.Pairs[k].RxQueue.IsEnabled) return false;
        }
        return true;
    }

    private byte Commit(RssConfiguration? configuration, int pairs)
    {
        string? error = device.TryApplySteering(configuration, pairs);
        if (error is null)
        {
            return VirtioNetCtrl.Ok;
        }
        _hostError = error;
        return VirtioNetCtrl.Err;
    }
}
