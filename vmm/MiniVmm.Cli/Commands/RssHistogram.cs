using System.Text;
using System.Text.Json;
using MiniVmm.Cli.Captures;
using MiniVmm.Cli.Output;

namespace MiniVmm.Cli.Commands;

/// <summary>The end of `minivmm rss --pcap FILE --table ...`: how many of the capture's frames each queue would get.</summary>
public static class RssHistogram
{
    public static void Write(TextWriter output, RssCommandOptions options, Capture capture, IReadOnlyList<int> perQueue)
    {
        if (options.Json)
        {
            output.WriteLine(Json(options.Pcap!, capture, perQueue));
            return;
        }
        output.WriteLine();
        output.WriteLine($"{options.Pcap} ({capture.Format}): {capture.Frames.Count} frames; per queue with --table {string.Join(',', options.Table!)} (unclassified: queue {options.UnclassifiedQueue})");
        QueueChart.WriteHistogram(output, perQueue);
    }

    /// <summary>{"histogram": {"capture", "format", "frames", "per_queue": [{"queue", "frames"}]}} (Utf8JsonWriter: no reflection).</summary>
    public static string Json(string file, Capture capture, IReadOnlyList<int> perQueue)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("histogram");
            json.WriteString("capture", file);
            json.WriteString("format", capture.Format);
            json.WriteNumber("frames", capture.Frames.Count);
            json.WriteStartArray("per_queue");
            for (int q = 0; q < perQueue.Count; q++)
            {
                json.WriteStartObject();
                json.WriteNumber("queue", q);
                json.WriteNumber("frames", perQueue[q]);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
