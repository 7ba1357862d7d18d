// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MiniVmm RSS steering program for TUNSETSTEERINGEBPF.
 *
 * A socket-filter program whose return value is the TAP queue index (tun takes it modulo the
 * number of queues). It classifies the frame and hashes it exactly as virtio 1.2 §5.1.6.4.3
 * ("Hash calculation for incoming packets") says, picks table[hash & mask] (§5.1.6.5.7.1) or the
 * unclassified queue, and stores {hash, hash report, queue} in the per-CPU map rss_result so
 * BPF_PROG_TEST_RUN users can read the hash. Every parsing decision (tag and header limits,
 * what "has a TCP header" means, ...) is listed in docs/BPF.md; the managed classifier
 * (devices/MiniVmm.Rss) follows the same list.
 *
 * Built twice by bpf/Makefile: plain, and with -DWITH_HASH_KFUNCS (rss_steering_kfunc.bpf.o),
 * which also hands the hash to the kernel through the kfunc described in docs/BPF.md.
 */
#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define RSS_KEY_BYTES 40
#define RSS_TABLE_MAX 128
#define RSS_MAX_INPUT 36          /* IPv6 src + dst + two ports */
#define RSS_MAX_VLAN_TAGS 2       /* 802.1ad outer + 802.1Q inner */
#define RSS_MAX_IPV6_EXT 8        /* extension headers walked before giving up on L4 */
#define RSS_MAX_IPV6_OPTIONS 16   /* TLV options looked at per destination options header */

/* virtio 1.2 §5.1.6.4.3.1 VIRTIO_NET_HASH_TYPE_* */
#define HASH_TYPE_IPV4 (1u << 0)
#define HASH_TYPE_TCPV4 (1u << 1)
#define HASH_TYPE_UDPV4 (1u << 2)
#define HASH_TYPE_IPV6 (1u << 3)
#define HASH_TYPE_TCPV6 (1u << 4)
#define HASH_TYPE_UDPV6 (1u << 5)
#define HASH_TYPE_IP_EX (1u << 6)
#define HASH_TYPE_TCP_EX (1u << 7)
#define HASH_TYPE_UDP_EX (1u << 8)

/* virtio 1.2 §5.1.6.4.1 VIRTIO_NET_HASH_REPORT_* */
#define HASH_REPORT_NONE 0
#define HASH_REPORT_IPV4 1
#define HASH_REPORT_TCPV4 2
#define HASH_REPORT_UDPV4 3
#define HASH_REPORT_IPV6 4
#define HASH_REPORT_TCPV6 5
#define HASH_REPORT_UDPV6 6
#define HASH_REPORT_IPV6_EX 7
#define HASH_REPORT_TCPV6_EX 8
#define HASH_REPORT_UDPV6_EX 9

#define ETH_P_IPV4 0x0800
#define ETH_P_IPV6 0x86DD
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88A8

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAGMENT_ 44
#define IPPROTO_ESP_ 50
#define IPPROTO_AH_ 51
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_MOBILITY_ 135
#define IPPROTO_HIP_ 139
#define IPPROTO_SHIM6_ 140
#define IPPROTO_EXPERIMENT1_ 253
#define IPPROTO_EXPERIMENT2_ 254
#define IPV6_TLV_HAO 201          /* RFC 6275 §6.3 Home Address option */

/* Mirrored by bpf/MiniVmm.Bpf/RssConfigValue.cs (a test pins the size: 312 bytes). */
struct rss_config {
	__u32 enabled;            /* 0: not configured yet: queue 0, no hash */
	__u32 hash_types;         /* enabled VIRTIO_NET_HASH_TYPE_* */
	__u16 table_mask;         /* indirection table length - 1 (length is a power of two) */
	__u16 unclassified_queue;
	__u16 table_length;       /* informational; the program only uses the mask */
	__u16 reserved;
	__u16 table[RSS_TABLE_MAX];
	__u8 key[RSS_KEY_BYTES];  /* shorter keys are zero-padded by the loader */
} __attribute__((packed));

/* Mirrored by bpf/MiniVmm.Bpf/RssResultValue.cs (16 bytes). */
struct rss_result {
	__u32 hash_value;
	__u16 hash_report;
	__u16 queue;
	__u64 runs;               /* incremented per run: tells the reader which CPU ran last */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rss_config);
} rss_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rss_result);
} rss_result SEC(".maps");

