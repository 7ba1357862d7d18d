using System.Text;
using System.Text.Json;
using MiniVmm.Cli.Output;

namespace MiniVmm.Cli.SteerTest;

/// <summary>Prints a steer-test result: a per-queue table with a bar chart (Output/QueueChart.cs), or one JSON object.</summary>
public static class SteerTestRenderer
{
    private const int MismatchesShown = 20;

    public static void WriteTable(SteerTestResult r, string backendLine, TextWriter output, CaptureReplay? replay = null, IReadOnlyList<string>? notes = null)
    {
        output.WriteLine(backendLine);
        foreach (string note in notes ?? []) output.WriteLine(note);
        if (replay is not null) output.WriteLine(replay.Summary);
        QueueChart.WriteExpectedAndReceived(output, r.ExpectedPerQueue, r.ReceivedPerQueue);
        output.WriteLine($"frames sent {r.FramesSent}, received {r.FramesReceived}, mismatches {r.Mismatches.Count}" +
                         (r.HashReportChecked ? ", hash reports checked" : ", hash reports not checked (hash report off)") +
                         (r.ForeignFrames > 0 ? $", {r.ForeignFrames} frames from the host stack ignored" : ""));
        foreach (Mismatch m in r.Mismatches.Take(MismatchesShown))
            output.WriteLine($"  mismatch: frame {m.FrameId} ({m.Description}): {m.Problem}");
        if (r.Mismatches.Count > MismatchesShown)
            output.WriteLine($"  ... and {r.Mismatches.Count - MismatchesShown} more");
        output.WriteLine(r.Passed ? "PASS: every frame landed on its expected queue" : "FAIL");
    }

    public static void WriteJson(SteerTestResult r, string backend, string reason, TextWriter output, CaptureReplay? replay = null,
        string guest = "probe", IReadOnlyList<string>? notes = null)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("backend", backend);
            json.WriteString("reason", reason);
            json.WriteString("guest", guest);
            json.WriteStartArray("notes");
            foreach (string note in notes ?? []) json.WriteStringValue(note);
            json.WriteEndArray();
            json.WriteNumber("queues", r.Queues);
            json.WriteNumber("frames", r.FramesSent);
            json.WriteNumber("received", r.FramesReceived);
            json.WriteNumber("foreign", r.ForeignFrames);
            json.WriteBoolean("hash_report_checked", r.HashReportChecked);
            json.WriteNumber("mismatches", r.Mismatches.Count);
            json.WriteStartArray("per_queue");
            for (int q = 0; q < r.Queues; q++)
            {
                json.WriteStartObject();
                json.WriteNumber("queue", q);
                json.WriteNumber("expected", r.ExpectedPerQueue[q]);
                json.WriteNumber("received", r.ReceivedPerQueue[q]);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("mismatch_list");
            foreach (Mismatch m in r.Mismatches)
            {
                json.WriteStartObject();
                json.WriteNumber("id", m.FrameId);
                json.WriteString("frame", m.Description);
                json.WriteString("problem", m.Problem);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            if (replay is not null)
            {
                json.WriteStartObject("replay");
                json.WriteString("capture", replay.File);
                json.WriteString("format", replay.Format);
                json.WriteNumber("frames", replay.Total);
                json.WriteNumber("sent", replay.Sent);
                json.WriteNumber("skipped_not_ip", replay.SkippedNotIp);
                json.WriteNumber("skipped_too_large", replay.SkippedTooLarge);
                json.WriteEndObject();
            }
            json.WriteBoolean("passed", r.Passed);
            json.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
