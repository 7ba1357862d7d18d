using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.UnitTests.Virtio;

public class SplitQueueTests
{
    private readonly ArrayGuestMemory _memory = new(1 << 20);
    private readonly SplitQueue _queue = new(8);
    private readonly VirtqueueDriver _driver;

    public SplitQueueTests()
    {
        _driver = new VirtqueueDriver(_memory, 8, new GuestAddress(0x1000), new GuestAddress(0x2000), new GuestAddress(0x3000));
        _queue.DescriptorTable = _driver.Desc;
        _queue.DriverArea = _driver.Avail;
        _queue.DeviceArea = _driver.Used;
        Assert.True(_queue.TrySetSize(8));
        Assert.Null(_queue.TryEnable(_memory));
    }

    private void Features(params int[] bits) => _queue.SetFeatures(bits.Aggregate(0UL, (f, b) => f | VirtioFeature.Bit(b)));

    [Fact]
    public void PopsAChain_ReadableThenWritable()
    {
        ushort head = _driver.AddChain((new GuestAddress(0x8000), 10, false), (new GuestAddress(0x9000), 100, true), (new GuestAddress(0xA000), 50, true));
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain chain));
        Assert.Equal(head, chain.Head);
        Assert.Equal(3, chain.Descriptors.Length);
        Assert.Equal(10u, chain.ReadableBytes);
        Assert.Equal(150u, chain.WritableBytes);
        Assert.False(_queue.TryPopChain(_memory, out _));
    }

    [Fact]
    public void ScatterAndGather_CrossDescriptorBoundaries()
    {
        _memory.Write(new GuestAddress(0x8000), [1, 2, 3]);
        _memory.Write(new GuestAddress(0x8100), [4, 5]);
        _driver.AddChain((new GuestAddress(0x8000), 3, false), (new GuestAddress(0x8100), 2, false), (new GuestAddress(0x9000), 2, true), (new GuestAddress(0x9100), 4, true));
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain chain));
        var gathered = new byte[5];
        Assert.Equal(5, chain.GatherReadable(_memory, gathered));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, gathered);
        Assert.Equal(4, chain.ScatterWritable(_memory, [9, 8, 7, 6], skipBytes: 1));
        Assert.Equal(9, _memory.GetSpan(new GuestAddress(0x9001), 1)[0]);
        Assert.Equal(new byte[] { 8, 7, 6 }, _memory.GetSpan(new GuestAddress(0x9100), 3).ToArray());
    }

    [Fact]
    public void IndirectTable_IsFlattenedIntoTheChain()
    {
        Features(VirtioFeature.IndirectDesc);
        _driver.AddIndirectChain(new GuestAddress(0x6000), (new GuestAddress(0x8000), 12, false), (new GuestAddress(0x9000), 64, true));
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain chain));
        Assert.Equal(2, chain.Descriptors.Length);
        Assert.Equal(new Descriptor(new GuestAddress(0x9000), 64, true), chain.Descriptors[1]);
    }

    [Fact]
    public void UsedElements_BecomeVisibleOnlyWhenPublished()
    {
        ushort head = _driver.AddChain((new GuestAddress(0x9000), 64, true));
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain chain));
        _queue.AddUsed(_memory, chain.Head, 42);
        Assert.False(_driver.TryTakeUsed(out _, out _));
        _queue.PublishUsed(_memory);
        Assert.True(_driver.TryTakeUsed(out uint id, out uint len));
        Assert.Equal((head, 42u), ((ushort)id, len));
    }

    [Fact]
    public void WithoutEventIdx_NoInterruptFlagSuppressesNotification()
    {
        _driver.AddChain((new GuestAddress(0x9000), 64, true));
        _driver.AddChain((new GuestAddress(0x9100), 64, true));
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain a));
        _queue.AddUsed(_memory, a.Head, 1);
        _queue.PublishUsed(_memory);
        Assert.True(_queue.NeedsNotification(_memory));
        // §2.7.7.2: "If flags is 1, the device SHOULD NOT send a notification."
        _driver.SetNoInterrupt(true);
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain b));
        _queue.AddUsed(_memory, b.Head, 1);
        _queue.PublishUsed(_memory);
        Assert.False(_queue.NeedsNotification(_memory));
    }

    [Fact]
    public void WithEventIdx_NotifiesOnlyWhenUsedIdxPassesUsedEvent()
    {
        Features(VirtioFeature.EventIdx);
        for (int i = 0; i < 3; i++)
        {
            _driver.AddChain((new GuestAddress(0x9000 + 0x100UL * (ulong)i), 64, true));
        }
        // §2.7.10: the device notifies when idx moves past used_event: here after the 3rd used buffer (used_event = 2).
        _driver.SetUsedEvent(2);
        bool[] wanted = new bool[3];
        for (int i = 0; i < 3; i++)
        {
            Assert.True(_queue.TryPopChain(_memory, out DescriptorChain c));
            _queue.AddUsed(_memory, c.Head, 1);
            _queue.PublishUsed(_memory);
            wanted[i] = _queue.NeedsNotification(_memory);
        }
        Assert.Equal([false, false, true], wanted);
    }

    [Fact]
    public void WithEventIdx_EmptyRingWritesAvailEvent()
    {
        Features(VirtioFeature.EventIdx);
        _driver.AddChain((new GuestAddress(0x9000), 64, true));
        Assert.True(_queue.TryPopChain(_memory, out _));
        Assert.False(_queue.TryPopChain(_memory, out _));
        // §2.7.10: avail_event tells the driver to notify once it adds the entry at index 1.
        Assert.Equal(1, _driver.AvailEvent);
    }

    [Fact]
    public void UndoPop_ReturnsChainsToTheRing()
    {
        ushort head = _driver.AddChain((new GuestAddress(0x9000), 64, true));
        Assert.True(_queue.TryPopChain(_memory, out _));
        _queue.UndoPop(1);
        Assert.True(_queue.TryPopChain(_memory, out DescriptorChain again));
        Assert.Equal(head, again.Head);
    }

    [Fact]
    public void AvailIndexWrapsAround65536()
    {
        // The rings start at idx 65534 on both sides: the free-running u16 counters wrap.
        for (int i = 0; i < 65534; i++)
        {
            _queue.UndoPop(-1);
        }
        _driver.SetAvailIdx(65534);
        _driver.AddChain((new GuestAddress(0x9000), 64, true));
        _driver.AddChain((new GuestAddress(0x9100), 64, true));
        _driver.AddChain((new GuestAddress(0x9200), 64, true));
        Assert.Equal(1, _driver.AvailIdx);
        int popped = 0;
        while (_queue.TryPopChain(_memory, out _))
        {
            popped++;
        }
        Assert.Equal(3, popped);
    }
}
