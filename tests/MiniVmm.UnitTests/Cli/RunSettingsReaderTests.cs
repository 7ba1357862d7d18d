using MiniVmm.Cli.Configuration;

namespace MiniVmm.UnitTests.Cli;

/// <summary>
/// Settings precedence (JSON file &lt; MINIVMM_* environment &lt; command line) and validation.
/// These tests set process environment variables, so they all live in this one class (xunit runs
/// a class's tests one at a time) and restore them afterwards.
/// </summary>
public sealed class RunSettingsReaderTests : IDisposable
{
    private static readonly string[] Variables = ["MINIVMM_KERNEL", "MINIVMM_CPUS", "MINIVMM_MEMORY", "MINIVMM_CMDLINE", "MINIVMM_CONFIG", "MINIVMM_INITRD", "MINIVMM_DEBUG", "MINIVMM_NET", "MINIVMM_API_SOCKET"];
    private readonly Dictionary<string, string?> _saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);
    private readonly TestKernelFile _kernel = new();
    private readonly string _json = Path.Combine(Path.GetTempPath(), $"minivmm-test-{Guid.NewGuid():N}.json");

    public RunSettingsReaderTests()
    {
        foreach (string v in Variables) Environment.SetEnvironmentVariable(v, null);
    }

    public void Dispose()
    {
        foreach (var (name, value) in _saved) Environment.SetEnvironmentVariable(name, value);
        _kernel.Dispose();
        File.Delete(_json);
    }

    private string WriteJson(string text)
    {
        File.WriteAllText(_json, text);
        return _json;
    }

    [Fact]
    public void Defaults_are_one_cpu_512M_and_a_serial_console()
    {
        RunSettings s = RunSettingsReader.Read(["--kernel", _kernel.Path]);
        Assert.Equal(1, s.CpuCount);
        Assert.Equal(512UL << 20, s.MemoryBytes);
        Assert.Equal("console=ttyS0", s.CommandLine);
        Assert.Null(s.InitrdPath);
    }

    [Fact]
    public void Json_file_alone_supplies_settings()
    {
        string json = WriteJson($$"""{ "kernel": "{{_kernel.Path}}", "cpus": 3, "memory": "1G", "cmdline": "from json" }""");
        RunSettings s = RunSettingsReader.Read(["--config", json]);
        Assert.Equal((3, 1UL << 30, "from json"), (s.CpuCount, s.MemoryBytes, s.CommandLine));
    }

    [Fact]
    public void Environment_overrides_json_and_command_line_overrides_both()
    {
        string json = WriteJson($$"""{ "kernel": "{{_kernel.Path}}", "cpus": 3, "memory": "1G", "cmdline": "from json" }""");
        Environment.SetEnvironmentVariable("MINIVMM_CPUS", "2");
        Environment.SetEnvironmentVariable("MINIVMM_MEMORY", "256M");
        RunSettings s = RunSettingsReader.Read(["--config", json, "--memory=128M"]);
        Assert.Equal(2, s.CpuCount);               // env over JSON
        Assert.Equal(128UL << 20, s.MemoryBytes);  // command line over env
        Assert.Equal("from json", s.CommandLine);  // only JSON set it
    }

    [Fact]
    public void Config_file_can_come_from_the_environment()
    {
        string json = WriteJson($$"""{ "kernel": "{{_kernel.Path}}", "cpus": 4 }""");
        Environment.SetEnvironmentVariable("MINIVMM_CONFIG", json);
        Assert.Equal(4, RunSettingsReader.Read([]).CpuCount);
    }

    [Theory]
    [InlineData("--memory", "0", "--memory 0: must be more than 0")]
    [InlineData("--memory", "lots", "--memory lots: not a size (examples: 512M, 2G, 262144K)")]
    [InlineData("--memory", "4097K", "--memory 4097K: must be a multiple of 4K")]
    [InlineData("--cpus", "0", "--cpus 0: must be a whole number from 1 to 64")]
    [InlineData("--cpus", "65", "--cpus 65: must be a whole number from 1 to 64")]
    [InlineData("--cpus", "two", "--cpus two: must be a whole number from 1 to 64")]
    [InlineData("--frob", "1", "unknown option --frob (see: minivmm run --help)")]
    public void Bad_values_give_one_line_naming_the_problem(string option, string value, string expected)
    {
        var e = Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", _kernel.Path, option, value]));
        Assert.Equal(expected, e.Message);
    }

    [Fact]
    public void Memory_beyond_what_the_host_can_give_is_one_line_naming_the_limit()
    {
        // 2^50 bytes: more than any host these tests run on has, RAM and swap together.
        var e = Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", _kernel.Path, "--memory", "1048576G"]));
        Assert.Matches(@"^--memory 1048576G: more than this host can give a guest now \(at most \d+M: [^\n]+\)$", e.Message);
        Assert.Equal(6UL << 30, RunSettingsReader.Read(["--kernel", _kernel.Path, "--memory", "6G"]).MemoryBytes); // above 3G is fine
    }

    [Fact]
    public void Bad_values_from_the_environment_are_caught_too()
    {
        Environment.SetEnvironmentVariable("MINIVMM_CPUS", "0");
        var e = Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", _kernel.Path]));
        Assert.Equal("--cpus 0: must be a whole number from 1 to 64", e.Message);
    }

    [Fact]
    public void Kernel_problems_are_usage_errors()
    {
        Assert.Equal("no kernel given: use --kernel FILE", Assert.Throws<UsageException>(() => RunSettingsReader.Read([])).Message);
        Assert.Contains("no such file", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", "/nonexistent/vmlinux"])).Message);
        string notKernel = WriteJson("{}");
        Assert.Contains("not a Linux kernel", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", notKernel])).Message);
    }

    [Fact]
    public void Missing_or_malformed_config_files_are_usage_errors()
    {
        Assert.Contains("no such file", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--config", "/nonexistent.json"])).Message);
        string json = WriteJson("{ \"kernel\": ");
        Assert.StartsWith($"config file {json}: not valid JSON", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--config", json])).Message);
    }

    [Fact]
    public void Option_shapes_are_checked()
    {
        Assert.Equal("option --kernel needs a value", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel"])).Message);
        Assert.StartsWith("unexpected argument 'stray'", Assert.Throws<UsageException>(() => RunSettingsReader.Read(["stray"])).Message);
        Assert.Equal(" a = b ", RunSettingsReader.ParseOptions(["--cmdline", " a = b "])["cmdline"]);
        Assert.Equal("root=/dev/vda console=ttyS0", RunSettingsReader.ParseOptions(["--cmdline=root=/dev/vda console=ttyS0"])["cmdline"]);
    }

    /// <summary>
    /// --cpus, --memory and --cmdline declare defaults (help shows them), yet only options the user
    /// gave form the command-line layer: a declared default must never hide the file or the environment.
    /// </summary>
    [Fact]
    public void Declared_defaults_never_override_the_file_or_the_environment()
    {
        var declared = new RunOptions();
        Assert.Contains("[default: 1]", declared.Cpus.Option.Description);
        Assert.Contains("[default: 512M]", declared.Memory.Option.Description);
        Assert.Contains("[default: console=ttyS0]", declared.CommandLine.Option.Description);

        string json = WriteJson($$"""{ "kernel": "{{_kernel.Path}}", "cpus": 3, "cmdline": "from json" }""");
        Environment.SetEnvironmentVariable("MINIVMM_MEMORY", "64M");
        RunSettings s = RunSettingsReader.Read(["--config", json]);
        Assert.Equal(3, s.CpuCount);              // the file, not the declared 1
        Assert.Equal(64UL << 20, s.MemoryBytes);  // the environment, not the declared 512M
        Assert.Equal("from json", s.CommandLine);
        Assert.Empty(RunSettingsReader.ParseOptions(["--config", json]));   // the command-line layer is empty
        Assert.Equal(2, RunSettingsReader.Read(["--config", json, "--cpus", "2"]).CpuCount);
    }

    [Fact]
    public void Api_socket_comes_from_any_layer_and_needs_a_network_card()
    {
        string json = WriteJson($$"""{ "kernel": "{{_kernel.Path}}", "net": "tap=mv0", "api-socket": "/run/from-json.sock" }""");
        Assert.Equal("/run/from-json.sock", RunSettingsReader.Read(["--config", json]).ApiSocketPath);
        Assert.Equal("/run/cli.sock", RunSettingsReader.Read(["--config", json, "--api-socket", "/run/cli.sock"]).ApiSocketPath);
        Assert.Null(RunSettingsReader.Read(["--kernel", _kernel.Path]).ApiSocketPath);
        Environment.SetEnvironmentVariable("MINIVMM_API_SOCKET", "/run/from-env.sock"); // a variable cannot hold '-'
        Assert.Equal("/run/from-env.sock", RunSettingsReader.Read(["--config", json]).ApiSocketPath);
        Assert.Equal("/run/cli.sock", RunSettingsReader.Read(["--config", json, "--api-socket", "/run/cli.sock"]).ApiSocketPath);
        Environment.SetEnvironmentVariable("MINIVMM_API_SOCKET", null);

        Assert.Equal("--api-socket /run/vm.sock: needs --net (the control socket reports on the network card)",
            Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", _kernel.Path, "--api-socket", "/run/vm.sock"])).Message);
        string tooLong = "/run/" + new string('s', 110);
        Assert.Equal($"--api-socket {tooLong}: 115 bytes, a socket path has at most 107",
            Assert.Throws<UsageException>(() => RunSettingsReader.Read(["--kernel", _kernel.Path, "--net", "tap=mv0", "--api-socket", tooLong])).Message);
    }
}
