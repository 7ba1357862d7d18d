namespace MiniVmm.Machine;

/// <summary>Debug logging to stderr, off unless the CLI turns it on (MINIVMM_DEBUG / "debug" setting).</summary>
public static class MachineLog
{
    public static bool DebugEnabled { get; set; }

    public static void Debug(string message)
    {
        if (DebugEnabled) Console.Error.WriteLine($"minivmm: debug: {message}");
    }
}
