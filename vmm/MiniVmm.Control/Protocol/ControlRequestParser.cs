using System.Diagnostics.CodeAnalysis;
using System.Text.Json;

namespace MiniVmm.Control.Protocol;

/// <summary>
/// Turns one request line into a <see cref="ControlRequest"/> whose command and arguments are
/// known to be valid, or into the <see cref="ControlError"/> to answer with. Never throws.
/// </summary>
public static class ControlRequestParser
{
    /// <summary>The longest request line, in bytes without its newline; every valid request is far shorter.</summary>
    public const int MaxRequestBytes = 4096;

    public static bool TryParse(ReadOnlySpan<byte> line, [NotNullWhen(true)] out ControlRequest? request, [NotNullWhen(false)] out ControlError? error)
    {
        request = null;
        if (line.Length > MaxRequestBytes)
        {
            error = new ControlError(ControlError.TooLong, $"a request is at most {MaxRequestBytes} bytes, this one is {line.Length}");
            return false;
        }
        ControlRequest? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize(line, ControlJson.Wire.ControlRequest);
        }
        catch (JsonException e)
        {
            error = new ControlError(ControlError.Malformed, $"not a valid request object: {FirstLine(e.Message)}");
            return false;
        }
        if (parsed is null)
        {
            error = new ControlError(ControlError.Malformed, "a request is a JSON object, not null");
            return false;
        }
        if (parsed.Command is null)
        {
            error = new ControlError(ControlError.Malformed, "the request has no \"command\"");
            return false;
        }
        if (!ControlRequest.Commands.Contains(parsed.Command))
        {
            error = new ControlError(ControlError.UnknownCommand,
                $"unknown command \"{Clip(parsed.Command)}\" (known: {string.Join(", ", ControlRequest.Commands)})");
            return false;
        }
        if (parsed.Command == ControlRequest.LinkCommand)
        {
            if (parsed.State is not ("up" or "down"))
            {
                error = new ControlError(ControlError.BadArgument,
                    parsed.State is null ? "link needs \"state\": \"up\" or \"down\"" : $"link \"state\" is \"up\" or \"down\", not \"{Clip(parsed.State)}\"");
                return false;
            }
        }
        else if (parsed.State is not null)
        {
            error = new ControlError(ControlError.BadArgument, $"\"state\" belongs to link, not to {parsed.Command}");
            return false;
        }
        request = parsed;
        error = null;
        return true;
    }

    // System.Text.Json's messages name the member and position on one line, and our type by its
    // .NET name, which means nothing to a client.
    private static string FirstLine(string message) => message.Split('\n')[0].Trim()
        .Replace($"type '{typeof(ControlRequest).FullName}'", "a request")
        .Replace(typeof(ControlRequest).FullName!, "a request");

    // An echoed value is the client's text: keep error lines short whatever it sent.
    private static string Clip(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
