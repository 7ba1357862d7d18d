using System.Text.Json;
using MiniVmm.Control.Protocol;
using MiniVmm.HostNet;

namespace MiniVmm.Control;

/// <summary>
/// Answers requests about one NIC: reads of its state, and link up/down, which changes the
/// device's link status and raises the configuration interrupt (§5.1.4.2). The connections'
/// threads call it; one request is answered at a time, and nothing here blocks on the vCPUs or
/// the queue workers (reads are lock-free or take the device's short locks).
/// </summary>
public sealed class ControlRequestHandler(NetDeviceRuntime runtime, Action<string> log)
{
    private readonly Lock _lock = new();

    /// <summary>Writes one line to the log the socket was started with.</summary>
    public void Log(string line) => log(line);

    /// <summary>The answer to a request the parser accepted.</summary>
    public ControlAnswer Handle(ControlRequest request)
    {
        lock (_lock)
        {
            return request.Command switch
            {
                ControlRequest.InfoCommand => new ControlAnswer { Ok = true, Info = NetDeviceReports.Info(runtime) },
                ControlRequest.CountersCommand => new ControlAnswer { Ok = true, Counters = NetDeviceReports.Counters(runtime.Device) },
                ControlRequest.RssCommand => new ControlAnswer { Ok = true, Rss = NetDeviceReports.Rss(runtime.Device) },
                ControlRequest.LinkCommand => SetLink(request.State == "up"),
                _ => ControlAnswer.Failed(ControlError.UnknownCommand, $"unknown command \"{request.Command}\""),
            };
        }
    }

    /// <summary>
    /// One request line in, one answer line out (UTF-8 JSON and '\n'). Whatever the line holds,
    /// this returns an answer: a failure of ours becomes an "internal" error and one log line.
    /// </summary>
    public byte[] AnswerLine(ReadOnlySpan<byte> line)
    {
        ControlAnswer answer;
        try
        {
            answer = ControlRequestParser.TryParse(line, out ControlRequest? request, out ControlError? error)
                ? Handle(request)
                : new ControlAnswer { Ok = false, Error = error };
        }
        catch (Exception e)
        {
            log($"{runtime.Name}: control socket: answering failed: {e.GetType().Name}: {e.Message}");
            answer = ControlAnswer.Failed(ControlError.Internal, $"{e.GetType().Name}: {e.Message}");
        }
        return Encode(answer);
    }

    /// <summary>An answer as the line the protocol sends: compact JSON and '\n'.</summary>
    public static byte[] Encode(ControlAnswer answer)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(answer, ControlJson.Wire.ControlAnswer);
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    private ControlAnswer SetLink(bool up)
    {
        bool notified = runtime.Device.SetLinkUp(up);
        log($"{runtime.Name}: link {(up ? "up" : "down")} (control socket){(notified ? "" : "; the driver is not active, it reads the status when it starts")}");
        return new ControlAnswer { Ok = true, Link = new LinkInfo(runtime.Device.LinkUp, notified) };
    }
}