#ifdef WITH_HASH_KFUNCS
/*
 * Stores the hash into the virtio-net header tun prepends when the packet is read from the
 * queue (struct virtio_net_hdr_v1_hash hash_value / hash_report). Not in any mainline kernel:
 * see docs/BPF.md for where the name and signature come from. __weak so libbpf can open the
 * object where it is absent: libbpf (1.1 too) then resolves it to 0 and the call below,
 * guarded like libbpf 1.2's bpf_ksym_exists(), is dead code the verifier removes. So this
 * variant loads on every kernel and stores the hash only where the kfunc exists.
 */
extern int bpf_skb_set_vnet_hash(struct __sk_buff *skb, __u32 hash_value, __u16 hash_report) __ksym __weak;
#define rss_ksym_exists(sym) (!!(sym))
#endif

/* The tuple fed to Toeplitz: source address, destination address, then (maybe) the ports. */
struct rss_input {
	__u8 bytes[RSS_MAX_INPUT];
	__u32 length;
	__u16 report;
};

/*
 * BPF_PROG_TEST_RUN refuses an IPv4/IPv6 EtherType followed by less than a whole IP header,
 * so the loader zero-pads short test frames and passes their true length in cb[0], XORed with
 * RSS_TEST_LENGTH_KEY. On a TAP, tun clears cb before running us, so the limit comes out as
 * RSS_TEST_LENGTH_KEY itself: far beyond any frame. (Branch-free on purpose: a "has a limit"
 * flag doubles the verifier's states in the nested header loops.)
 */
#define RSS_TEST_LENGTH_KEY 0x4D560000u

struct packet {
	struct __sk_buff *skb;
	__u32 limit;              /* bytes from the MAC header that exist */
};

/*
 * Reads relative to the MAC header, not skb->data: on a TAP (dev_queue_xmit) skb->data is the
 * Ethernet header, but BPF_PROG_TEST_RUN of a socket filter pulls the Ethernet header first.
 * The MAC header is the same place in both.
 */
static __always_inline int load(const struct packet *pkt, __u32 offset, void *to, __u32 len)
{
	if (offset > pkt->limit || len > pkt->limit - offset)
		return -1;
	return bpf_skb_load_bytes_relative(pkt->skb, offset, to, len, BPF_HDR_START_MAC);
}

/* Microsoft RSS Toeplitz: for every set input bit i, XOR in key bits i..i+31. */
static __always_inline __u32 toeplitz(const struct rss_config *cfg, const struct rss_input *in)
{
	__u8 key[RSS_KEY_BYTES + 8] = {};
	__u32 result = 0;
	__u64 window;
	__u32 j;

	__builtin_memcpy(key, cfg->key, RSS_KEY_BYTES);
	window = ((__u64)key[0] << 56) | ((__u64)key[1] << 48) | ((__u64)key[2] << 40) |
		 ((__u64)key[3] << 32) | ((__u64)key[4] << 24) | ((__u64)key[5] << 16) |
		 ((__u64)key[6] << 8) | (__u64)key[7];
	for (j = 0; j < RSS_MAX_INPUT; j++) {
		__u32 byte;
		int b;

		if (j >= in->length)
			break;
		byte = in->bytes[j];
		/* window holds key bits 8j..8j+63 with bit 8j at bit 63; zero bytes (common in
		 * IPv6 addresses) contribute nothing */
		if (byte) {
#pragma unroll
			for (b = 0; b < 8; b++) {
				__u32 mask = 0u - ((byte >> (7 - b)) & 1u);

				result ^= mask & (__u32)(window >> (32 - b));
			}
		}
		window = (window << 8) | key[j + 8];
	}
	return result;
}

static __always_inline void put_ports(struct rss_input *in, __u32 at, const __u8 *ports)
{
	__builtin_memcpy(&in->bytes[at], ports, 4);
}

/* §5.1.6.4.3.2 IPv4 packets. Returns 1 when a hash type applies and fills *in. */
static __always_inline int classify_ipv4(const struct packet *pkt, __u32 off, __u32 types,
					 struct rss_input *in)
{
	__u8 hdr[20];
	__u8 l4[20];
	__u32 hlen, l4off;
	__u16 frag;
	int fragment;

	if (load(pkt, off, hdr, sizeof(hdr)))
		return 0;
	if ((hdr[0] >> 4) != 4 || (hdr[0] & 0x0f) < 5)
		return 0;
	hlen = (__u32)(hdr[0] & 0x0f) * 4;
	/* the whole header, options included, must be in the frame */
	if (hlen > 20 && load(pkt, off + hlen - 1, l4, 1))
		return 0;
	__builtin_memcpy(&in->bytes[0], &hdr[12], 8);
	frag = ((__u16)hdr[6] << 8) | hdr[7];
	fragment = (frag & 0x3fff) != 0;   /* MF set or offset != 0: hash addresses only */
	l4off = off + hlen;

