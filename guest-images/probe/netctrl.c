/* Control virtqueue (§5.1.6.5): class/command header, data, device-written ack. */
#include "net.h"

#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_MQ_RSS_CONFIG 1
#define VIRTIO_NET_CTRL_MQ_HASH_CONFIG 2
#define ACK_TIMEOUT 0xFF

static int utoa(char *b, unsigned v)
{
	char t[12];
	int n = 0, k = 0;
	do
		t[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		b[k++] = t[--n];
	return k;
}

struct seg {
	const void *data;
	uint32_t len;
};

/* One command as a descriptor chain: header, each data segment in its own
 * descriptor (as Linux does for RSS_CONFIG), then the 1-byte ack. */
static unsigned ctrl_send(struct net *n, uint8_t class, uint8_t cmd, const struct seg *segs, unsigned nsegs)
{
	struct virtq *q = &n->ctrl;
	uint8_t *p = n->ctrl_page;
	unsigned d = 0;
	uint32_t id, len;
	while (virtq_pop_used(q, &id, &len))
		;   /* a late answer to a command we gave up on */
	p[0] = class;
	p[1] = cmd;
	q->desc[d] = (struct virtq_desc){ (uint64_t)p, 2, VIRTQ_DESC_F_NEXT, 1 };
	uint32_t off = 16;
	for (unsigned i = 0; i < nsegs; i++) {
		memcpy(p + off, segs[i].data, segs[i].len);
		d++;
		q->desc[d] = (struct virtq_desc){ (uint64_t)(p + off), segs[i].len, VIRTQ_DESC_F_NEXT, (uint16_t)(d + 1) };
		off = (off + segs[i].len + 15) & ~15u;
	}
	uint8_t *ack = p + off;
	*ack = ACK_TIMEOUT;
	d++;
	q->desc[d] = (struct virtq_desc){ (uint64_t)ack, 1, VIRTQ_DESC_F_WRITE, 0 };
	virtq_push(q, 0);
	virtq_kick(q);
	uint64_t deadline = rdtsc() + ms_to_tsc(2000);
	while (!virtq_pop_used(q, &id, &len)) {
		if (rdtsc() > deadline)
			return ACK_TIMEOUT;
		cpu_relax();
	}
	barrier();
	return *(volatile uint8_t *)ack;
}

unsigned ctrl_pairs_set(struct net *n, unsigned pairs)
{
	uint16_t v = (uint16_t)pairs;
	struct seg s = { &v, 2 };
	unsigned ack = ctrl_send(n, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &s, 1);
	pr("ctrl mq_vq_pairs_set pairs=%u ack=%u\n", pairs, ack);
	return ack;
}

/* §5.1.6.5.7.1 struct virtio_net_rss_config, or with RSS off but HASH_REPORT
 * on, §5.1.6.5.6.4 struct virtio_net_hash_config (same byte layout, zeros). */
unsigned ctrl_rss(struct net *n, const struct rss_params *r)
{
	bool rss = has(n, VIRTIO_NET_F_RSS);
	uint32_t types = r->types_set ? r->types : r->types & n->hash_types_supported;
	static uint16_t table[MAX_TABLE];
	unsigned len = r->table_len;
	if (len)
		memcpy(table, r->table, len * 2);
	else {
		len = cfg.table_len_default;
		while (len > 1 && n->rss_max_table && len > n->rss_max_table)
			len >>= 1;
		for (unsigned i = 0; i < len; i++)
			table[i] = (uint16_t)(i % n->pairs);
	}
	if (!rss) {
		len = 1;
		table[0] = 0;
	}
	struct {
		uint32_t hash_types;
		uint16_t indirection_table_mask;
		uint16_t unclassified_queue;
	} __attribute__((packed)) head = { types, rss ? (uint16_t)(len - 1) : 0, rss ? (uint16_t)r->unclassified : 0 };
	struct {
		uint16_t max_tx_vq;
		uint8_t hash_key_length;
	} __attribute__((packed)) tail = { rss ? (uint16_t)n->pairs : 0, (uint8_t)r->key_len };
	struct seg segs[4] = {
		{ &head, sizeof head }, { table, len * 2 }, { &tail, sizeof tail }, { r->key, r->key_len },
	};
	unsigned ack = ctrl_send(n, VIRTIO_NET_CTRL_MQ,
				 rss ? VIRTIO_NET_CTRL_MQ_RSS_CONFIG : VIRTIO_NET_CTRL_MQ_HASH_CONFIG, segs, 4);
	char tab[MAX_TABLE * 6 + 8];
	size_t pos = 0;
	for (unsigned i = 0; i < len && pos + 8 < sizeof tab; i++) {
		if (i)
			tab[pos++] = ',';
		pos += (size_t)utoa(tab + pos, table[i]);
	}
	tab[pos] = 0;
	char key[MAX_KEY * 2 + 1];
	for (unsigned i = 0; i < r->key_len; i++) {
		key[2 * i] = "0123456789abcdef"[r->key[i] >> 4];
		key[2 * i + 1] = "0123456789abcdef"[r->key[i] & 15];
	}
	key[2 * r->key_len] = 0;
	if (rss)
		pr("ctrl rss_config types=0x%x unclassified=%u max_tx_vq=%u key=%s table=%s ack=%u\n", types,
		   head.unclassified_queue, tail.max_tx_vq, key, tab, ack);
	else
		pr("ctrl hash_config types=0x%x key=%s ack=%u\n", types, key, ack);
	return ack;
}
