using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// A terminal switched to raw input (no echo, no line editing, no CR translation or flow control;
/// ISIG stays on so Ctrl-C still signals), and the settings to restore. Dispose restores them.
/// </summary>
public sealed unsafe class TerminalMode : IDisposable
{
    private readonly int _fd;
    private readonly termios _saved;
    private bool _restored;

    private TerminalMode(int fd, termios saved)
    {
        _fd = fd;
        _saved = saved;
    }

    /// <summary>True when <paramref name="fd"/> is a terminal.</summary>
    public static bool IsTerminal(int fd) => LibC.isatty(fd) == 1;

    /// <summary>Switches <paramref name="fd"/> to raw input; null when it is not a terminal or refuses.</summary>
    public static TerminalMode? EnterRaw(int fd)
    {
        termios saved;
        // Safe: the termios structs are locals the calls fill or read in full.
        if (LibC.tcgetattr(fd, &saved) != 0) return null;
        termios raw = saved;
        raw.c_lflag &= ~(uint)(LibC.ICANON | LibC.ECHO | LibC.IEXTEN);
        raw.c_iflag &= ~(uint)(LibC.ICRNL | LibC.IXON);
        raw.c_cc[LibC.VMIN] = 1;
        raw.c_cc[LibC.VTIME] = 0;
        return LibC.tcsetattr(fd, (int)LibC.TCSANOW, &raw) == 0 ? new TerminalMode(fd, saved) : null;
    }

    public void Dispose()
    {
        if (_restored) return;
        _restored = true;
        termios saved = _saved;
        // Safe: a local copy of the saved termios.
        LibC.tcsetattr(_fd, (int)LibC.TCSANOW, &saved);
    }
}
