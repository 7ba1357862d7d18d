/*
 * frame-observer: per-frame receive queue and hash, seen inside a Linux guest.
 *
 *   frame-observer observe IFACE [--frames N] [--timeout MS] [--idle MS]
 *       An AF_PACKET socket on IFACE with an eBPF socket filter that pushes, for every frame the
 *       socket gets, __sk_buff's queue_mapping (RX queue + 1; 0 = not recorded), hash and len into
 *       a BPF_MAP_TYPE_QUEUE; after each recv the entry is popped and one line printed:
 *         obs q=Q qm=M hash=0xHHHHHHHH len=L type=T eth=0xEEEE [ip=A>B l4=P ports=S>D] id=ID
 *       (q = qm - 1, or -1 when no queue was recorded; type = sll_pkttype; id = the frame's "MVID"
 *       trailer, -1 without). Prints "obs ready" once attached, "obs done frames=N" at the end
 *       (after N frames with an id, or MS ms without any frame, or the overall timeout).
 *   frame-observer send IFACE COUNT [--flows F]
 *       Sends COUNT Ethernet/IPv4/UDP frames out of IFACE, flow i % F (source port 1000 + flow),
 *       each ending in "MVID" + big-endian id (0..COUNT-1). For the host side of a test.
 *
 * Raw bpf(2) calls, no libbpf: the guest runs this binary from the host's file system and needs
 * nothing but the kernel's CONFIG_BPF_SYSCALL.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif

struct observation { uint32_t queue_mapping, hash, len, napi_id; };

static long bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof(*attr)); }

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(dst, src, off) INSN(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define STX_W(dst, src, off) INSN(BPF_STX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV64_REG(dst, src) INSN(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define ADD64_IMM(dst, imm) INSN(BPF_ALU64 | BPF_ADD | BPF_K, dst, 0, 0, imm)
#define CALL(fn) INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int load_program(int map_fd)
{
	struct bpf_insn prog[] = {
		MOV64_REG(BPF_REG_6, BPF_REG_1), /* r6 = ctx (struct __sk_buff *) */
		LDX_W(BPF_REG_2, BPF_REG_6, offsetof(struct __sk_buff, queue_mapping)),
		STX_W(BPF_REG_10, BPF_REG_2, -16),
		LDX_W(BPF_REG_2, BPF_REG_6, offsetof(struct __sk_buff, hash)),
		STX_W(BPF_REG_10, BPF_REG_2, -12),
		LDX_W(BPF_REG_2, BPF_REG_6, offsetof(struct __sk_buff, len)),
		STX_W(BPF_REG_10, BPF_REG_2, -8),
		LDX_W(BPF_REG_2, BPF_REG_6, offsetof(struct __sk_buff, napi_id)),
		STX_W(BPF_REG_10, BPF_REG_2, -4),
		/* bpf_map_push_elem(map, &observation, BPF_ANY) */
		INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0, map_fd), INSN(0, 0, 0, 0, 0),
		MOV64_REG(BPF_REG_2, BPF_REG_10),
		ADD64_IMM(BPF_REG_2, -16),
		MOV64_IMM(BPF_REG_3, 0),
		CALL(BPF_FUNC_map_push_elem),
		MOV64_IMM(BPF_REG_0, -1), /* keep the whole frame */
		EXIT(),
	};
	static char log[65536];
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uintptr_t)prog;
	attr.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	attr.license = (uintptr_t)"GPL";
	attr.log_buf = (uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	int fd = bpf(BPF_PROG_LOAD, &attr);
	if (fd < 0) fprintf(stderr, "frame-observer: BPF_PROG_LOAD: %s\n%s\n", strerror(errno), log);
	return fd;
}

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static long frame_id(const unsigned char *f, ssize_t n)
{
	if (n < 8 || memcmp(f + n - 8, "MVID", 4) != 0) return -1;
	return (long)(((uint32_t)f[n - 4] << 24) | ((uint32_t)f[n - 3] << 16) | ((uint32_t)f[n - 2] << 8) | f[n - 1]);
}

static void describe(const unsigned char *f, ssize_t n, char *out, size_t size)
{
	out[0] = 0;
	if (n < 14) return;
	unsigned eth = (f[12] << 8) | f[13];
	int at = snprintf(out, size, "eth=0x%04x", eth);
	if (eth == ETH_P_IP && n >= 34) {
		const unsigned char *ip = f + 14;
		unsigned ihl = (ip[0] & 15) * 4, proto = ip[9];
		at += snprintf(out + at, size - at, " ip=%u.%u.%u.%u>%u.%u.%u.%u l4=%u", ip[12], ip[13], ip[14], ip[15], ip[16], ip[17], ip[18], ip[19], proto);
		if ((proto == 6 || proto == 17) && n >= (ssize_t)(14 + ihl + 4))
			snprintf(out + at, size - at, " ports=%u>%u", (ip[ihl] << 8) | ip[ihl + 1], (ip[ihl + 2] << 8) | ip[ihl + 3]);
	}
}

