namespace MiniVmm.Cli.SteerTest;

/// <summary>Which driver steer-test checks the device with (--guest).</summary>
public enum SteerTestGuest
{
    /// <summary>Our probe guest on MiniVmm's own KVM machine (guest-images/probe).</summary>
    Probe,

    /// <summary>Linux 6.1's virtio_net in User-Mode Linux, over vhost-user to a vhost-user-net back end (guest-images/uml).</summary>
    Linux,
}
