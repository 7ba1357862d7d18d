using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniVmm.Control.Protocol;

/// <summary>
/// The protocol's JSON, generated at compile time (no reflection: the product binary is
/// NativeAOT): snake_case member names, absent members instead of nulls, duplicate members refused,
/// and a nesting limit no valid request comes near. Use <see cref="Wire"/>.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowDuplicateProperties = false,
    MaxDepth = 8)]
[JsonSerializable(typeof(ControlRequest))]
[JsonSerializable(typeof(ControlAnswer))]
public sealed partial class ControlJson : JsonSerializerContext
{
    private static ControlJson? s_wire;

    /// <summary>
    /// The context every answer and request is written and read with: as <see cref="Default"/>,
    /// but characters such as ' and + are written as they are instead of as \u0027 (the answers
    /// go to people and scripts, never into HTML). Built on first use: a static initializer here
    /// could run before the generated one that sets <see cref="Default"/>.
    /// </summary>
    public static ControlJson Wire => s_wire ??= new ControlJson(new JsonSerializerOptions(Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