static int observe(const char *ifname, long frames, long timeout_ms, long idle_ms)
{
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.map_type = BPF_MAP_TYPE_QUEUE;
	attr.key_size = 0;
	attr.value_size = sizeof(struct observation);
	attr.max_entries = 65536;
	int map_fd = bpf(BPF_MAP_CREATE, &attr);
	if (map_fd < 0) { fprintf(stderr, "frame-observer: BPF_MAP_CREATE queue: %s\n", strerror(errno)); return 2; }
	int prog_fd = load_program(map_fd);
	if (prog_fd < 0) return 2;
	unsigned ifindex = if_nametoindex(ifname);
	if (ifindex == 0) { fprintf(stderr, "frame-observer: no interface %s\n", ifname); return 2; }
	/* Protocol 0 receives nothing until bind, so no frame arrives before the filter is attached. */
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0) { perror("frame-observer: socket"); return 2; }
	int rcvbuf = 8 << 20;
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(s, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)) != 0) { perror("frame-observer: SO_ATTACH_BPF"); return 2; }
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL), .sll_ifindex = (int)ifindex };
	if (bind(s, (struct sockaddr *)&sll, sizeof(sll)) != 0) { perror("frame-observer: bind"); return 2; }
	printf("obs ready if=%s\n", ifname);
	fflush(stdout);
	static unsigned char frame[65536 + 64];
	long counted = 0, seen = 0;
	long long start = now_ms(), last = start;
	while (frames < 0 || counted < frames) {
		long long t = now_ms();
		long long until = start + timeout_ms;
		if (seen > 0 && last + idle_ms < until) until = last + idle_ms;
		if (t >= until) break;
		struct pollfd p = { .fd = s, .events = POLLIN };
		if (poll(&p, 1, (int)(until - t)) <= 0) continue;
		struct sockaddr_ll from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(s, frame, sizeof(frame), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		if (n < 0) { if (errno == EINTR) continue; perror("frame-observer: recv"); return 2; }
		struct observation o;
		memset(&attr, 0, sizeof(attr));
		attr.map_fd = map_fd;
		attr.key = 0;
		attr.value = (uintptr_t)&o;
		if (bpf(BPF_MAP_LOOKUP_AND_DELETE_ELEM, &attr) != 0) {
			printf("obs error no-observation len=%zd\n", n);
			continue;
		}
		char what[160];
		describe(frame, n < (ssize_t)sizeof(frame) ? n : (ssize_t)sizeof(frame), what, sizeof(what));
		long id = frame_id(frame, n);
		/* The filter saw this frame if the lengths agree; anything else means an entry was lost. */
		printf("obs q=%d qm=%u hash=0x%08x len=%zd type=%u %s id=%ld%s\n", (int)o.queue_mapping - 1, o.queue_mapping, o.hash, n,
		       from.sll_pkttype, what, id, o.len == (uint32_t)n ? "" : " error=length");
		fflush(stdout);
		seen++;
		last = now_ms();
		if (id >= 0) counted++;
	}
	printf("obs done frames=%ld\n", counted);
	fflush(stdout);
	return 0;
}

static int send_frames(const char *ifname, long count, long flows)
{
	unsigned ifindex = if_nametoindex(ifname);
	if (ifindex == 0) { fprintf(stderr, "frame-observer: no interface %s\n", ifname); return 2; }
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0) { perror("frame-observer: socket"); return 2; }
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP), .sll_ifindex = (int)ifindex, .sll_halen = 6 };
	memset(sll.sll_addr, 0xff, 6);
	for (long i = 0; i < count; i++) {
		unsigned char f[14 + 20 + 8 + 16 + 8] = { 0 };
		memset(f, 0xff, 6);                                  /* broadcast: every guest takes it */
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
		f[12] = 0x08;
		unsigned char *ip = f + 14, *udp = ip + 20;
		unsigned ip_len = sizeof(f) - 14, sport = 1000 + (unsigned)(i % flows);
		ip[0] = 0x45; ip[2] = ip_len >> 8; ip[3] = ip_len & 255; ip[8] = 64; ip[9] = 17;
		ip[12] = 10; ip[13] = 99; ip[15] = 1; ip[16] = 10; ip[17] = 99; ip[19] = 2;
		unsigned sum = 0;
		for (int k = 0; k < 20; k += 2) sum += (ip[k] << 8) | ip[k + 1];
		while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
		ip[10] = (~sum >> 8) & 255; ip[11] = ~sum & 255;
		udp[0] = sport >> 8; udp[1] = sport & 255; udp[2] = 2000 >> 8; udp[3] = 2000 & 255;
		udp[4] = (ip_len - 20) >> 8; udp[5] = (ip_len - 20) & 255;
		memcpy(f + sizeof(f) - 8, "MVID", 4);
		f[sizeof(f) - 4] = (i >> 24) & 255; f[sizeof(f) - 3] = (i >> 16) & 255; f[sizeof(f) - 2] = (i >> 8) & 255; f[sizeof(f) - 1] = i & 255;
		if (sendto(s, f, sizeof(f), 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)sizeof(f)) { perror("frame-observer: sendto"); return 2; }
	}
	printf("sent frames=%ld\n", count);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "observe") == 0) {
		long frames = -1, timeout_ms = 30000, idle_ms = 2000;
		for (int i = 3; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--frames") == 0) frames = atol(argv[i + 1]);
			else if (strcmp(argv[i], "--timeout") == 0) timeout_ms = atol(argv[i + 1]);
			else if (strcmp(argv[i], "--idle") == 0) idle_ms = atol(argv[i + 1]);
			else { fprintf(stderr, "frame-observer: unknown option %s\n", argv[i]); return 2; }
		}
		return observe(argv[2], frames, timeout_ms, idle_ms);
	}
	if (argc >= 4 && strcmp(argv[1], "send") == 0) {
		long flows = 1;
		if (argc >= 6 && strcmp(argv[4], "--flows") == 0) flows = atol(argv[5]);
		return send_frames(argv[2], atol(argv[3]), flows < 1 ? 1 : flows);
	}
	fprintf(stderr, "usage: frame-observer observe IFACE [--frames N] [--timeout MS] [--idle MS]\n"
			"       frame-observer send IFACE COUNT [--flows F]\n");
	return 2;
}
