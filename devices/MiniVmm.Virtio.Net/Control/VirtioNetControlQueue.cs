using MiniVmm.Memory;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net.Control;

/// <summary>
/// Answers control commands (virtio 1.2 §5.1.6.5): each chain is class, command and
/// command-specific data (device-readable, in any number of descriptors), then one
/// device-writable ack byte. A rejected command answers VIRTIO_NET_ERR and changes nothing.
/// </summary>
internal sealed class VirtioNetControlQueue(VirtioNetDevice device)
{
    /// <summary>The longest command accepted: an RSS_CONFIG with 128 entries and a 40-byte key is 307 bytes.</summary>
    private const int MaxCommandBytes = 1024;

    private readonly byte[] _command = new byte[MaxCommandBytes];
    private readonly Lock _sync = new();

    public void Process(IGuestMemory memory, SplitQueue queue)
    {
        lock (_sync)
        {
            int answered = 0;
            while (queue.TryPopChain(memory, out DescriptorChain chain))
            {
                if (chain.WritableBytes < 1)
                {
                    throw new VirtioDeviceException($"control chain {chain.Head} has no room for the ack");
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
            }
            if (answered > 0)
            {
                queue.PublishUsed(memory);
                if (queue.NeedsNotification(memory))
                {
                    device.Interrupts.SignalQueue(device.ControlQueueIndex);
                }
            }
        }
    }

    /// <summary>Returns once no command is being answered (taking the lock is the wait).</summary>
    public void Reset()
    {
        lock (_sync)
        {
        }
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
            VirtioNetCtrl.MqRssConfig when device.HasFeature(VirtioNetFeature.Rss) => Apply(RssCommandParser.ParseRss(data, device.Pairs.Count), steering: true),
            VirtioNetCtrl.MqHashConfig when device.HasFeature(VirtioNetFeature.HashReport) => Apply(RssCommandParser.ParseHash(data), steering: false),
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
        if (device.CurrentRss is { SteeringEnabled: true })
        {
            device.SetRss(null);
        }
        device.SetActivePairs(pairs);
        return VirtioNetCtrl.Ok;
    }

    private byte Apply(RssCommandParser.Result result, bool steering)
    {
        if (result.Configuration is null)
        {
            return VirtioNetCtrl.Err;
        }
        if (steering)
        {
            device.SetActivePairs(result.Pairs);
        }
        device.SetRss(result.Configuration);
        return VirtioNetCtrl.Ok;
    }
}
