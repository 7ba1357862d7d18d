namespace MiniVmm.HostNet.Steering;

/// <summary>An explicitly requested steering back end is not available here; the message says why (a usage error: exit 2).</summary>
public sealed class SteeringUnavailableException : Exception
{
    public SteeringUnavailableException(string message) : base(message) { }
}
