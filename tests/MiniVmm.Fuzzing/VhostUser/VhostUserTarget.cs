using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Protocol;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.Fuzzing.VhostUser;

/// <summary>
/// vhost-user message sequences (<see cref="VhostUserCase"/>) through the pure
/// <see cref="VhostUserParser"/> and the socket-free <see cref="VhostUserRequestHandler"/>, served as
/// <see cref="VhostUserSession"/> serves them (a framing error ends the connection), with real
/// descriptors as placeholders: memfds for memory regions (as long as the region asks, or one page:
/// unmappable), eventfds for everything else. Nothing escapes the handler; every answer is a
/// well-formed reply; the device's contract holds (<see cref="ContractCheckingDevice"/>: rings only
/// inside mapped regions, memory alive while rings run); and when the connection ends every
/// placeholder is closed, the descriptor count is back where it was and no region stays mapped.
/// </summary>
public sealed class VhostUserTarget : IFuzzTarget
{
    private const string RegionName = "minivmm-fuzz-region";
    private const ulong MaxRegionFileBytes = 4 << 20;

    private readonly ContractCheckingDevice _device = new();

    public OutcomeCounts Outcomes { get; } = new();

    public string Name => "vhost-user";

    public string Oracle => "nothing escapes the handler; replies well-formed; rings handed to the device lie inside mapped regions, which stay mapped while rings run; at the end every descriptor closed, the fd count unchanged, no region mapped";

    public void Run(ReadOnlySpan<byte> input)
    {
        List<VhostUserFuzzMessage> messages = VhostUserCase.Read(input);
        _device.Clear();
        // /proc/self/fd costs two stats per entry: scanned only for inputs that bring memory or
        // descriptors the session keeps (a seed-like prefix of SET_OWNER .. SET_MEM_TABLE), always the same ones.
        bool scan = messages.Any(m => m.Request is (uint)VhostUserRequest.SetMemTable or (uint)VhostUserRequest.SetVringKick);
        var fdsBefore = scan ? new HashSet<string>(DescriptorNames()) : [];
        var placeholders = new List<FileDescriptor>();
        int tables = 0;
        var handler = new VhostUserRequestHandler(_device, line => tables += line.StartsWith("vhost-user: memory table", StringComparison.Ordinal) ? 1 : 0);
        string ended = "end of stream";
        try
        {
            foreach (VhostUserFuzzMessage m in messages)
            {
                if (!Serve(handler, m, placeholders, out string? fatal))
                {
                    ended = fatal!;
                    break;
                }
                if (_device.Violation is null) _device.CheckRunningRings();
                if (_device.Violation is string violation) throw new OracleViolationException(violation);
            }
        }
        finally
        {
            handler.End(ended);
        }
        if (_device.Violation is string late) throw new OracleViolationException(late);
        Outcomes.Add(handler.Activations > 0 ? $"activated, {ended}" : ended);
        OracleViolationException.Check(_device.RunningRings == 0 && !_device.IsActive, () => $"the connection ended with the device active ({_device.RunningRings} rings running)");
        FileDescriptor? open = placeholders.FirstOrDefault(fd => !fd.IsClosed);
        OracleViolationException.Check(open is null, () => $"descriptor {open!.Fd} is still open after the connection ended");
        string[] leaked = scan ? NewDescriptors(fdsBefore) : [];
        OracleViolationException.Check(leaked.Length == 0, () => $"descriptors opened during the connection are still open: {string.Join(", ", leaked)}");
        int mapped = tables == 0 ? 0 : File.ReadLines("/proc/self/maps").Count(l => l.Contains(RegionName, StringComparison.Ordinal));
        OracleViolationException.Check(mapped == 0, () => $"{mapped} mappings of front-end regions remain after the connection ended");
    }

    public void Dispose()
    {
    }

