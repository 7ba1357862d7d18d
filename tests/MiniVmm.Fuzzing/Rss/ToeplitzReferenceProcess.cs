using System.Buffers.Binary;
using System.Diagnostics;
using MiniVmm.Rss;

namespace MiniVmm.Fuzzing.Rss;

/// <summary>
/// The C reference (tests/MiniVmm.Benchmarks/reference/toeplitz_ref.c) as a child process fed over
/// a pipe (Reference/toeplitz_pipe.c documents the requests): the judge of the rss target, without
/// P/Invoke outside the interop projects. One process answers a whole fuzzing session.
/// </summary>
public sealed class ToeplitzReferenceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Stream _requests;
    private readonly Stream _answers;
    private readonly byte[] _request = new byte[1 + 4 + 1 + 255 + 2 + 256 + 2 + 2 + 65536];
    private readonly byte[] _answer = new byte[8];

    public ToeplitzReferenceProcess()
    {
        string binary = RepositoryPaths.ToeplitzPipe;
        if (!File.Exists(binary)) throw new FileNotFoundException($"{binary} is missing (the fuzzing project's build makes it with gcc)", binary);
        _process = Process.Start(new ProcessStartInfo(binary) { RedirectStandardInput = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"could not start {binary}");
        _requests = _process.StandardInput.BaseStream;
        _answers = _process.StandardOutput.BaseStream;
    }

    /// <summary>The reference's hash, report and queue for <paramref name="frame"/> (table length 1..128, a power of two).</summary>
    public RssResult Compute(ReadOnlySpan<byte> frame, RssConfiguration config)
    {
        int n = 0;
        _request[n++] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(_request.AsSpan(n), (uint)config.HashTypes);
        n += 4;
        n = PutKey(config.Key, n);
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(n), (ushort)config.IndirectionTable.Length);
        n += 2;
        foreach (ushort queue in config.IndirectionTable)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(n), queue);
            n += 2;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(n), config.UnclassifiedQueue);
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(n + 2), (ushort)frame.Length);
        n += 4;
        frame.CopyTo(_request.AsSpan(n));
        n += frame.Length;
        Exchange(n);
        return new RssResult(BinaryPrimitives.ReadUInt32LittleEndian(_answer), (VirtioNetHashReport)_answer[4],
            BinaryPrimitives.ReadUInt16LittleEndian(_answer.AsSpan(6)));
    }

    /// <summary>The reference's Toeplitz hash of raw input bytes (at most 36) under <paramref name="key"/>.</summary>
    public uint Hash(ReadOnlySpan<byte> key, ReadOnlySpan<byte> input)
    {
        int n = 0;
        _request[n++] = 2;
        n = PutKey(key, n);
        _request[n++] = (byte)input.Length;
        input.CopyTo(_request.AsSpan(n));
        Exchange(n + input.Length);
        return BinaryPrimitives.ReadUInt32LittleEndian(_answer);
    }

    public void Dispose()
    {
        _requests.Dispose(); // end of input: the reference exits
        if (!_process.WaitForExit(2000)) _process.Kill();
        _process.Dispose();
    }

    private int PutKey(ReadOnlySpan<byte> key, int n)
    {
        if (key.Length > 255) throw new ArgumentException("the pipe carries keys of at most 255 bytes", nameof(key));
        _request[n++] = (byte)key.Length;
        key.CopyTo(_request.AsSpan(n));
        return n + key.Length;
    }

    private void Exchange(int requestBytes)
    {
        _requests.Write(_request, 0, requestBytes);
        _requests.Flush();
        _answers.ReadExactly(_answer);
    }
}
