namespace MiniVmm.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("minivmm: not yet wired");
        return 1;
    }
}