	if ((types & HASH_TYPE_TCPV4) && !fragment && hdr[9] == IPPROTO_TCP_ &&
	    !load(pkt, l4off, l4, 20)) {
		put_ports(in, 8, l4);
		in->length = 12;
		in->report = HASH_REPORT_TCPV4;
		return 1;
	}
	if ((types & HASH_TYPE_UDPV4) && !fragment && hdr[9] == IPPROTO_UDP_ &&
	    !load(pkt, l4off, l4, 8)) {
		put_ports(in, 8, l4);
		in->length = 12;
		in->report = HASH_REPORT_UDPV4;
		return 1;
	}
	if (types & HASH_TYPE_IPV4) {
		in->length = 8;
		in->report = HASH_REPORT_IPV4;
		return 1;
	}
	return 0;
}

/* The IANA "IPv6 Extension Header Types" (RFC 8200 §4, RFC 7045): every one of them makes an
 * "IPv6 packet with extension headers". ESP ends the walk: nothing after it is readable. */
static __always_inline int is_ipv6_ext(__u8 next)
{
	return next == IPPROTO_HOPOPTS_ || next == IPPROTO_ROUTING_ || next == IPPROTO_FRAGMENT_ ||
	       next == IPPROTO_ESP_ || next == IPPROTO_AH_ || next == IPPROTO_DSTOPTS_ ||
	       next == IPPROTO_MOBILITY_ || next == IPPROTO_HIP_ || next == IPPROTO_SHIM6_ ||
	       next == IPPROTO_EXPERIMENT1_ || next == IPPROTO_EXPERIMENT2_;
}

/* Looks for the Home Address option in the destination options header at off (length len). */
static __always_inline int find_hao(const struct packet *pkt, __u32 off, __u32 len, __u8 *home)
{
	__u32 opt = off + 2, end = off + len;
	int i;

	for (i = 0; i < RSS_MAX_IPV6_OPTIONS; i++) {
		__u8 tl[2];

		if (opt >= end)
			return 0;
		if (load(pkt, opt, tl, 1))
			return 0;
		if (tl[0] == 0) {           /* Pad1: a single byte */
			opt += 1;
			continue;
		}
		if (load(pkt, opt, tl, 2))
			return 0;
		if (tl[0] == IPV6_TLV_HAO && tl[1] == 16)
			return opt + 18 <= end && !load(pkt, opt + 2, home, 16);
		opt += 2 + (__u32)tl[1];
	}
	return 0;
}

/* §5.1.6.4.3.3 and §5.1.6.4.3.4 IPv6 packets without / with extension headers. */
static __always_inline int classify_ipv6(const struct packet *pkt, __u32 off, __u32 types,
					 struct rss_input *in)
{
	__u8 hdr[40];
	__u8 l4[20];
	__u8 home[16], rh2[16];
	__u32 cur = off + 40;
	__u8 next;
	int has_ext = 0, has_home = 0, has_rh2 = 0, l4_known = 1;
	int tcp, udp, i;

	if (load(pkt, off, hdr, sizeof(hdr)))
		return 0;
	if ((hdr[0] >> 4) != 6)
		return 0;
	next = hdr[6];

	for (i = 0; i < RSS_MAX_IPV6_EXT; i++) {
		__u8 ext[8], last;
		__u32 len;

		if (!is_ipv6_ext(next))
			break;
		has_ext = 1;
		/* ESP, or a header cut short (every one is at least 8 bytes): no L4 header */
		if (next == IPPROTO_ESP_ || load(pkt, cur, ext, 8)) {
			l4_known = 0;
			break;
		}
		if (next == IPPROTO_FRAGMENT_) {
			/* offset != 0 or M set: a fragment, hashed on addresses only */
			if ((((__u16)ext[2] << 8) | ext[3]) & 0xfff9) {
				l4_known = 0;
				break;
			}
			len = 8;
		} else if (next == IPPROTO_AH_) {
			len = ((__u32)ext[1] + 2) * 4;
		} else {
			len = ((__u32)ext[1] + 1) * 8;
		}
		/* the whole header must be in the frame before it is looked into or walked past */
		if (load(pkt, cur + len - 1, &last, 1)) {
			l4_known = 0;
			break;
		}
		if (next == IPPROTO_ROUTING_ && !has_rh2 &&
		    ext[2] == 2 && ext[1] == 2 && ext[3] == 1 && !load(pkt, cur + 8, rh2, 16))
			has_rh2 = 1;    /* RFC 6275 §6.4 type 2 routing header */
		if (next == IPPROTO_DSTOPTS_ && !has_home && find_hao(pkt, cur, len, home))
			has_home = 1;
		next = ext[0];
		cur += len;
	}
	if (is_ipv6_ext(next))
		l4_known = 0;               /* more than RSS_MAX_IPV6_EXT extension headers */

