/* Transmit: UDP/IPv4 broadcast test frames on one TX queue (§5.1.6.2). */
#include "net.h"

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

static uint16_t ip_checksum(const uint8_t *ip)
{
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

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
	put16(ip + 10, ip_checksum(ip));
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

#define TSO_MSS 1448
#define TSO_HEADERS 54   /* Ethernet 14 + IPv4 20 + TCP 20 */

/* A TSO frame (§5.1.6.2): Ethernet | IPv4 10.0.0.2 -> 10.0.0.1 | TCP 4000+q -> 9, seq = frame
 * number, then zeros ending in "MVTX" q seq "MVID" id like the UDP frames. The header asks the
 * device to checksum from the TCP header on (NEEDS_CSUM; the field holds the pseudo-header sum
 * without the length, as for any GSO packet) and to cut the payload into TSO_MSS segments. The
 * frames go to the host stack, which drops them (no such connection). */
static void build_tso(const struct net *n, uint8_t *h, unsigned len, unsigned q, uint32_t seq)
{
	uint8_t *f = h + n->hdr_len;
	memset(f, 0, len);
	memset(f, 0xFF, 6);
	memcpy(f + 6, n->mac, 6);
	put16(f + 12, 0x0800);
	uint8_t *ip = f + 14;
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(len - 14));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, 0x0A000002);
	put32(ip + 16, 0x0A000001);
	put16(ip + 10, ip_checksum(ip));
	uint8_t *tcp = ip + 20;
	put16(tcp, (uint16_t)(4000 + q));
	put16(tcp + 2, 9);
	put32(tcp + 4, seq);
	tcp[12] = 5 << 4;      /* data offset: 20 bytes */
	tcp[13] = 0x18;        /* PSH | ACK */
	put16(tcp + 14, 65535);
	uint32_t pseudo = 0x0A00 + 0x0002 + 0x0A00 + 0x0001 + 6;
	put16(tcp + 16, (uint16_t)pseudo);
	uint8_t *tail = f + len - 18;
	memcpy(tail, "MVTX", 4);
	put16(tail + 4, (uint16_t)q);
	put32(tail + 6, seq);
	memcpy(f + len - 8, "MVID", 4);
	put32(f + len - 4, (uint32_t)q << 24 | (seq & 0xFFFFFF));
	/* struct virtio_net_hdr_v1: flags, gso_type, hdr_len, gso_size, csum_start, csum_offset, num_buffers */
	h[0] = 1;              /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
	h[1] = 1;              /* VIRTIO_NET_HDR_GSO_TCPV4 */
	*(uint16_t *)(h + 2) = TSO_HEADERS;
	*(uint16_t *)(h + 4) = TSO_MSS;
	*(uint16_t *)(h + 6) = 34;   /* csum_start: the TCP header */
	*(uint16_t *)(h + 8) = 16;   /* csum_offset: TCP checksum field */
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
	bool tso = j->len > 1514;
	if (tso && !has(n, VIRTIO_NET_F_HOST_TSO4)) {
		pr("tx q=%u sent=0 error=no-tso\n", j->queue);
		return;
	}
	struct virtq *vq = &n->tx[j->queue];
	unsigned long posted = 0, done = 0, kicks = 0;
	uint64_t t0 = rdtsc(), deadline = t0 + ms_to_tsc(2000);
	while (posted < j->count && rdtsc() < deadline) {
		reclaim(vq, &done, &deadline);
		unsigned batch = 0;
		while (vq->nfree && posted < j->count) {
			uint16_t id = vq->free_ids[--vq->nfree];
			uint8_t *b = vq->buf + (size_t)id * vq->buf_size;
			if (tso) {
				build_tso(n, b, j->len, j->queue, (uint32_t)posted);
			} else {
				memset(b, 0, n->hdr_len);   /* no offloads: flags 0, gso none */
				build_frame(n, b + n->hdr_len, j->len, j->queue, (uint32_t)posted);
			}
			vq->desc[id].len = n->hdr_len + j->len;
			vq->desc[id].flags = 0;
			virtq_push(vq, id);
			posted++;
			batch++;
		}
		/* Like Linux: publish the batch, then notify only if the device asked (EVENT_IDX) */
		if (batch)
			kicks += virtq_kick(vq);
		else
			cpu_relax();
	}
	while (done < posted && rdtsc() < deadline) {
		reclaim(vq, &done, &deadline);
		cpu_relax();
	}
	pr("tx q=%u sent=%lu us=%lu kicks=%lu%s\n", j->queue, done, tsc_to_us(rdtsc() - t0), kicks,
	   done < j->count ? " error=timeout" : "");
}
