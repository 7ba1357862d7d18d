using MiniVmm.Fuzzing;
using SharpFuzz;

// MiniVmm.Fuzzing: the fuzz targets' entry point (docs/FUZZING.md).
//   list                          targets and their oracles
//   names                         target names, one a line (for ./build.sh fuzz)
//   afl TARGET                    serve afl-fuzz (SharpFuzz's persistent loop; input on stdin)
//   replay TARGET [FILE|DIR...]   run files (default: the target's corpus and saved crashes)
//   random TARGET [COUNT [SEED]]  a fixed-seed pass of COUNT mutations of the corpus
//   seeds [TARGET]                (re)write the seed corpora under tests/MiniVmm.Fuzzing/Corpus
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: MiniVmm.Fuzzing list | names | afl TARGET | replay TARGET [FILE|DIR...] | random TARGET [COUNT [SEED]] | seeds [TARGET]");
    return 2;
}
switch (args[0])
{
    case "list":
        foreach (string name in FuzzTargets.Names)
        {
            using IFuzzTarget t = FuzzTargets.Create(name);
            Console.WriteLine($"{name}: {t.Oracle}");
        }
        return 0;
    case "names":
        foreach (string name in FuzzTargets.Names) Console.WriteLine(name);
        return 0;
    case "afl" when args.Length == 2:
    {
        // Instrumented code may run only once Fuzzer.Run has set up the coverage map, so the target
        // is created in the first execution (SharpFuzz runs that one before it reports to afl-fuzz).
        IFuzzTarget? target = null;
        var buffer = new MemoryStream();
        Fuzzer.Run(stream =>
        {
            target ??= FuzzTargets.Create(args[1]);
            buffer.SetLength(0);
            stream.CopyTo(buffer);
            target.Run(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        });
        target?.Dispose();
        return 0;
    }
    case "replay" when args.Length >= 2:
    {
        using IFuzzTarget target = FuzzTargets.Create(args[1]);
        IEnumerable<string> paths = args.Length > 2 ? args[2..] : [RepositoryPaths.Corpus(args[1]), RepositoryPaths.Crashes(args[1])];
        List<string> files = [.. paths.SelectMany(p => Directory.Exists(p) || args.Length == 2 ? FuzzRunner.Files(p) : [p])];
        List<string> failures = FuzzRunner.Replay(target, files);
        foreach (string f in failures) Console.WriteLine(f);
        Console.WriteLine($"{args[1]}: {files.Count} inputs, {failures.Count} failed; outcomes: {target.Outcomes}");
        return failures.Count == 0 ? 0 : 1;
    }
    case "random" when args.Length >= 2:
    {
        int count = args.Length > 2 ? int.Parse(args[2]) : 10_000;
        int seed = args.Length > 3 ? int.Parse(args[3]) : 1;
        using IFuzzTarget target = FuzzTargets.Create(args[1]);
        byte[][] corpus = [.. FuzzRunner.Files(RepositoryPaths.Corpus(args[1])).Select(File.ReadAllBytes)];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        List<string> failures = FuzzRunner.RunMutations(target, corpus, seed, count);
        foreach (string f in failures) Console.WriteLine(f);
        Console.WriteLine($"{args[1]}: {count} mutations (seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s, {failures.Count} failed; outcomes: {target.Outcomes}");
        return failures.Count == 0 ? 0 : 1;
    }
    case "seeds":
        foreach (string name in args.Length > 1 ? args[1..] : FuzzTargets.Names)
        {
            int written = SeedCorpus.Write(name, RepositoryPaths.Corpus(name));
            Console.WriteLine($"{name}: {written} seeds in {RepositoryPaths.Corpus(name)}");
        }
        return 0;
    default:
        Console.Error.WriteLine($"MiniVmm.Fuzzing: unknown command '{string.Join(' ', args)}' (try --help)");
        return 2;
}
