namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>The back end refused a request, answered nonsense or went away; the message is one line naming which.</summary>
public sealed class VhostBackendException(string message) : Exception(message);