	tcp = l4_known && next == IPPROTO_TCP_ && !load(pkt, cur, l4, 20);
	udp = !tcp && l4_known && next == IPPROTO_UDP_ && !load(pkt, cur, l4, 8);

	if (has_ext) {
		int ex = 0;

		if ((types & HASH_TYPE_TCP_EX) && tcp) {
			in->report = HASH_REPORT_TCPV6_EX;
			ex = 1;
		} else if ((types & HASH_TYPE_UDP_EX) && udp) {
			in->report = HASH_REPORT_UDPV6_EX;
			ex = 1;
		} else if (types & HASH_TYPE_IP_EX) {
			in->report = HASH_REPORT_IPV6_EX;
			ex = 2;
		}
		if (ex) {
			if (has_home)
				__builtin_memcpy(&in->bytes[0], home, 16);
			else
				__builtin_memcpy(&in->bytes[0], &hdr[8], 16);
			if (has_rh2)
				__builtin_memcpy(&in->bytes[16], rh2, 16);
			else
				__builtin_memcpy(&in->bytes[16], &hdr[24], 16);
			if (ex == 1) {
				put_ports(in, 32, l4);
				in->length = 36;
			} else {
				in->length = 32;
			}
			return 1;
		}
		/* else: skip the extension headers and hash as a packet without them */
	}

	__builtin_memcpy(&in->bytes[0], &hdr[8], 32);
	if ((types & HASH_TYPE_TCPV6) && tcp) {
		put_ports(in, 32, l4);
		in->length = 36;
		in->report = HASH_REPORT_TCPV6;
		return 1;
	}
	if ((types & HASH_TYPE_UDPV6) && udp) {
		put_ports(in, 32, l4);
		in->length = 36;
		in->report = HASH_REPORT_UDPV6;
		return 1;
	}
	if (types & HASH_TYPE_IPV6) {
		in->length = 32;
		in->report = HASH_REPORT_IPV6;
		return 1;
	}
	return 0;
}

SEC("socket")
int rss_steering(struct __sk_buff *skb)
{
	struct packet pkt = { .skb = skb };
	struct rss_input in = {};
	struct rss_result *res;
	struct rss_config *cfg;
	__u32 zero = 0, hash = 0, off = 12;
	__u16 queue = 0, report = HASH_REPORT_NONE;
	__u16 proto_be;
	int hashed = 0, i;

	cfg = bpf_map_lookup_elem(&rss_config, &zero);
	if (!cfg || !cfg->enabled)
		goto out;
	pkt.limit = skb->cb[0] ^ RSS_TEST_LENGTH_KEY;

	if (load(&pkt, off, &proto_be, 2))
		goto unclassified;
#pragma unroll
	for (i = 0; i < RSS_MAX_VLAN_TAGS; i++) {
		if (proto_be != bpf_htons(ETH_P_8021Q) && proto_be != bpf_htons(ETH_P_8021AD))
			break;
		off += 4;
		if (load(&pkt, off, &proto_be, 2))
			goto unclassified;
	}
	off += 2;

	if (proto_be == bpf_htons(ETH_P_IPV4))
		hashed = classify_ipv4(&pkt, off, cfg->hash_types, &in);
	else if (proto_be == bpf_htons(ETH_P_IPV6))
		hashed = classify_ipv6(&pkt, off, cfg->hash_types, &in);

	if (hashed) {
		hash = toeplitz(cfg, &in);
		report = in.report;
		queue = cfg->table[hash & cfg->table_mask & (RSS_TABLE_MAX - 1)];
		goto out;
	}
unclassified:
	queue = cfg->unclassified_queue;
out:
#ifdef WITH_HASH_KFUNCS
	if (rss_ksym_exists(bpf_skb_set_vnet_hash))
		bpf_skb_set_vnet_hash(skb, hash, report);
#endif
	res = bpf_map_lookup_elem(&rss_result, &zero);
	if (res) {
		res->hash_value = hash;
		res->hash_report = report;
		res->queue = queue;
		res->runs++;
	}
	return queue;
}

char _license[] SEC("license") = "GPL";
