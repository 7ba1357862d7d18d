namespace MiniVmm.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        return args.FirstOrDefault() switch
        {
            "rss" => RssBenchmark.Run(args),
            _ => Usage(),
        };
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: MiniVmm.Benchmarks <name>");
        return 2;
    }
}
