using System.Runtime.CompilerServices;
using System.Diagnostics;
using System.Runtime.InteropServices;
using MiniVmm.Native.Unix;

namespace MiniVmm.UnitTests.Native;

/// <summary>
/// Pins the Unix-socket interop (msghdr, cmsghdr, iovec, sockaddr_un, SCM_RIGHTS, MSG_* flags,
/// memfd) against the C headers: a C program compiled with gcc at test time prints each value.
/// </summary>
public sealed class UnixSocketAbiTests
{
    private const string Program = """
        #define _GNU_SOURCE
        #include <stdio.h>
        #include <stddef.h>
        #include <sys/socket.h>
        #include <sys/un.h>
        #include <sys/uio.h>
        #include <sys/mman.h>
        #define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))
        int main(void) {
          struct sockaddr_un un;
          P("sizeof(struct msghdr)", sizeof(struct msghdr));
          P("offsetof(msghdr, msg_namelen)", offsetof(struct msghdr, msg_namelen));
          P("offsetof(msghdr, msg_iov)", offsetof(struct msghdr, msg_iov));
          P("offsetof(msghdr, msg_iovlen)", offsetof(struct msghdr, msg_iovlen));
          P("offsetof(msghdr, msg_control)", offsetof(struct msghdr, msg_control));
          P("offsetof(msghdr, msg_controllen)", offsetof(struct msghdr, msg_controllen));
          P("offsetof(msghdr, msg_flags)", offsetof(struct msghdr, msg_flags));
          P("sizeof(struct cmsghdr)", sizeof(struct cmsghdr));
          P("offsetof(cmsghdr, cmsg_level)", offsetof(struct cmsghdr, cmsg_level));
          P("offsetof(cmsghdr, cmsg_type)", offsetof(struct cmsghdr, cmsg_type));
          P("sizeof(struct iovec)", sizeof(struct iovec));
          P("sizeof(struct sockaddr_un)", sizeof(struct sockaddr_un));
          P("sizeof(sun_path)", sizeof(un.sun_path));
          P("offsetof(sockaddr_un, sun_path)", offsetof(struct sockaddr_un, sun_path));
          P("CMSG_LEN(0)", CMSG_LEN(0)); P("CMSG_LEN(4)", CMSG_LEN(4)); P("CMSG_LEN(32)", CMSG_LEN(32));
          P("CMSG_SPACE(4)", CMSG_SPACE(4)); P("CMSG_SPACE(32)", CMSG_SPACE(32));
          P("AF_UNIX", AF_UNIX); P("SOCK_STREAM", SOCK_STREAM); P("SOCK_CLOEXEC", SOCK_CLOEXEC);
          P("SOL_SOCKET", SOL_SOCKET); P("SCM_RIGHTS", SCM_RIGHTS); P("SHUT_RDWR", SHUT_RDWR);
          P("MSG_CTRUNC", MSG_CTRUNC); P("MSG_DONTWAIT", MSG_DONTWAIT); P("MSG_NOSIGNAL", MSG_NOSIGNAL);
          P("MSG_CMSG_CLOEXEC", MSG_CMSG_CLOEXEC); P("MFD_CLOEXEC", MFD_CLOEXEC);
          return 0;
        }
        """;

