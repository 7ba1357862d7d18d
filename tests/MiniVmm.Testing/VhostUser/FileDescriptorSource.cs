using MiniVmm.Native;

namespace MiniVmm.Testing.VhostUser;

/// <summary>Descriptors a scripted back end attaches to an answer; it disposes its copies once sent.</summary>
public delegate IReadOnlyList<FileDescriptor> FileDescriptorSource();
