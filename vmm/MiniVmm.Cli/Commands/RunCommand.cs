using MiniVmm.Cli.Configuration;
using MiniVmm.Machine;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Net;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm run: validate every setting, build the machine, run it, return the guest's status.</summary>
public static class RunCommand
{
    private const string NetworkOptionsHelp = NetOptionParser.Help;

    public const string HelpText =
        $$"""
        usage: minivmm run --kernel FILE [OPTIONS]

        Boots FILE (an ELF vmlinux, a bzImage, or the MiniVmm probe) in 64-bit mode with the
        serial console on stdout (and stdin, when it is a terminal; Ctrl-C stops the VM).

        options (also settable as JSON keys in --config FILE, or as MINIVMM_<NAME> variables;
        the command line wins over the environment, which wins over the file):
          --kernel FILE     guest kernel (required)
          --initrd FILE     initial ramdisk
          --cmdline TEXT    kernel command line (default: console=ttyS0)
          --cpus N          vCPUs, 1 to 64 (default: 1)
          --memory SIZE     guest RAM: K, M or G suffix, bare number = MiB (default: 512M); up to what the
                            host has free (MemAvailable + SwapFree) and RLIMIT_AS/RLIMIT_DATA allow;
                            the first 3G sit below 4 GiB, the rest from 4 GiB up
          --config FILE     JSON file with any of the settings above, e.g. {"kernel": "vmlinux", "cpus": 2}
        {{NetworkOptionsHelp}}
        environment: MINIVMM_DEBUG=1 logs unclaimed port/MMIO accesses on stderr.
        exit status:
          0        the guest powered off (ACPI), halted every CPU, or reset (0xCF9, i8042, ACPI reset)
          (v<<1)|1 the guest wrote v to port 0x501 (isa-debug-exit)
          1        the guest triple-faulted, KVM could not run it (e.g. KVM_EXIT_INTERNAL_ERROR), or a
                   host failure; one line on stderr says which
          2        bad input (nothing was started)
          4        the guest kernel panicked (pvpanic, port 0x505); a line on stderr says so
          128+N    stopped by signal N (SIGINT, SIGTERM)

        """;

    public static int Execute(string[] args)
    {
        if (args.Length > 0 && args[0] is "--help" or "-h") { Console.Out.Write(HelpText); return ExitCodes.Success; }
        RunSettings settings;
        try
        {
            settings = RunSettingsReader.Read(args);
        }
        catch (UsageException e)
        {
            return ExitCodes.Usage(e.Message);
        }
        MachineLog.DebugEnabled = settings.Debug;

        Machine.Machine machine;
        try
        {
            machine = Machine.Machine.Create(new MachineOptions
            {
                KernelPath = settings.KernelPath,
                InitrdPath = settings.InitrdPath,
                CommandLine = settings.CommandLine,
                CpuCount = settings.CpuCount,
                MemoryBytes = settings.MemoryBytes,
            });
        }
        catch (BootImageException e)
        {
            return ExitCodes.Usage(e.Message); // e.g. an image too big for --memory
        }
        catch (Exception e)
        {
            return ExitCodes.Failure($"cannot create the VM: {e.Message}");
        }

        using (machine)
        {
            if (settings.Net is NetworkOptions net)
            {
                try
                {
                    VirtioNetAttachment nic = VirtioNetAttachment.Create(machine, net);
                    Console.Error.WriteLine($"minivmm: net0: tap {nic.Tap.Name}, {nic.Tap.Queues.Count} queue pairs; {nic.Steering.LogLine}");
                }
                catch (TapException e)
                {
                    return ExitCodes.Usage(e.Message);
                }
                catch (SteeringUnavailableException e)
                {
                    return ExitCodes.Usage(e.Message); // the user asked for a back end this host cannot give
                }
                catch (Exception e)
                {
                    return ExitCodes.Failure($"cannot create the network card: {e.Message}");
                }
            }
            int status;
            try
            {
                status = machine.Run();
            }
            catch (Exception e)
            {
                return ExitCodes.Failure(e.Message);
            }
            if (machine.Stop.Error is string error) return ExitCodes.Failure(error);
            if (machine.Stop.Notice is string notice) Console.Error.WriteLine($"minivmm: {notice}");
            return status;
        }
    }
}
