using System.Text;
using System.Text.Json;

namespace MiniVmm.Cli.Caps;

/// <summary>Renders caps sections as text (one "name: value" line per fact) or as one JSON object.</summary>
public static class CapsWriter
{
    public static string Text(IEnumerable<CapsSection> sections)
    {
        var text = new StringBuilder();
        foreach (CapsSection section in sections)
        {
            text.AppendLine($"{section.Name}:");
            foreach (CapsItem item in section.Items) text.AppendLine($"  {item.Name}: {item.ValueText}");
        }
        return text.ToString();
    }

    /// <summary>{"section": {"name": value, ...}, ...} written with Utf8JsonWriter (no reflection, AOT-safe).</summary>
    public static string Json(IEnumerable<CapsSection> sections)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            foreach (CapsSection section in sections)
            {
                json.WriteStartObject(section.Name);
                foreach (CapsItem item in section.Items)
                {
                    if (item.Flag is bool f) json.WriteBoolean(item.Name, f);
                    else if (item.Number is long n) json.WriteNumber(item.Name, n);
                    else json.WriteString(item.Name, item.Text);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
