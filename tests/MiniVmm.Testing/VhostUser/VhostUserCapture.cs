namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// A recording of what a real front end sent (tests/MiniVmm.UnitTests/VhostUser/Captures): one
/// line per message, "> HEADER PAYLOAD fds=N" in hex; lines starting with # are comments.
/// </summary>
public sealed class VhostUserCapture
{
    private VhostUserCapture(IReadOnlyList<CapturedMessage> messages) => Messages = messages;

    public IReadOnlyList<CapturedMessage> Messages { get; }

    public static VhostUserCapture Load(string path)
    {
        var messages = new List<CapturedMessage>();
        foreach (string line in File.ReadLines(path))
        {
            if (!line.StartsWith("> ", StringComparison.Ordinal)) continue;
            string[] parts = line[2..].Split(' ');
            if (parts.Length != 3 || !parts[2].StartsWith("fds=", StringComparison.Ordinal)) throw new FormatException($"bad capture line: {line}");
            messages.Add(new CapturedMessage(Convert.FromHexString(parts[0]), Convert.FromHexString(parts[1]), int.Parse(parts[2][4..])));
        }
        return new VhostUserCapture(messages);
    }
}

/// <summary>One captured message: its 12 header bytes, its payload and how many descriptors came with it.</summary>
public sealed record CapturedMessage(byte[] Header, byte[] Payload, int FdCount);
