using MiniVmm.Native;
using MiniVmm.VhostUser.Memory;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

/// <summary>
/// The back end's state machine for one connection: takes parsed requests (and their
/// descriptors), drives the device, and returns the bytes to answer with. No socket here, so it
/// can be driven by tests and fuzzers directly. Activation and reset are inferred as
/// VHOST-USER.md says: activation when, after SET_FEATURES, a ring is both kicked and enabled;
/// reset on a SET_FEATURES that changes the features, SET_MEM_TABLE, SET_VRING_BASE/ADDR on a
/// started ring, all rings disabled, and the end of the connection.
/// </summary>
public sealed partial class VhostUserRequestHandler : IDisposable
{
    private readonly IVhostUserDevice _device;
    private readonly Action<string> _log;
    private readonly VhostUserRing[] _rings;
    private readonly VhostUserSlaveChannel _slave = new();
    private readonly HashSet<uint> _loggedUnknown = [];
    private readonly List<VhostUserRejection> _rejections = [];
    private VhostUserGuestMemory? _memory;
    private ulong _features;
    private bool _featuresSet;
    private VhostUserProtocolFeatures _protocol;
    private bool _activated;
    private bool _ended;
    private string? _detail; // what a failed ring start says, for the refusal's one log line

    public VhostUserRequestHandler(IVhostUserDevice device, Action<string> log)
    {
        _device = device;
        _log = log;
        _rings = [.. Enumerable.Range(0, device.QueueCount).Select(i => new VhostUserRing(i))];
        _device.ConfigChanged += OnConfigChanged;
    }

    /// <summary>The virtio features GET_FEATURES answers: the device's, without what is never passed on, plus bit 30.</summary>
    public ulong OfferedFeatures => (_device.DeviceFeatures & ~VhostUserVirtioFeatures.NeverOffered) | VhostUserVirtioFeatures.ProtocolFeatures;

    public bool IsActivated => _activated;

    /// <summary>Activations and resets so far (for the log and tests).</summary>
    public int Activations { get; private set; }

    public int Resets { get; private set; }

    /// <summary>Every refusal so far, in order.</summary>
    public IReadOnlyList<VhostUserRejection> Rejections
    {
        get { lock (_rejections) return [.. _rejections]; }
    }

    /// <summary>
    /// Handles one request the parser accepted. Takes ownership of <paramref name="fds"/>: those
    /// the request keeps (a region's, a kick, a call) are kept, the rest are closed before this returns.
    /// Returns what to send back (a reply, a REPLY_ACK, or null for nothing).
    /// </summary>
    public byte[]? Handle(VhostUserMessage message, List<FileDescriptor> fds)
    {
        VhostUserRejectReason reason;
        byte[]? reply = null;
        try
        {
            reason = message.Request switch
            {
                VhostUserRequest.GetFeatures => Answer(VhostUserEncoder.U64Reply(message.Request, OfferedFeatures), out reply),
                VhostUserRequest.SetFeatures => SetFeatures(message.Value),
                VhostUserRequest.SetOwner => VhostUserRejectReason.None,
                // RESET_OWNER is deprecated and QEMU sends it on its own teardown: ignored (VHOST-USER.md).
                VhostUserRequest.ResetOwner => VhostUserRejectReason.None,
                VhostUserRequest.GetProtocolFeatures => Answer(VhostUserEncoder.U64Reply(message.Request, (ulong)VhostUserProtocolFeatures.Offered), out reply),
                VhostUserRequest.SetProtocolFeatures => SetProtocolFeatures(message.Value),
                VhostUserRequest.GetQueueNum => Answer(VhostUserEncoder.U64Reply(message.Request, (ulong)_device.QueuePairs), out reply),
                VhostUserRequest.SetMemTable => SetMemTable(message.Regions, fds),
                VhostUserRequest.SetVringNum => SetVringNum(message.VringState),
                VhostUserRequest.SetVringAddr => SetVringAddr(message.VringAddress),
                VhostUserRequest.SetVringBase => SetVringBase(message.VringState),
                VhostUserRequest.GetVringBase => GetVringBase(message.VringState, out reply),
                VhostUserRequest.SetVringKick => SetVringKick(message.VringFile, fds),
                VhostUserRequest.SetVringCall => SetVringNotifier(message.VringFile, fds, error: false),
                VhostUserRequest.SetVringErr => SetVringNotifier(message.VringFile, fds, error: true),
                VhostUserRequest.SetVringEnable => SetVringEnable(message.VringState),
                VhostUserRequest.SetSlaveReqFd => SetSlaveReqFd(fds),
                VhostUserRequest.GetConfig => GetConfig(message.Config!, out reply),
                VhostUserRequest.SetConfig => SetConfig(message.Config!),
                _ => VhostUserRejectReason.UnknownRequest,
            };
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose();
            fds.Clear();
        }
        if (reason != VhostUserRejectReason.None) return Refuse(message.Header, reason);
        return reply ?? AckIfAsked(message.Header, VhostUserRejectReason.None);
    }

