using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.Fuzzing.VhostUser;

/// <summary>
/// Seeds of the vhost-user target, in the shape of the captures (tests/MiniVmm.UnitTests/VhostUser/Captures)
/// with small regions: UML 6.1's boot, insmod and rmmod (every ring, the control queue's included,
/// NEED_REPLY on everything without a reply of its own), QEMU 7.2's two regions with user addresses
/// apart from guest ones and SET_FEATURES once per pair, and a few refusals (a ring outside memory,
/// a region its file cannot back, an unknown request, a bad version).
/// </summary>
internal static class VhostUserSeeds
{
    private const uint Plain = 0x1, NeedReply = 0x9;
    private const ulong Features = FakeVhostUserDevice.CaptureFeatures | (1UL << 30);

    public static IEnumerable<byte[]> Create()
    {
        int rings = 2 * ContractCheckingDevice.Pairs + 1;
        var uml = new List<VhostUserFuzzMessage>(Handshake());
        uml.Add(MemTable([new MemoryRegionDescription(0, 1 << 20, 0, 0)]));
        for (uint i = 0; i < rings; i++) uml.AddRange(RingSetUp(i, userBase: 0));
        for (uint i = 0; i < rings; i++) uml.AddRange([File(VhostUserRequest.SetVringKick, i), State(VhostUserRequest.SetVringEnable, i, 1)]);
        var rmmod = new List<VhostUserFuzzMessage>();
        for (uint i = (uint)rings; i-- > 0;) rmmod.Add(State(VhostUserRequest.SetVringEnable, i, 0));
        rmmod.Add(Message(VhostUserRequest.GetFeatures, Plain, []));
        yield return VhostUserCase.Write(uml);
        yield return VhostUserCase.Write([.. uml, State(VhostUserRequest.GetVringBase, 1, 0, Plain), .. rmmod, .. uml.Skip(6)]);

        // QEMU: two regions of one file, rings by user address; SET_FEATURES again for the second pair.
        const ulong ua = 0x7f00_0000_0000;
        var qemu = new List<VhostUserFuzzMessage>(Handshake())
        {
            MemTable([new MemoryRegionDescription(0, 0x8_0000, ua, 0), new MemoryRegionDescription(0x10_0000, 0x8_0000, ua + 0x10_0000, 0x8_0000)]),
        };
        for (uint i = 0; i < 4; i++) qemu.AddRange(RingSetUp(i, ua));
        qemu.Add(Message(VhostUserRequest.SetFeatures, NeedReply, U64(Features)));
        for (uint i = 0; i < 4; i++) qemu.AddRange([State(VhostUserRequest.SetVringEnable, i, 1), File(VhostUserRequest.SetVringKick, i)]);
        qemu.Add(MemTable([new MemoryRegionDescription(0, 0x10_0000, 0, 0)])); // a new table: the device resets first
        yield return VhostUserCase.Write(qemu);

        // Refusals: ring outside the regions, a region larger than its file, unknown request, then a bad version ends it.
        var hostile = new List<VhostUserFuzzMessage>(Handshake())
        {
            MemTable([new MemoryRegionDescription(0, 0x10000, 0, 0)]),
            Address(0, 0x20000, 0x21000, 0x22000, 0),
            Message(VhostUserRequest.SetMemTable, NeedReply, Table([new MemoryRegionDescription(0, 1UL << 40, 0, 0)]), fds: 1),
            Message((VhostUserRequest)40, NeedReply, new byte[16]),
            Message(VhostUserRequest.SetVringCall, NeedReply, U64(0), fds: 9),
            Message(VhostUserRequest.GetFeatures, 0x2, []),
        };
        yield return VhostUserCase.Write(hostile);
    }

    private static IEnumerable<VhostUserFuzzMessage> Handshake() =>
    [
        Message(VhostUserRequest.SetOwner, Plain, []),
        Message(VhostUserRequest.GetFeatures, Plain, []),
        Message(VhostUserRequest.GetProtocolFeatures, Plain, []),
        Message(VhostUserRequest.SetProtocolFeatures, NeedReply, U64((ulong)VhostUserProtocolFeatures.Offered)),
        Message(VhostUserRequest.SetSlaveReqFd, NeedReply, [], fds: 1),
        Message(VhostUserRequest.SetFeatures, NeedReply, U64(Features)),
        Message(VhostUserRequest.GetConfig, Plain, [0, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        Message(VhostUserRequest.GetQueueNum, Plain, []),
    ];

    private static IEnumerable<VhostUserFuzzMessage> RingSetUp(uint ring, ulong userBase)
    {
        ulong desc = userBase + 0x10000 + 0x4000UL * ring;
        return [File(VhostUserRequest.SetVringCall, ring), State(VhostUserRequest.SetVringNum, ring, 256), State(VhostUserRequest.SetVringBase, ring, 0),
            Address(ring, desc, desc + 0x2000, desc + 0x1000, 0)];
    }

    private static VhostUserFuzzMessage Message(VhostUserRequest request, uint flags, byte[] payload, int fds = 0) => new((uint)request, flags, null, payload, fds);

    private static VhostUserFuzzMessage State(VhostUserRequest request, uint index, uint num, uint flags = NeedReply)
    {
        var payload = new byte[VringState.SizeBytes];
        new VringState(index, num).Write(payload);
        return Message(request, flags, payload);
    }

    private static VhostUserFuzzMessage File(VhostUserRequest request, uint ring) => Message(request, NeedReply, U64(ring), fds: 1);

    private static VhostUserFuzzMessage Address(uint ring, ulong desc, ulong used, ulong avail, uint flags)
    {
        var payload = new byte[VringAddress.SizeBytes];
        new VringAddress(ring, flags, desc, used, avail, 0).Write(payload);
        return Message(VhostUserRequest.SetVringAddr, NeedReply, payload);
    }

    private static VhostUserFuzzMessage MemTable(MemoryRegionDescription[] regions) =>
        Message(VhostUserRequest.SetMemTable, NeedReply, Table(regions), fds: regions.Length);

    private static byte[] Table(MemoryRegionDescription[] regions)
    {
        var payload = new byte[VhostUserParser.MemoryTableHeaderBytes + regions.Length * MemoryRegionDescription.EncodedBytes];
        BitConverter.TryWriteBytes(payload, regions.Length);
        for (int i = 0; i < regions.Length; i++) regions[i].Write(payload.AsSpan(VhostUserParser.MemoryTableHeaderBytes + i * MemoryRegionDescription.EncodedBytes));
        return payload;
    }

    private static byte[] U64(ulong value) => BitConverter.GetBytes(value);
}