    /// <summary>One message, as VhostUserSession.ServeOne serves it; false when it ends the connection.</summary>
    private bool Serve(VhostUserRequestHandler handler, VhostUserFuzzMessage m, List<FileDescriptor> placeholders, out string? fatal)
    {
        fatal = null;
        var header = new VhostUserHeader(m.Request, (VhostUserHeaderFlags)m.Flags, m.ClaimedSize ?? (uint)m.Payload.Length);
        VhostUserRejectReason framing = VhostUserParser.CheckHeader(header);
        if (framing == VhostUserRejectReason.None && header.Size != m.Payload.Length) framing = VhostUserRejectReason.Truncated; // the stream ran out inside the payload
        if (framing != VhostUserRejectReason.None)
        {
            handler.RecordFatal(header.Request, framing);
            fatal = framing.ToString();
            return false;
        }
        List<FileDescriptor> fds = Descriptors(m, placeholders);
        try
        {
            byte[]? answer = VhostUserParser.TryParse(header, m.Payload, fds.Count, m.FdCount > 8, out VhostUserMessage? message, out VhostUserRejectReason reason)
                ? handler.Handle(message, fds)
                : handler.Refuse(header, reason);
            if (answer is not null) CheckReply(header, answer);
        }
        finally
        {
            foreach (FileDescriptor fd in fds) fd.Dispose(); // what the session does with the ones the handler did not take
        }
        return true;
    }

    private static void CheckReply(VhostUserHeader request, byte[] answer)
    {
        OracleViolationException.Check(answer.Length >= VhostUserHeader.SizeBytes, () => $"a {answer.Length}-byte answer to {request}");
        VhostUserHeader reply = VhostUserHeader.Read(answer);
        OracleViolationException.Check(reply.Request == request.Request && reply.Flags == VhostUserHeader.ReplyFlags && reply.Size == answer.Length - VhostUserHeader.SizeBytes,
            () => $"answer {reply} to {request}: a reply carries the request, flags exactly 0x5 and its payload's size");
        OracleViolationException.Check(request.NeedsReply || reply.Size != 8 || IsOwnReply(request.KnownRequest),
            () => $"a REPLY_ACK to {request}, which did not ask for one");
    }

    private static bool IsOwnReply(VhostUserRequest r) => r is VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures
        or VhostUserRequest.GetQueueNum or VhostUserRequest.GetVringBase or VhostUserRequest.GetConfig;

    /// <summary>The message's descriptors: memfds sized for the regions a SET_MEM_TABLE names, eventfds otherwise (at most 8 arrive).</summary>
    private static List<FileDescriptor> Descriptors(VhostUserFuzzMessage m, List<FileDescriptor> placeholders)
    {
        var fds = new List<FileDescriptor>();
        for (int i = 0; i < Math.Min(m.FdCount, 8); i++)
        {
            FileDescriptor fd;
            if (m.Request == (uint)VhostUserRequest.SetMemTable)
            {
                int at = VhostUserParser.MemoryTableHeaderBytes + i * MemoryRegionDescription.EncodedBytes;
                ulong bytes = 4096;
                if (m.Payload.Length >= at + MemoryRegionDescription.EncodedBytes)
                {
                    MemoryRegionDescription r = MemoryRegionDescription.Read(m.Payload.AsSpan(at));
                    ulong wanted = r.MmapOffset + r.SizeBytes;
                    if (wanted >= r.SizeBytes && wanted <= MaxRegionFileBytes) bytes = wanted;
                }
                fd = MemFd.Create(RegionName, bytes);
            }
            else
            {
                fd = new EventFd().Handle;
            }
            fds.Add(fd);
            placeholders.Add(fd);
        }
        return fds;
    }

    /// <summary>
    /// Eventfds and region memfds (the kinds the placeholders are) open now that were not before: the
    /// runtime opens other descriptors lazily, which are not the session's to close.
    /// </summary>
    /// <summary>The names in /proc/self/fd, without a stat per entry (Directory.GetFileSystemEntries stats each link).</summary>
    private static IEnumerable<string> DescriptorNames() =>
        new System.IO.Enumeration.FileSystemEnumerable<string>("/proc/self/fd", (ref System.IO.Enumeration.FileSystemEntry e) => e.FileName.ToString(),
            new EnumerationOptions { AttributesToSkip = 0, IgnoreInaccessible = true });

    private static string[] NewDescriptors(HashSet<string> before) =>
    [
        .. DescriptorNames().Where(e => !before.Contains(e))
            .Select(e => $"{e} -> {new FileInfo(Path.Combine("/proc/self/fd", e)).LinkTarget}")
            .Where(t => t.EndsWith("anon_inode:[eventfd]", StringComparison.Ordinal) || t.Contains(RegionName, StringComparison.Ordinal)),
    ];
}
