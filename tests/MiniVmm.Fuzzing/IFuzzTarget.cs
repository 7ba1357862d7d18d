namespace MiniVmm.Fuzzing;

/// <summary>
/// One fuzz target: a surface a hostile guest, network or front end can reach, driven by any byte
/// string, with an oracle that is more than "did not throw". <see cref="Run"/> returns normally when
/// the oracle holds and throws otherwise (an <see cref="OracleViolationException"/>, or whatever the
/// code under test let escape); under AFL++ a throw is a crash. One instance serves many inputs in
/// a row (AFL's persistent loop), so every run starts from the same state.
/// </summary>
public interface IFuzzTarget : IDisposable
{
    /// <summary>The name ./build.sh fuzz and the corpus directories use.</summary>
    string Name { get; }

    /// <summary>What the target checks, one line (for docs/FUZZING.md and `MiniVmm.Fuzzing list`).</summary>
    string Oracle { get; }

    void Run(ReadOnlySpan<byte> input);

    /// <summary>
    /// How many runs ended which way ("delivered", "failed AddressOutsideMemory", "self-modifying"...):
    /// shows whether the oracle's strong checks were reached, not just its weak ones.
    /// </summary>
    OutcomeCounts Outcomes { get; }
}
