using MiniVmm.Native;
using MiniVmm.Native.Net;

namespace MiniVmm.HostNet;

/// <summary>Where a worker that failed waits: on its stop eventfd alone, without spinning, until it is stopped.</summary>
internal static class WorkerParking
{
    public static void WaitForStop(EventFd stop, ref int stopped)
    {
        Span<EpollEvent> events = stackalloc EpollEvent[1];
        using var parked = new Epoll();
        parked.Add(stop.Handle, EpollEvents.In, 1);
        while (Volatile.Read(ref stopped) == 0)
        {
            parked.Wait(events, -1);
        }
    }
}
