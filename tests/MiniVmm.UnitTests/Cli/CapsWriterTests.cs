using System.Text.Json;
using MiniVmm.Cli.Caps;

namespace MiniVmm.UnitTests.Cli;

public sealed class CapsWriterTests
{
    private static readonly CapsSection[] Sections =
    [
        new("kvm", [CapsItem.Of("available", true), CapsItem.Of("api_version", 12), CapsItem.Of("error", "say \"why\"\n")]),
        new("tap", [CapsItem.Of("multi_queue", false)]),
    ];

    [Fact]
    public void Json_is_one_object_with_a_member_per_section_and_typed_values()
    {
        using var doc = JsonDocument.Parse(CapsWriter.Json(Sections));
        JsonElement kvm = doc.RootElement.GetProperty("kvm");
        Assert.Equal(JsonValueKind.True, kvm.GetProperty("available").ValueKind);
        Assert.Equal(12, kvm.GetProperty("api_version").GetInt32());
        Assert.Equal("say \"why\"\n", kvm.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.False, doc.RootElement.GetProperty("tap").GetProperty("multi_queue").ValueKind);
    }

    [Fact]
    public void Text_has_a_line_per_fact_under_its_section()
    {
        string[] lines = CapsWriter.Text(Sections).TrimEnd().Split('\n');
        Assert.Equal(["kvm:", "  available: yes", "  api_version: 12", "  error: say \"why\"", "", "tap:", "  multi_queue: no"], lines);
    }
}
