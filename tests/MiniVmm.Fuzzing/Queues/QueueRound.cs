namespace MiniVmm.Fuzzing.Queues;

/// <summary>One round of a queue input: what the driver writes into memory, then one ProcessRx/ProcessTx call with a budget.</summary>
public sealed record QueueRound(List<(ushort Address, byte[] Bytes)> Patches, int Budget, List<QueuePacket> Packets);
