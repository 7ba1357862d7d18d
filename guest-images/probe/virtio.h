/* virtio 1.2 modern PCI transport (§4.1) and split virtqueues (§2.7), polled. */
#ifndef VIRTIO_H
#define VIRTIO_H
#include "pci.h"

/* §2.1 device status */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq {
	uint16_t index, size;
	struct virtq_desc *desc;
	volatile uint16_t *avail;   /* flags, idx, ring[size], used_event */
	volatile uint16_t *used;    /* flags, idx, then elems at +4 */
	uint64_t notify_addr;
	uint16_t avail_idx, last_used;
	bool event_idx;             /* VIRTIO_F_EVENT_IDX negotiated: avail_event / used_event (§2.7.10) */
	uint16_t kicked_idx;        /* avail_idx at the last notification decision */
	uint16_t *free_ids;         /* stack of free descriptor ids (tx) */
	uint16_t nfree;
	uint8_t *buf;               /* size * buf_size bytes, buffer i for descriptor i */
	uint32_t buf_size;
};

struct virtio_dev {
	struct pci_fn pci;
	uint64_t common, notify, isr, device;
	uint32_t notify_mult;
};

bool virtio_pci_probe(struct virtio_dev *d);
void virtio_set_status(struct virtio_dev *d, uint8_t s);
uint8_t virtio_status(struct virtio_dev *d);
void virtio_reset(struct virtio_dev *d);
uint64_t virtio_device_features(struct virtio_dev *d);
void virtio_set_driver_features(struct virtio_dev *d, uint64_t f);
uint16_t virtio_num_queues(struct virtio_dev *d);
/* §4.1.4.5: reads (and so clears) the ISR status; bit 1 is the Device Configuration Interrupt. */
uint8_t virtio_isr(struct virtio_dev *d);
#define VIRTIO_ISR_CONFIG 2
/* §4.1.4.3: config_generation, which changes with every configuration change. */
uint8_t virtio_config_generation(struct virtio_dev *d);
/* §4.1.5.1.3: sets up queue `index` with at most max_size entries and buffers
 * of buf_size bytes (event_idx: VIRTIO_F_EVENT_IDX was negotiated); false if the
 * device has no such queue. */
bool virtq_setup(struct virtio_dev *d, struct virtq *q, uint16_t index, uint16_t max_size, uint32_t buf_size, bool event_idx);
void virtq_enable(struct virtio_dev *d, struct virtq *q);
/* Publishes descriptor head `id` in the available ring (no notification). */
void virtq_push(struct virtq *q, uint16_t id);
/* §2.7.13: notifies unless the device said it doesn't want it: with EVENT_IDX only when
 * the entries published since the last decision pass avail_event, else unless
 * VIRTQ_USED_F_NO_NOTIFY. Returns whether it notified. */
bool virtq_kick(struct virtq *q);
/* Next used element, false if none. With EVENT_IDX it keeps used_event half a ring
 * lap ahead of what was taken: this driver polls and never wants an interrupt. */
bool virtq_pop_used(struct virtq *q, uint32_t *id, uint32_t *len);

#endif
