namespace MiniVmm.VhostUser.Protocol;

/// <summary>VHOST_USER_PROTOCOL_F_* bits (vhost-user.rst "Protocol features").</summary>
[Flags]
public enum VhostUserProtocolFeatures : ulong
{
    None = 0,
    Mq = 1UL << 0,
    LogShmfd = 1UL << 1,
    Rarp = 1UL << 2,
    ReplyAck = 1UL << 3,
    Mtu = 1UL << 4,
    SlaveReq = 1UL << 5,
    CrossEndian = 1UL << 6,
    CryptoSession = 1UL << 7,
    Pagefault = 1UL << 8,
    Config = 1UL << 9,
    SlaveSendFd = 1UL << 10,
    HostNotifier = 1UL << 11,
    InflightShmfd = 1UL << 12,
    ResetDevice = 1UL << 13,
    InbandNotifications = 1UL << 14,
    ConfigureMemSlots = 1UL << 15,
    Status = 1UL << 16,

    /// <summary>
    /// What this back end offers, exactly what it implements (VHOST-USER.md): INBAND would make UML
    /// send calls as messages, CONFIGURE_MEM_SLOTS would make QEMU wait for message 36, LOG_SHMFD
    /// would promise dirty logging.
    /// </summary>
    Offered = Mq | ReplyAck | SlaveReq | Config,
}
