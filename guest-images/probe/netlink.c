/* Link status changes (§5.1.4.2): the device sets or clears VIRTIO_NET_S_LINK_UP and sends a
 * configuration change notification. The probe runs with interrupts off and no MSI-X vector, so
 * it sees the notification the way §4.1.4.5 leaves for such a driver: the ISR status's Device
 * Configuration Interrupt bit, polled; then it re-reads the status field. */
#include "net.h"

#define VIRTIO_NET_S_LINK_UP 1

/* §4.1.4.3.1: read until config_generation is the same before and after the field. */
static unsigned link_status(struct net *n, uint8_t *generation)
{
	uint8_t before, after;
	uint16_t status;
	do {
		before = virtio_config_generation(&n->dev);
		status = mmio_read16(n->dev.device + 6);
		after = virtio_config_generation(&n->dev);
	} while (before != after);
	*generation = after;
	return status & VIRTIO_NET_S_LINK_UP;
}

void link_watch(struct net *n, unsigned changes)
{
	uint8_t generation;
	if (!has(n, VIRTIO_NET_F_STATUS)) {
		pr("probe: link watch needs VIRTIO_NET_F_STATUS\n");
		return;
	}
	(void)virtio_isr(&n->dev);   /* read to clear: only changes after the line below count */
	unsigned up = link_status(n, &generation);
	pr("probe: link watch changes=%u up=%u generation=%u\n", changes, up, generation);
	uint64_t pause = ms_to_tsc(1);   /* each ISR read is an exit to the VMM: poll once a millisecond */
	for (unsigned i = 0; i < changes; i++) {
		uint64_t deadline = rdtsc() + ms_to_tsc(cfg.wait_ms);
		uint8_t isr;
		while (!((isr = virtio_isr(&n->dev)) & VIRTIO_ISR_CONFIG)) {
			if (rdtsc() > deadline) {
				pr("probe: link timeout after %u of %u changes\n", i, changes);
				return;
			}
			for (uint64_t t = rdtsc(); rdtsc() - t < pause;)
				cpu_relax();
		}
		up = link_status(n, &generation);
		pr("link change=%u isr=0x%x up=%u generation=%u\n", i + 1, isr, up, generation);
	}
}
