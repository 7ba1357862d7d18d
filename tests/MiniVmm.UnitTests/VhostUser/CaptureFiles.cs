using MiniVmm.Testing.VhostUser;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>The recorded front-end sessions in Captures/ (each file says how it was recorded).</summary>
internal static class CaptureFiles
{
    public const string Uml = "uml-6.1-insmod-rmmod-insmod.txt";
    public const string Qemu = "qemu-7.2-probe-2pairs.txt";
    public const string QemuGuestReset = "qemu-7.2-probe-guest-reset.txt";

    public static VhostUserCapture Load(string name) =>
        VhostUserCapture.Load(Path.Combine(AppContext.BaseDirectory, "VhostUser", "Captures", name));
}
