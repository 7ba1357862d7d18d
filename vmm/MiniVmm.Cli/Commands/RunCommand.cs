using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Configuration;
using MiniVmm.Control;
using MiniVmm.Machine;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Net;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;

using MiniVmm.VhostUser.FrontEnd;

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
            Exit status:
              0        the guest powered off (ACPI), halted every CPU, or reset (0xCF9, i8042, ACPI reset)
              (v<<1)|1 the guest wrote v to port 0x501 (isa-debug-exit)
              1        the guest triple-faulted, KVM could not run it (e.g. KVM_EXIT_INTERNAL_ERROR), or a
                       host failure; one line on stderr says which
              2        bad input (nothing was started)
              4        the guest kernel panicked (pvpanic, port 0x505); a line on stderr says so
              128+N    stopped by signal N (SIGINT, SIGTERM)
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
                // A vhost-user back end maps guest RAM itself: it must be a shared memfd.
                SharedMemory = settings.Net?.VhostUserPath is not null,
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
                if (settings.Net is NetworkOptions net && AttachNic(machine, net, console, api) is int failed)
                {
                    return failed;
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
                if (machine.Stop.Error is string error) return ExitCodes.Failure(console.Error, error);
                if (machine.Stop.Notice is string notice) console.Error.WriteLine($"minivmm: {notice}");
                return status;
            }
            finally
            {
                api?.Dispose(); // before the machine and its NIC go: no request meets a disposed device
            }
        }
    }

    /// <summary>Puts the card `--net` describes on the machine; returns the exit status when it cannot.</summary>
    private static int? AttachNic(Machine.Machine machine, NetworkOptions net, CliConsole console, ControlSocket? api)
    {
        try
        {
            if (net.VhostUserPath is string path)
            {
                VhostUserNetAttachment nic = VhostUserNetAttachment.Create(machine, net, line => console.Error.WriteLine($"minivmm: {line}"));
                console.Error.WriteLine($"minivmm: net0: vhost-user {path}, {nic.Device.Pairs.Count} queue pairs; "
                    + (nic.FrontEnd.BackendServesControlQueue ? "the back end serves the control queue" : "the VMM answers the control queue (MQ only)"));
            }
            else
            {
                VirtioNetAttachment nic = VirtioNetAttachment.Create(machine, net);
                string vhost = nic.Runtime.Vhost is { } kernel ? $"; {kernel.Summary}" : "";
                console.Error.WriteLine($"minivmm: net0: tap {nic.Tap.Name}, {nic.Tap.Queues.Count} queue pairs; {nic.Steering.LogLine}{vhost}");
                api?.Start(nic.Runtime, line => console.Error.WriteLine($"minivmm: {line}"));
            }
            return null;
        }
        catch (Exception e) when (e is TapException or SteeringUnavailableException or VhostBackendException or VhostNetUnavailableException)
        {
            return ExitCodes.Usage(console.Error, e.Message); // bad input: the TAP, the back end, the steering or the vhost-net asked for is not there
        }
        catch (Exception e)
        {
            return ExitCodes.Failure(console.Error, $"cannot create the network card: {e.Message}");
        }
    }
}
