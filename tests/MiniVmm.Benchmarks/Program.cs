namespace MiniVmm.Benchmarks;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("usage: MiniVmm.Benchmarks <name>");
        return 2;
    }
}
