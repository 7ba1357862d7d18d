using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Configuration;
using MiniVmm.Control;
using MiniVmm.Machine;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Net;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm run: validate every setting, build the machine, run it, return the guest's status.</summary>
public static class RunCommand
{
    public static DocumentedCommand Create(CliConsole console)
    {
        var options = new RunOptions();
        var command = new DocumentedCommand("run", "boot a guest kernel (ELF vmlinux, bzImage, or the probe) with a serial console on stdout and a virtio-net card",
            [
                "minivmm run --kernel out/guest-images/probe.elf --cmdline exit=0",
                "minivmm run -k out/guest-images/vmlinux -m 256M --cmdline \"console=ttyS0 earlyprintk=serial,ttyS0\"",
                "minivmm run --kernel vmlinux --net tap=mv0,queues=4,steering=ebpf",
                "MINIVMM_CPUS=2 minivmm run --config vm.json       # file < environment < options",
                "minivmm run -k probe.elf --net tap=mv0,queues=4 --api-socket /run/vm0.sock   # then: minivmm ctl /run/vm0.sock info",
            ],
            """
            The serial console is on stdout (and stdin, when it is a terminal; Ctrl-C stops the VM).
            Every option is also a JSON key in --config FILE and a MINIVMM_<NAME> variable (with '_'
            for '-': MINIVMM_API_SOCKET); the command line wins over the environment, which wins over
            the file. --api-socket PATH answers JSON requests on a Unix socket (docs/CONTROL.md).
            Environment: MINIVMM_DEBUG=1 logs unclaimed port/MMIO accesses on stderr.
            Exit status: the guest's (a write of v to port 0x501 gives (v << 1) | 1; reset gives 0),
            128+signal when stopped by SIGINT/SIGTERM, 2 for bad input, 1 for host failures.
            """);
        options.AddTo(command);
        command.SetAction(parse =>
        {
            try
            {
                return Execute(RunSettingsReader.Read(parse, options), console);
            }
            catch (UsageException e)
            {
                return ExitCodes.Usage(console.Error, e.Message);
            }
        });
        return command;
    }

    private static int Execute(RunSettings settings, CliConsole console)
    {
        MachineLog.DebugEnabled = settings.Debug;

        // First, so a path that cannot be a socket fails before a VM, a TAP or a thread exists.
        ControlSocket? api = null;
        if (settings.ApiSocketPath is string apiPath)
        {
            try
            {
                api = ControlSocket.Listen(apiPath);
            }
            catch (ControlSocketException e)
            {
                return ExitCodes.Usage(console.Error, e.Message);
            }
        }
        using (api)
        {
            return Execute(settings, console, api);
        }
    }

    private static int Execute(RunSettings settings, CliConsole console, ControlSocket? api)
    {
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
            return ExitCodes.Usage(console.Error, e.Message); // e.g. an image too big for --memory
        }
        catch (Exception e)
        {
            return ExitCodes.Failure(console.Error, $"cannot create the VM: {e.Message}");
        }

        using (machine)
        {
            try
            {
                return Run(settings, console, machine, api);
            }
            finally
            {
                api?.Dispose(); // before the machine and its NIC go: no request meets a disposed device
            }
        }
    }

    private static int Run(RunSettings settings, CliConsole console, Machine.Machine machine, ControlSocket? api)
    {
        if (settings.Net is NetworkOptions net)
        {
            VirtioNetAttachment nic;
            try
            {
                nic = VirtioNetAttachment.Create(machine, net);
                console.Error.WriteLine($"minivmm: net0: tap {nic.Tap.Name}, {nic.Tap.Queues.Count} queue pairs; {nic.Steering.LogLine}");
            }
            catch (TapException e)
            {
                return ExitCodes.Usage(console.Error, e.Message);
            }
            catch (SteeringUnavailableException e)
            {
                return ExitCodes.Usage(console.Error, e.Message); // the user asked for a back end this host cannot give
            }
            catch (Exception e)
            {
                return ExitCodes.Failure(console.Error, $"cannot create the network card: {e.Message}");
            }
            api?.Start(nic.Runtime, line => console.Error.WriteLine($"minivmm: {line}"));
        }
        int status;
        try
        {
            status = machine.Run();
        }
        catch (Exception e)
        {
            return ExitCodes.Failure(console.Error, e.Message);
        }
        return machine.Stop.Error is string error ? ExitCodes.Failure(console.Error, error) : status;
    }
}