    [Fact]
    public void EveryNumberAndSize_MatchesTheCHeaders()
    {
        Dictionary<string, ulong> c = CompileAndRun();
        var ours = new Dictionary<string, ulong>
        {
            ["sizeof(struct msghdr)"] = (ulong)Unsafe.SizeOf<MsgHdr>(),
            ["offsetof(msghdr, msg_namelen)"] = Offset<MsgHdr>(nameof(MsgHdr.NameLength)),
            ["offsetof(msghdr, msg_iov)"] = Offset<MsgHdr>(nameof(MsgHdr.Iov)),
            ["offsetof(msghdr, msg_iovlen)"] = Offset<MsgHdr>(nameof(MsgHdr.IovLength)),
            ["offsetof(msghdr, msg_control)"] = Offset<MsgHdr>(nameof(MsgHdr.Control)),
            ["offsetof(msghdr, msg_controllen)"] = Offset<MsgHdr>(nameof(MsgHdr.ControlLength)),
            ["offsetof(msghdr, msg_flags)"] = Offset<MsgHdr>(nameof(MsgHdr.Flags)),
            ["sizeof(struct cmsghdr)"] = (ulong)Unsafe.SizeOf<CmsgHdr>(),
            ["offsetof(cmsghdr, cmsg_level)"] = Offset<CmsgHdr>(nameof(CmsgHdr.Level)),
            ["offsetof(cmsghdr, cmsg_type)"] = Offset<CmsgHdr>(nameof(CmsgHdr.Type)),
            ["sizeof(struct iovec)"] = (ulong)Unsafe.SizeOf<IoVec>(),
            ["sizeof(struct sockaddr_un)"] = (ulong)Unsafe.SizeOf<SockaddrUn>(),
            ["sizeof(sun_path)"] = UnixSocketAbi.SunPathBytes,
            ["offsetof(sockaddr_un, sun_path)"] = Offset<SockaddrUn>(nameof(SockaddrUn.Path)),
            ["CMSG_LEN(0)"] = (ulong)UnixSocketAbi.CmsgLen(0), ["CMSG_LEN(4)"] = (ulong)UnixSocketAbi.CmsgLen(4),
            ["CMSG_LEN(32)"] = (ulong)UnixSocketAbi.CmsgLen(32),
            ["CMSG_SPACE(4)"] = (ulong)UnixSocketAbi.CmsgSpace(4), ["CMSG_SPACE(32)"] = (ulong)UnixSocketAbi.CmsgSpace(32),
            ["AF_UNIX"] = UnixSocketAbi.AF_UNIX, ["SOCK_STREAM"] = UnixSocketAbi.SOCK_STREAM, ["SOCK_CLOEXEC"] = UnixSocketAbi.SOCK_CLOEXEC,
            ["SOL_SOCKET"] = UnixSocketAbi.SOL_SOCKET, ["SCM_RIGHTS"] = UnixSocketAbi.SCM_RIGHTS, ["SHUT_RDWR"] = UnixSocketAbi.SHUT_RDWR,
            ["MSG_CTRUNC"] = UnixSocketAbi.MSG_CTRUNC, ["MSG_DONTWAIT"] = UnixSocketAbi.MSG_DONTWAIT, ["MSG_NOSIGNAL"] = UnixSocketAbi.MSG_NOSIGNAL,
            ["MSG_CMSG_CLOEXEC"] = UnixSocketAbi.MSG_CMSG_CLOEXEC, ["MFD_CLOEXEC"] = UnixSocketAbi.MFD_CLOEXEC,
        };
        Assert.Equal(ours.Keys.Order(), c.Keys.Order());
        var wrong = ours.Where(kv => c[kv.Key] != kv.Value).Select(kv => $"{kv.Key}: ours {kv.Value}, C {c[kv.Key]}").ToList();
        Assert.Empty(wrong);
        // The declared SizeBytes constants are what the code relies on; the interop casts to Tmds' structs.
        Assert.Equal(c["sizeof(struct msghdr)"], (ulong)MsgHdr.SizeBytes);
        Assert.Equal(c["sizeof(struct cmsghdr)"], (ulong)CmsgHdr.SizeBytes);
        Assert.Equal(c["sizeof(struct iovec)"], (ulong)IoVec.SizeBytes);
        Assert.Equal(c["sizeof(struct sockaddr_un)"], (ulong)SockaddrUn.SizeBytes);
        Assert.Equal(c["sizeof(struct msghdr)"], (ulong)Unsafe.SizeOf<Tmds.Linux.msghdr>());
        Assert.Equal(c["sizeof(struct iovec)"], (ulong)Unsafe.SizeOf<Tmds.Linux.iovec>());
    }

    private static ulong Offset<T>(string field) => (ulong)Marshal.OffsetOf<T>(field);

    private static Dictionary<string, ulong> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("mvt-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "abi.c"), exe = Path.Combine(dir, "abi");
            File.WriteAllText(source, Program);
            Run("gcc", $"-o {exe} {source}");
            return Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => (Name: line[..line.LastIndexOf(' ')], Value: ulong.Parse(line[(line.LastIndexOf(' ') + 1)..])))
                .ToDictionary(x => x.Name, x => x.Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {error}");
        return output;
    }
}
