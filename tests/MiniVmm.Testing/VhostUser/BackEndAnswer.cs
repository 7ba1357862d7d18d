namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// What a <see cref="ScriptedBackEnd"/> does with one request: send these bytes (a whole message,
/// possibly malformed) with these descriptors, say nothing, or hang up. Null from the script: answer
/// as an honest back end would.
/// </summary>
public sealed record BackEndAnswer(byte[]? Bytes = null, FileDescriptorSource? Fds = null, bool HangUp = false)
{
    public static readonly BackEndAnswer Silence = new();

    public static readonly BackEndAnswer Close = new(HangUp: true);

    public static BackEndAnswer Send(byte[] message, FileDescriptorSource? fds = null) => new(message, fds);
}
