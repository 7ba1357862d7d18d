namespace MiniVmm.Control.Protocol;

/// <summary>A device failure: the queue (null for the whole device), the reason (a VirtioError name) and the detail of the log line.</summary>
public sealed record FailureInfo(int? Queue, string Reason, string Detail);
