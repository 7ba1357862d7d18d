/* Transmit: UDP/IPv4 broadcast test frames on one TX queue (§5.1.6.2). */
#include "net.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Ethernet | IPv4 10.0.0.2 -> 255.255.255.255 | UDP 4000+q -> 9 | "MVTX" q(u16) seq(u32) ... "MVID" id(u32),
 * id = q << 24 | seq. */
static void build_frame(const struct net *n, uint8_t *f, unsigned len, unsigned q, uint32_t seq)
{
	memset(f, 0, len);
	memset(f, 0xFF, 6);
	memcpy(f + 6, n->mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(len - 14));
	put16(ip + 4, (uint16_t)seq);
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, 0x0A000002);
	put32(ip + 16, 0xFFFFFFFF);
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	put16(ip + 10, (uint16_t)~sum);
	uint8_t *udp = ip + 20;
	put16(udp, (uint16_t)(4000 + q));
	put16(udp + 2, 9);
	put16(udp + 4, (uint16_t)(len - 34));   /* checksum 0: none (IPv4) */
	memcpy(udp + 8, "MVTX", 4);
	put16(udp + 12, (uint16_t)q);
	put32(udp + 14, seq);
	memcpy(f + len - 8, "MVID", 4);
	put32(f + len - 4, (uint32_t)q << 24 | (seq & 0xFFFFFF));
}

/* Collects used entries; pushes the deadline out while the device makes progress. */
static void reclaim(struct virtq *vq, unsigned long *done, uint64_t *deadline)
{
	uint32_t id, len;
	while (virtq_pop_used(vq, &id, &len)) {
		if (id < vq->size && vq->nfree < vq->size)
			vq->free_ids[vq->nfree++] = (uint16_t)id;
		(*done)++;
		*deadline = rdtsc() + ms_to_tsc(2000);
	}
}

void tx_run(struct net *n, const struct tx_job *j)
{
	if (j->queue >= n->pairs) {
		pr("tx q=%u sent=0 error=no-such-queue\n", j->queue);
		return;
	}
	struct virtq *vq = &n->tx[j->queue];
	unsigned long posted = 0, done = 0;
	uint64_t t0 = rdtsc(), deadline = t0 + ms_to_tsc(2000);
	while (posted < j->count && rdtsc() < deadline) {
		reclaim(vq, &done, &deadline);
		unsigned batch = 0;
		while (vq->nfree && posted < j->count) {
			uint16_t id = vq->free_ids[--vq->nfree];
			uint8_t *b = vq->buf + (size_t)id * vq->buf_size;
			memset(b, 0, n->hdr_len);   /* no offloads: flags 0, gso none */
			build_frame(n, b + n->hdr_len, j->len, j->queue, (uint32_t)posted);
			vq->desc[id].len = n->hdr_len + j->len;
			vq->desc[id].flags = 0;
			virtq_push(vq, id);
			posted++;
			batch++;
		}
		if (batch)
			virtq_kick(vq);
		else
			cpu_relax();
	}
	while (done < posted && rdtsc() < deadline) {
		reclaim(vq, &done, &deadline);
		cpu_relax();
	}
	pr("tx q=%u sent=%lu us=%lu%s\n", j->queue, done, tsc_to_us(rdtsc() - t0),
	   done < j->count ? " error=timeout" : "");
}
