using System.Buffers.Binary;

namespace MiniVmm.Virtio.Pci;

/// <summary>
/// The MSI-X table and pending bit array (PCI Local Bus 3.0 §6.8.2): 16-byte entries of message
/// address, data and vector control; a vector that fires while masked (entry or function mask)
/// sets its pending bit and is sent when unmasked. vCPUs program entries while workers signal:
/// a signal holds the read side of a lock until its message went out, and every change of a mask
/// takes the write side, so a mask can never slip between "unmasked" and the send (the message
/// would go to a route KVM no longer has and be lost: PCI requires it to stay pending).
/// </summary>
internal sealed class MsixTable
{
    private const int EntryBytes = 16;
    private const uint VectorControlMask = 1;

    private readonly IMsiInterrupts _msi;
    private readonly byte[] _table;
    private readonly ulong[] _pending;
    private readonly ReaderWriterLockSlim _sync = new(LockRecursionPolicy.NoRecursion);
    private bool _enabled;
    private bool _functionMask;

    public MsixTable(int vectors, IMsiInterrupts msi)
    {
        VectorCount = vectors;
        _msi = msi;
        _table = new byte[vectors * EntryBytes];
        _pending = new ulong[(vectors + 63) / 64];
        for (int v = 0; v < vectors; v++)
        {
            // Every vector starts masked (§6.8.2.9).
            BinaryPrimitives.WriteUInt32LittleEndian(_table.AsSpan(v * EntryBytes + 12), VectorControlMask);
        }
    }

    public int VectorCount { get; }

    public int TableBytes => _table.Length;

    public int PbaBytes => _pending.Length * 8;

    public bool Enabled => Volatile.Read(ref _enabled);

    /// <summary>Message Control bits 15 (enable) and 14 (function mask) changed.</summary>
    public void SetControl(bool enabled, bool functionMask)
    {
        _sync.EnterWriteLock();
        try
        {
            bool changed = enabled != _enabled || functionMask != _functionMask;
            _enabled = enabled;
            _functionMask = functionMask;
            if (changed)
            {
                for (int v = 0; v < VectorCount; v++)
                {
                    ConfigureLocked(v);
                    DeliverPendingLocked(v);
                }
            }
        }
        finally
        {
            _sync.ExitWriteLock();
        }
    }

    public void ReadTable(int offset, Span<byte> data)
    {
        _sync.EnterReadLock();
        try
        {
            RegisterWindow.Read(_table, offset, data);
        }
        finally
        {
            _sync.ExitReadLock();
        }
    }

    public void WriteTable(int offset, ReadOnlySpan<byte> data)
    {
        // Only naturally aligned 4- and 8-byte accesses are defined for the table.
        if ((data.Length != 4 && data.Length != 8) || offset % data.Length != 0 || offset < 0 || offset + data.Length > _table.Length)
        {
            return;
        }
        _sync.EnterWriteLock();
        try
        {
            data.CopyTo(_table.AsSpan(offset));
            int vector = offset / EntryBytes;
            ConfigureLocked(vector);
            DeliverPendingLocked(vector);
        }
        finally
        {
            _sync.ExitWriteLock();
        }
    }

    public void ReadPba(int offset, Span<byte> data)
    {
        _sync.EnterWriteLock();
        try
        {
            // Signals that reached a masked vector's eventfd directly are pending too.
            for (int v = 0; v < VectorCount; v++)
            {
                if (IsMaskedForDelivery(v) && _msi.TakeSignalWhileMasked(v)) Interlocked.Or(ref _pending[v / 64], 1UL << (v % 64));
            }
        }
        finally
        {
            _sync.ExitWriteLock();
        }
        Span<byte> bytes = stackalloc byte[_pending.Length * 8];
        for (int i = 0; i < _pending.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes[(i * 8)..], Volatile.Read(ref _pending[i]));
        }
        RegisterWindow.Read(bytes, offset, data);
    }

    /// <summary>Sends a vector, or marks it pending while masked; ignores vectors outside the table.</summary>
    public void Signal(int vector)
    {
        if ((uint)vector >= (uint)VectorCount)
        {
            return;
        }
        // Signals run concurrently with each other (read side); a mask change waits for them.
        _sync.EnterReadLock();
        try
        {
            if (!_enabled)
            {
                return;
            }
            if (_functionMask || IsMaskedLocked(vector))
            {
                Interlocked.Or(ref _pending[vector / 64], 1UL << (vector % 64));
                return;
            }
            _msi.Signal(vector);
        }
        finally
        {
            _sync.ExitReadLock();
        }
    }

    public bool IsPending(int vector) => (Volatile.Read(ref _pending[vector / 64]) & (1UL << (vector % 64))) != 0;

    private bool IsMaskedLocked(int vector) =>
        (BinaryPrimitives.ReadUInt32LittleEndian(_table.AsSpan(vector * EntryBytes + 12)) & VectorControlMask) != 0;

    private void ConfigureLocked(int vector)
    {
        ReadOnlySpan<byte> entry = _table.AsSpan(vector * EntryBytes, EntryBytes);
        ulong address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
        uint data = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
        _msi.Configure(vector, address, data, !_enabled || _functionMask || IsMaskedLocked(vector));
    }

    private bool IsMaskedForDelivery(int vector) => !_enabled || _functionMask || IsMaskedLocked(vector);

    private void DeliverPendingLocked(int vector)
    {
        ulong bit = 1UL << (vector % 64);
        // A signal that reached the eventfd directly while masked was delivered by the irqfd when
        // ConfigureLocked assigned it again; one taken by a PBA read is in the pending bit.
        if (_enabled && !_functionMask && !IsMaskedLocked(vector) && (Interlocked.And(ref _pending[vector / 64], ~bit) & bit) != 0)
        {
            _msi.Signal(vector);
        }
    }
}
