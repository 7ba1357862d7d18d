using System.CommandLine;
using System.Diagnostics;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Commands;
using MiniVmm.Rss.Packets;

namespace MiniVmm.UnitTests.Cli;

/// <summary>
/// The System.CommandLine tree: POSIX bundling and --name=value, generated help with an example per
/// command, usage errors as one line, and bash completion through the [suggest] directive.
/// </summary>
public sealed class CommandLineTests
{
    private static readonly string Frame = Convert.ToHexString(new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Tcp(1000, 80).Build());

    private static (int Code, string Out, string Err) Invoke(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = MinivmmCommandLine.Invoke(args, new CliConsole(new StringReader(""), output, errors));
        return (code, output.ToString(), errors.ToString());
    }

    [Fact]
    public void Bundled_short_options_and_name_equals_value_mean_the_same_as_the_long_forms()
    {
        var longForm = Invoke("rss", "--json", "--table", "0,1,2,3", "--frame", Frame);
        Assert.Equal(0, longForm.Code);
        Assert.Contains("\"queue\":", longForm.Out);
        Assert.Equal(longForm, Invoke("rss", "-jt", "0,1,2,3", "-f", Frame));
        Assert.Equal(longForm, Invoke("rss", "-jt0,1,2,3", $"--frame={Frame}"));
        Assert.Equal(longForm, Invoke("rss", "--table=0,1,2,3", "-j", "--frame", Frame));
    }

    [Theory]
    [InlineData(new[] { "rss", "-xj", "--frame", "00" }, "minivmm rss: unknown option -xj")]
    [InlineData(new[] { "rss", "-jx", "--frame", "00" }, "minivmm rss: unexpected argument 'x'")]
    [InlineData(new[] { "rss", "--table", "0,1", "--table", "0", "--frame", "00" }, "minivmm rss: option --table given more than once")]
    [InlineData(new[] { "steer-test", "--queues" }, "minivmm: option --queues needs a value")]
    [InlineData(new[] { "steer-test", "--queues", "17" }, "minivmm: --queues 17: must be a whole number from 1 to 16")]
    [InlineData(new[] { "steer-test", "-s", "fast" }, "minivmm: --steering fast: must be one of auto, ebpf, software")]
    [InlineData(new[] { "steer-test", "--queues", "2", "--table", "0,1,2,3" }, "minivmm: --table: queue 2 does not exist with --queues 2")]
    [InlineData(new[] { "help", "fly" }, "minivmm: no help for 'fly'")]
    [InlineData(new[] { "completion", "fish" }, "minivmm: completion fish: only bash is supported")]
    [InlineData(new[] { "--frob" }, "minivmm: unknown option --frob")]
    [InlineData(new[] { "ctl" }, "minivmm: Required argument 'PATH' missing")]
    [InlineData(new[] { "ctl", "/run/vm0.sock" }, "minivmm: ctl PATH needs a request: info, counters, rss, link up or link down")]
    [InlineData(new[] { "ctl", "/run/vm0.sock", "reboot" }, "minivmm: unexpected argument 'reboot'")]
    [InlineData(new[] { "ctl", "/run/vm0.sock", "link" }, "minivmm: Required argument 'up|down' missing")]
    [InlineData(new[] { "ctl", "/run/vm0.sock", "link", "sideways" }, "minivmm: ctl link sideways: the state is up or down")]
    [InlineData(new[] { "ctl", "/run/vm0.sock", "info", "--yaml" }, "minivmm: unknown option --yaml")]
    [InlineData(new[] { "@args.txt" }, "minivmm: unknown command '@args.txt'")] // no response files
    public void Usage_errors_are_one_line_and_exit_2(string[] args, string start)
    {
        var r = Invoke(args);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Out);
        Assert.StartsWith(start, Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void The_command_list_names_every_command()
    {
        var r = Invoke("--help");
        Assert.Equal(0, r.Code);
        RootCommand root = MinivmmCommandLine.Build(new CliConsole(TextReader.Null, TextWriter.Null, TextWriter.Null));
        string[] expected = ["run", "steer-test", "rss", "caps", "vhost-user-net", "ctl", "completion", "help"];
        Assert.Equal(expected.Order(), root.Subcommands.Select(c => c.Name).Order());
        foreach (string name in expected) Assert.Matches($"(?m)^  {name}\\b", r.Out);
        Assert.Equal(r, Invoke());        // bare minivmm prints the same list
        Assert.Equal(r, Invoke("help"));
    }

    [Theory]
    [InlineData("run")]
    [InlineData("steer-test")]
    [InlineData("rss")]
    [InlineData("caps")]
    [InlineData("ctl")]
    [InlineData("completion")]
    [InlineData("help")]
    public void Every_command_has_generated_help_with_an_example(string command)
    {
        var r = Invoke(command, "--help");
        Assert.Equal(0, r.Code);
        Assert.Equal(r, Invoke("help", command));
        Assert.Matches($"(?m)^Usage:\n  \\S+ {command} [<\\[]", r.Out);   // generated (the program's own name first)
        string examples = r.Out[(r.Out.IndexOf("\nExamples:\n", StringComparison.Ordinal) + 1)..];
        Assert.Matches($"(?m)^  (\\S+=\\S+ )?(eval \"\\$\\()?minivmm {command}\\b", examples);
    }

    [Fact]
    public void Declared_defaults_appear_in_help()
    {
        string run = Invoke("run", "--help").Out;
        Assert.Contains("[default: 1]", run);          // --cpus
        Assert.Contains("[default: 512M]", run);       // --memory
        Assert.Contains("[default: console=ttyS0]", run);
        string steer = Invoke("steer-test", "--help").Out;
        Assert.Contains("[default: 4]", steer);
        Assert.Contains("[default: auto]", steer);
    }

    [Fact]
    public void Version_prints_minivmm_and_the_version()
    {
        Assert.Equal((0, $"minivmm {MinivmmCommandLine.Version}\n", ""), Invoke("--version"));
        Assert.Equal((0, $"minivmm {MinivmmCommandLine.Version}\n", ""), Invoke("-V"));
    }

    /// <summary>The script `minivmm completion bash` prints, run by bash as completion runs it, asks the binary itself.</summary>
    [Theory]
    [InlineData("minivmm st", "steer-test")]
    [InlineData("minivmm steer-test --hash-report o", "off,on")]
    [InlineData("minivmm steer-test --steering ebpf", "ebpf,ebpf-hybrid,ebpf-kfuncs")]
    [InlineData("minivmm rss --eng", "--engine")]
    [InlineData("minivmm completion ", "--help,-h,bash")]
    [InlineData("minivmm help ca", "caps")]
    [InlineData("minivmm ctl /run/vm0.sock link ", "--help,--json,-h,-j,down,up")]
    public void Bash_completion_offers_what_the_declarations_allow(string line, string expected)
    {
        var script = Invoke("completion", "bash");
        Assert.Equal(0, script.Code);
        string words = string.Join(' ', line.Split(' ').Select(w => $"'{w}'"));
        string bash = $$"""
            {{script.Out}}
            COMP_LINE='{{line}}'; COMP_POINT={{line.Length}}; COMP_WORDS=({{words}}); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMP_WORDS[0]='{{CliProcess.Path}}'
            _minivmm_complete
            IFS=,; echo "${COMPREPLY[*]}"
            """;
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(start)!;
        p.StandardInput.Write(bash);
        p.StandardInput.Close();
        string output = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "bash did not finish");
        Assert.Equal(expected, output.Trim());
    }
}
