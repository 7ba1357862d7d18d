using MiniVmm.Cli.SteerTest;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Machine.Boot;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm steer-test: prove every flow lands on the queue the virtio spec says, with the right hash.</summary>
public static class SteerTestCommand
{
    public const string HelpText =
        """
        usage: minivmm steer-test [OPTIONS]

        Creates a TAP with N queues, boots the probe guest on MiniVmm's virtio-net, sends a flow set
        from the host (IPv4/IPv6, TCP/UDP, VLAN and QinQ tags, IPv4 options and fragments, IPv6
        extension headers with home address and type-2 routing header, ICMP, ARP, many flows) and
        checks that every frame arrives on the queue RSS says (table[hash & mask], or the
        unclassified queue) with the hash and hash type the spec says. Exit 0 only if all match.

        options:
          --queues N          queue pairs, 1 to 16 (default 4)
          --frames N          about how many frames to send (default 1000)
          --steering MODE     auto, ebpf, software, ebpf-hybrid, ebpf-kfuncs, kernel (default auto)
          --hash-report on|off  negotiate hash report and check the reported hashes (default on)
          --key HEX           Toeplitz key, up to 40 bytes (default: the Microsoft verification key)
          --types MASK|NAMES  hash types (default all nine: 0x1ff)
          --table Q,Q,...     indirection table, power-of-two length up to 128 (default: 128 entries over the queues)
          --unclassified Q    queue for frames no hash type applies to (default 0)
          --table2 Q,...      a second table the probe switches to at run time; the flows are sent again
          --key2 HEX          a second key, likewise
          --tap NAME          TAP name (default mvst<pid>; created and removed)
          --probe FILE        the probe image (default: out/guest-images/probe.elf beside this binary)
          --timeout SECONDS   give up after this long (default 120)
          --json              one JSON object: frames, mismatches, per-queue counts, back end and why

        """;

    public static int Execute(string[] args)
    {
        SteerTestOptions options;
        try
        {
            options = SteerTestOptions.Parse(args);
            if (options.Help) { Console.Out.Write(HelpText); return ExitCodes.Success; }
            KernelLoader.Inspect(options.ProbePath ?? SteerTestRun.DefaultProbePath());
        }
        catch (FormatException e) { return ExitCodes.Usage(e.Message); }
        catch (BootImageException e) { return ExitCodes.Usage($"{e.Message} (build it with ./build.sh, or pass --probe FILE)"); }

        var run = new SteerTestRun(options, Console.Error);
        SteerTestResult result;
        try
        {
            result = run.Execute();
        }
        catch (TapException e) { return ExitCodes.Usage(e.Message); }
        catch (SteeringUnavailableException e) { return ExitCodes.Usage(e.Message); }
        catch (Exception e) { return ExitCodes.Failure($"steer-test: {e.Message}"); }

        if (options.Json) SteerTestRenderer.WriteJson(result, run.BackendName, run.BackendReason, Console.Out);
        else SteerTestRenderer.WriteTable(result, run.BackendReason, Console.Out);
        foreach (string error in run.Errors) Console.Error.WriteLine($"minivmm: steer-test: {error}");
        return result.Passed && run.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.HostFailure;
    }
}
