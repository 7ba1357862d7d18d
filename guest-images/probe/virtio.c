/* virtio-pci modern transport: capabilities (§4.1.4), common config (§4.1.4.3),
 * split virtqueues (§2.7). Every queue is polled: no MSI-X vectors, no events. */
#include "virtio.h"

#define PCI_CAP_VNDR 0x09
#define CAP_COMMON 1
#define CAP_NOTIFY 2
#define CAP_ISR 3
#define CAP_DEVICE 4

/* §4.1.4.3 struct virtio_pci_common_cfg */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0C
#define CC_MSIX 0x10
#define CC_NUMQ 0x12
#define CC_STATUS 0x14
#define CC_CFGGEN 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1A
#define CC_Q_ENABLE 0x1C
#define CC_Q_NOFF 0x1E
#define CC_Q_DESC 0x20
#define CC_Q_DRIVER 0x28
#define CC_Q_DEVICE 0x30

#define NO_VECTOR 0xFFFF

bool virtio_pci_probe(struct virtio_dev *d)
{
	struct pci_fn *f = &d->pci;
	if (!(pci_read16(f, 0x06) & 0x10))
		return false;   /* no capability list */
	unsigned ptr = pci_read8(f, 0x34) & 0xFC, guard = 0;
	while (ptr && guard++ < 48) {
		if (pci_read8(f, ptr) == PCI_CAP_VNDR) {
			uint8_t type = pci_read8(f, ptr + 3), bar = pci_read8(f, ptr + 4);
			uint32_t off = pci_read32(f, ptr + 8);
			uint64_t *slot = type == CAP_COMMON ? &d->common : type == CAP_NOTIFY ? &d->notify :
					 type == CAP_ISR ? &d->isr : type == CAP_DEVICE ? &d->device : NULL;
			/* §4.1.4: use the first capability of each type that we can. */
			if (slot && !*slot && bar < 6) {
				uint64_t base = pci_bar_address(f, bar);
				if (base) {
					*slot = base + off;
					if (type == CAP_NOTIFY)
						d->notify_mult = pci_read32(f, ptr + 16);
				}
			}
		}
		ptr = pci_read8(f, ptr + 1) & 0xFC;
	}
	pr("virtio common=0x%lx notify=0x%lx mult=%u isr=0x%lx device=0x%lx\n",
	   d->common, d->notify, d->notify_mult, d->isr, d->device);
	return d->common && d->notify && d->device;
}

uint8_t virtio_status(struct virtio_dev *d) { return mmio_read8(d->common + CC_STATUS); }
void virtio_set_status(struct virtio_dev *d, uint8_t s) { mmio_write8(d->common + CC_STATUS, s); }

void virtio_reset(struct virtio_dev *d)
{
	virtio_set_status(d, 0);
	/* §4.1.4.3.2: reset is complete when status reads back 0 */
	for (unsigned i = 0; i < 1000000 && virtio_status(d) != 0; i++)
		cpu_relax();
}

uint64_t virtio_device_features(struct virtio_dev *d)
{
	mmio_write32(d->common + CC_DFSELECT, 0);
	uint64_t lo = mmio_read32(d->common + CC_DF);
	mmio_write32(d->common + CC_DFSELECT, 1);
	uint64_t hi = mmio_read32(d->common + CC_DF);
	return lo | hi << 32;
}

void virtio_set_driver_features(struct virtio_dev *d, uint64_t f)
{
	mmio_write32(d->common + CC_GFSELECT, 0);
	mmio_write32(d->common + CC_GF, (uint32_t)f);
	mmio_write32(d->common + CC_GFSELECT, 1);
	mmio_write32(d->common + CC_GF, (uint32_t)(f >> 32));
	mmio_write16(d->common + CC_MSIX, NO_VECTOR);
}

uint16_t virtio_num_queues(struct virtio_dev *d) { return mmio_read16(d->common + CC_NUMQ); }
uint8_t virtio_isr(struct virtio_dev *d) { return d->isr ? mmio_read8(d->isr) : 0; }
uint8_t virtio_config_generation(struct virtio_dev *d) { return mmio_read8(d->common + CC_CFGGEN); }

