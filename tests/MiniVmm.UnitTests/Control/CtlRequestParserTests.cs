using System.Text;
using MiniVmm.Control.Protocol;

namespace MiniVmm.UnitTests.Control;

/// <summary>The control socket's request parser: every valid request, and every way a line can be wrong, with the error code it gets.</summary>
public sealed class CtlRequestParserTests
{
    private static (ControlRequest? Request, ControlError? Error) Parse(string line) => Parse(Encoding.UTF8.GetBytes(line));

    private static (ControlRequest? Request, ControlError? Error) Parse(byte[] line)
    {
        bool ok = ControlRequestParser.TryParse(line, out ControlRequest? request, out ControlError? error);
        Assert.Equal(ok, request is not null);
        Assert.Equal(!ok, error is not null);
        return (request, error);
    }

    [Theory]
    [InlineData("""{"command":"info"}""", "info", null)]
    [InlineData("""{"command":"counters"}""", "counters", null)]
    [InlineData("""{"command":"rss"}""", "rss", null)]
    [InlineData("""{"command":"link","state":"up"}""", "link", "up")]
    [InlineData("""{"state":"down","command":"link"}""", "link", "down")]
    [InlineData("""  { "command" : "info" }  """, "info", null)]
    [InlineData("""{"command":"info","state":null}""", "info", null)]
    public void Valid_requests_parse_to_their_command_and_state(string line, string command, string? state)
    {
        var (request, _) = Parse(line);
        Assert.Equal(command, request!.Command);
        Assert.Equal(state, request.State);
    }

    [Theory]
    [InlineData("hello", ControlError.Malformed)]
    [InlineData("", ControlError.Malformed)]
    [InlineData("[]", ControlError.Malformed)]
    [InlineData("5", ControlError.Malformed)]
    [InlineData("\"info\"", ControlError.Malformed)]
    [InlineData("null", ControlError.Malformed)]
    [InlineData("{}", ControlError.Malformed)]
    [InlineData("{\"command\":\"info\"", ControlError.Malformed)]
    [InlineData("""{"command":"info"} {"command":"rss"}""", ControlError.Malformed)]
    [InlineData("""{"command":5}""", ControlError.Malformed)]
    [InlineData("""{"command":["info"]}""", ControlError.Malformed)]
    [InlineData("""{"command":"info","verbose":true}""", ControlError.Malformed)]
    [InlineData("""{"command":"info","command":"rss"}""", ControlError.Malformed)]
    [InlineData("""{"command":"info",}""", ControlError.Malformed)]
    [InlineData("""{"Command":"info"}""", ControlError.Malformed)]
    [InlineData("""{"command":"frob"}""", ControlError.UnknownCommand)]
    [InlineData("""{"command":"INFO"}""", ControlError.UnknownCommand)]
    [InlineData("""{"command":""}""", ControlError.UnknownCommand)]
    [InlineData("""{"command":"link"}""", ControlError.BadArgument)]
    [InlineData("""{"command":"link","state":"sideways"}""", ControlError.BadArgument)]
    [InlineData("""{"command":"link","state":"UP"}""", ControlError.BadArgument)]
    [InlineData("""{"command":"rss","state":"up"}""", ControlError.BadArgument)]
    public void Bad_requests_get_the_error_code_for_what_is_wrong(string line, string code)
    {
        var (_, error) = Parse(line);
        Assert.Equal(code, error!.Code);
        Assert.DoesNotContain('\n', error.Message);
        Assert.DoesNotContain("MiniVmm.", error.Message); // no .NET type names for clients
    }

    [Fact]
    public void Invalid_utf8_is_malformed()
    {
        Assert.Equal(ControlError.Malformed, Parse([0xFF, 0xFE, (byte)'{', (byte)'}']).Error!.Code);
        Assert.Equal(ControlError.Malformed, Parse([.. "{\"command\":\""u8, 0xC3, .. "\"}"u8]).Error!.Code);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_it_costs_anything()
    {
        string deep = "{\"command\":\"info\",\"x\":" + new string('[', 1000) + new string(']', 1000) + "}";
        Assert.Equal(ControlError.Malformed, Parse(deep).Error!.Code);
    }

    [Fact]
    public void A_line_over_the_limit_is_too_long_and_one_at_the_limit_is_parsed()
    {
        string padded = "{\"command\":\"info\"}".PadRight(ControlRequestParser.MaxRequestBytes);
        Assert.Equal("info", Parse(padded).Request!.Command);
        Assert.Equal(ControlError.TooLong, Parse(padded + " ").Error!.Code);
    }

    [Fact]
    public void An_unknown_command_is_named_and_clipped_in_the_message()
    {
        var (_, error) = Parse("{\"command\":\"" + new string('z', 500) + "\"}");
        Assert.Contains("\"" + new string('z', 40) + "...\"", error!.Message);
        Assert.True(error.Message.Length < 200, error.Message);
        Assert.Contains("known: info, counters, rss, link", error.Message);
    }

    [Fact]
    public void The_requests_the_client_sends_are_the_documented_lines_and_parse_back()
    {
        // docs/CONTROL.md shows these lines.
        Assert.Equal("""{"command":"info"}""", ControlRequest.Info.ToJson());
        Assert.Equal("""{"command":"counters"}""", ControlRequest.Counters.ToJson());
        Assert.Equal("""{"command":"rss"}""", ControlRequest.Rss.ToJson());
        Assert.Equal("""{"command":"link","state":"down"}""", ControlRequest.Link(false).ToJson());
        Assert.Equal("""{"command":"link","state":"up"}""", ControlRequest.Link(true).ToJson());
        foreach (ControlRequest r in new[] { ControlRequest.Info, ControlRequest.Counters, ControlRequest.Rss, ControlRequest.Link(true) })
        {
            Assert.Equal(r, Parse(r.ToJson()).Request);
        }
    }
}
