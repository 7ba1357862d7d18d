using System.Text;

namespace MiniVmm.Cli.SteerTest;

/// <summary>The guest's serial output as lines: each complete line goes to <paramref name="onLine"/> (on the vCPU thread).</summary>
internal sealed class SerialLineStream(Action<string> onLine) : Stream
{
    private readonly StringBuilder _line = new();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        foreach (byte b in buffer)
        {
            if (b == (byte)'\n')
            {
                onLine(_line.ToString());
                _line.Clear();
            }
            else if (b != (byte)'\r')
            {
                _line.Append((char)b);
            }
        }
    }

    public override void WriteByte(byte value) => Write([value]);

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
