
namespace MiniVmm.UnitTests.Cli;

/// <summary>A temporary, minimal x86-64 ELF64 executable (one PT_LOAD at 1 MiB, a single hlt): what the loader recognises.</summary>
public sealed class TestKernelFile : IDisposable
{
    public TestKernelFile()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"minivmm-test-kernel-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(Path, TinyGuestImage.Elf([0xF4])); // hlt
    }

    public string Path { get; }

    public void Dispose() => File.Delete(Path);
}