    /// <summary>
    /// Records and logs a refused request and returns its error answer: a zero-length reply for
    /// a request with its own reply (GET_CONFIG's error form, and a size no front end accepts
    /// for the others), a non-zero REPLY_ACK when one was asked for, else nothing.
    /// </summary>
    public byte[]? Refuse(in VhostUserHeader header, VhostUserRejectReason reason)
    {
        lock (_rejections) _rejections.Add(new VhostUserRejection(header.Request, reason));
        bool unknown = reason == VhostUserRejectReason.UnknownRequest;
        if (!unknown || _loggedUnknown.Add(header.Request))
        {
            string detail = _detail is null ? "" : $" ({_detail})";
            _log($"vhost-user: {VhostUserParser.Name(header.Request)} refused: {reason}{detail}{(unknown ? " (logged once)" : "")}");
        }
        _detail = null;
        if (HasOwnReply(header.Request)) return VhostUserEncoder.Reply((VhostUserRequest)header.Request, []);
        return AckIfAsked(header, reason);
    }

    /// <summary>
    /// Records a framing error that ends the connection (a truncated message, a bad header): the
    /// session logs the one line for it.
    /// </summary>
    public void RecordFatal(uint request, VhostUserRejectReason reason)
    {
        lock (_rejections) _rejections.Add(new VhostUserRejection(request, reason));
    }

    /// <summary>The connection ended (EOF, a framing error, or the listener stopping): reset the device and release everything.</summary>
    public void End(string why)
    {
        if (_ended) return;
        _ended = true;
        _device.ConfigChanged -= OnConfigChanged;
        bool quiesced = !_activated || ResetDevice($"connection ended ({why})");
        foreach (VhostUserRing ring in _rings) ring.Dispose();
        _slave.Dispose();
        // Unmapping memory a worker might still touch would crash the process: keep it if the device failed to reset.
        if (quiesced) _memory?.Dispose();
        else _log("vhost-user: device did not reset; its guest memory stays mapped");
        _memory = null;
    }

    public void Dispose() => End("disposed");

    private static bool HasOwnReply(uint request) => (VhostUserRequest)request is VhostUserRequest.GetFeatures
        or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum or VhostUserRequest.GetVringBase
        or VhostUserRequest.GetConfig or VhostUserRequest.GetInflightFd or VhostUserRequest.GetMaxMemSlots
        or VhostUserRequest.GetStatus or VhostUserRequest.PostcopyAdvise or VhostUserRequest.CreateCryptoSession;

    // REPLY_ACK (vhost-user.rst): with the protocol feature negotiated, a request carrying NEED_REPLY
    // gets a u64 answer, 0 for success. UML sets it on every message without a reply of its own,
    // SET_PROTOCOL_FEATURES included (which has just negotiated REPLY_ACK when we get here).
    private byte[]? AckIfAsked(in VhostUserHeader header, VhostUserRejectReason reason)
    {
        if (!header.NeedsReply || (_protocol & VhostUserProtocolFeatures.ReplyAck) == 0) return null;
        return VhostUserEncoder.Ack((VhostUserRequest)header.Request, reason == VhostUserRejectReason.None ? 0UL : 1UL);
    }

    private static VhostUserRejectReason Answer(byte[] bytes, out byte[]? reply)
    {
        reply = bytes;
        return VhostUserRejectReason.None;
    }

    private void OnConfigChanged()
    {
        if ((_protocol & VhostUserProtocolFeatures.SlaveReq) == 0) return;
        string? problem = _slave.SendConfigChange();
        if (problem is not null) _log($"vhost-user: {problem}");
    }
}
