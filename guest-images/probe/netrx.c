/* Receive: poll every RX queue, report each frame's queue, id and hash (§5.1.6.4). */
#include "net.h"

/* Test frames end in "MVID" + big-endian u32 id; anything else is id -1. */
static int64_t frame_id(const uint8_t *f, uint32_t len)
{
	if (len < 8 || memcmp(f + len - 8, "MVID", 4) != 0)
		return -1;
	const uint8_t *b = f + len - 4;
	return (int64_t)((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
}

/* One received frame, kept until the phase ends (print=after). */
struct rx_record {
	int64_t id;       /* -1: no MVID marker */
	uint32_t hash;
	uint16_t queue, report;
	uint32_t len;
};

static struct rx_record *records;
static unsigned nrecords;

static void print_record(const struct rx_record *r)
{
	pr("rx q=%u id=%ld len=%u hash=0x%08x report=%u\n", r->queue, r->id, r->len, r->hash, r->report);
}

static void flush_records(void)
{
	for (unsigned i = 0; i < nrecords; i++)
		print_record(&records[i]);
	nrecords = 0;
}

static void report(const struct rx_record *r)
{
	if (cfg.quiet)
		return;
	if (!cfg.print_after) {
		print_record(r);
		return;
	}
	if (!records)
		records = alloc_pages((size_t)cfg.records * sizeof *records);
	if (nrecords == cfg.records)
		flush_records();   /* full: print now rather than lose frames' lines */
	records[nrecords++] = *r;
}

unsigned long rx_phase(struct net *n, long expect)
{
	unsigned long frames = 0, marked = 0;   /* marked: frames with an MVID id; only they count toward expect (unless count=all) */
	uint64_t start = rdtsc(), last = start, first = 0;
	uint64_t wait = ms_to_tsc(cfg.wait_ms), idle = ms_to_tsc(cfg.idle_ms);
	bool hash = has(n, VIRTIO_NET_F_HASH_REPORT);
	for (;;) {
		bool any = false;
		for (unsigned q = 0; q < n->pairs; q++) {
			struct virtq *vq = &n->rx[q];
			uint32_t id, len;
			bool got = false;
			/* At most one ring's worth per queue per round: a device that refills queue 0 as fast
			 * as it is drained (DPDK's txonly) must not starve the other queues. */
			for (unsigned budget = vq->size; budget && virtq_pop_used(vq, &id, &len); budget--) {
				got = true;
				if (id >= vq->size || len < n->hdr_len || len > vq->buf_size) {
					pr("rx q=%u bad used id=%u len=%u\n", q, id, len);
					continue;
				}
				const uint8_t *b = vq->buf + (size_t)id * vq->buf_size;
				uint32_t flen = len - n->hdr_len;
				/* virtio_net_hdr_v1_hash: hash_value le32 at 12, hash_report le16 at 16 */
				uint32_t hv = hash ? *(const uint32_t *)(b + 12) : 0;
				uint16_t hr = hash ? *(const uint16_t *)(b + 16) : 0;
				struct rx_record r = { frame_id(b + n->hdr_len, flen), hv, (uint16_t)q, hr, flen };
				report(&r);
				marked += r.id >= 0 || cfg.count_all;
				n->rx_frames[q]++;
				frames++;
				virtq_push(vq, (uint16_t)id);   /* recycle: same buffer, same descriptor */
			}
			if (got) {
				virtq_kick(vq);
				any = true;
			}
		}
		uint64_t now = rdtsc();
		if (any) {
			last = now;
			if (!first)
				first = now;
		}
		if (expect > 0 && marked >= (unsigned long)expect)
			break;
		if (frames ? now - last > idle : now - start > wait)
			break;
		if (!any)
			cpu_relax();
	}
	flush_records();
	if (frames)
		pr("probe: rx frames=%lu us=%lu\n", frames, tsc_to_us(last - first));
	return frames;
}
