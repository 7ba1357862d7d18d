namespace MiniVmm.HostNet.VhostNet;

/// <summary>`vhost=on` asked for what this host or this configuration cannot give; the message is the one line that says why.</summary>
public sealed class VhostNetUnavailableException(string message) : Exception(message);