bool virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max_size, uint32_t buf_size, bool event_idx)
{
	mmio_write16(d->common + CC_Q_SELECT, index);
	uint16_t size = mmio_read16(d->common + CC_Q_SIZE);
	if (size == 0)
		return false;
	if (size > max_size)
		size = max_size;
	while (size & (size - 1))
		size &= (uint16_t)(size - 1);   /* split rings: a power of two */
	memset(q, 0, sizeof *q);
	q->index = index;
	q->size = size;
	q->desc = alloc_pages(16u * size);
	q->avail = alloc_pages(6u + 2u * size);
	q->used = alloc_pages(6u + 8u * size);
	q->buf_size = buf_size;
	q->buf = buf_size ? alloc_pages((size_t)buf_size * size) : NULL;
	q->free_ids = alloc_pages(2u * size);
	for (uint16_t i = 0; i < size; i++) {
		q->desc[i].addr = (uint64_t)(q->buf + (size_t)i * buf_size);
		q->desc[i].len = buf_size;
		q->free_ids[i] = (uint16_t)(size - 1 - i);
	}
	q->nfree = size;
	q->avail[0] = 1;   /* VIRTQ_AVAIL_F_NO_INTERRUPT: we poll (ignored by the device with EVENT_IDX) */
	q->event_idx = event_idx;
	if (event_idx)
		q->avail[2 + size] = 0x8000;   /* used_event, half a lap away: no interrupt wanted */
	mmio_write16(d->common + CC_Q_SIZE, size);
	mmio_write16(d->common + CC_Q_MSIX, NO_VECTOR);
	mmio_write64(d->common + CC_Q_DESC, (uint64_t)q->desc);
	mmio_write64(d->common + CC_Q_DRIVER, (uint64_t)q->avail);
	mmio_write64(d->common + CC_Q_DEVICE, (uint64_t)q->used);
	uint16_t noff = mmio_read16(d->common + CC_Q_NOFF);
	q->notify_addr = d->notify + (uint64_t)noff * d->notify_mult;
	return true;
}

void virtq_enable(struct virtio_dev *d, struct virtq *q)
{
	mmio_write16(d->common + CC_Q_SELECT, q->index);
	mmio_write16(d->common + CC_Q_ENABLE, 1);
}

void virtq_push(struct virtq *q, uint16_t id)
{
	q->avail[2 + (q->avail_idx & (q->size - 1))] = id;
	q->avail_idx++;
	barrier();   /* §2.7.13.2: ring entry before idx (x86 keeps stores in order) */
	q->avail[1] = q->avail_idx;
}

bool virtq_kick(struct virtq *q)
{
	mfence();   /* idx store visible before we read avail_event / used->flags */
	uint16_t now = q->avail_idx, before = q->kicked_idx;
	q->kicked_idx = now;
	bool notify;
	if (q->event_idx) {
		/* §2.7.10: avail_event follows the used ring's elements. Notify when it lies in
		 * (before, now], the entries added since the last decision. */
		uint16_t event = q->used[2 + 4 * q->size];
		notify = (uint16_t)(now - event - 1) < (uint16_t)(now - before);
	} else {
		notify = !(q->used[0] & 1);   /* VIRTQ_USED_F_NO_NOTIFY */
	}
	if (notify)
		mmio_write16(q->notify_addr, q->index);
	return notify;
}

bool virtq_pop_used(struct virtq *q, uint32_t *id, uint32_t *len)
{
	if (q->used[1] == q->last_used)
		return false;
	barrier();   /* §2.7.14: read idx before the element */
	volatile struct virtq_used_elem *e =
		(volatile struct virtq_used_elem *)((volatile uint8_t *)q->used + 4) + (q->last_used & (q->size - 1));
	*id = e->id;
	*len = e->len;
	q->last_used++;
	if (q->event_idx)
		q->avail[2 + q->size] = (uint16_t)(q->last_used + 0x8000);   /* used_event: never reached */
	return true;
}
