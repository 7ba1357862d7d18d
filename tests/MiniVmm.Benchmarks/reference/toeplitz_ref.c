/*
 * C reference for the RSS classify+hash benchmark (tests/MiniVmm.Benchmarks/RssBenchmark.cs).
 * Does the same work as the managed RssHasher.Compute: parse Ethernet (2 VLAN tags), IPv4 (IHL,
 * fragments) or IPv6 (up to 8 extension headers, Home Address option, type-2 routing header), TCP/UDP;
 * choose the virtio hash type (virtio 1.2 §5.1.6.4.3); table-driven Toeplitz; queue = table[hash & mask].
 * Written for MiniVmm from the spec; same rules as docs/RSS.md.
 *
 * usage: toeplitz_ref FRAMES_FILE ITERATIONS HASH_TYPES TABLE_LENGTH
 *   FRAMES_FILE: records of u16 little-endian length + frame bytes.
 * prints: ns_per_frame=<float> checksum=0x<hex> frames=<n>
 * With ITERATIONS 0 it prints one line per frame instead: <hash hex> <report> <queue>
 * (the unit tests compare that with the managed engine).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_INPUT 36
#define MAX_VLAN_TAGS 2
#define MAX_EXT_HEADERS 8
#define MAX_OPTIONS 16

static const uint8_t default_key[40] = {
    0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
    0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
    0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint32_t toeplitz_table[MAX_INPUT][256];

struct headers {
    int l3;          /* 0, 4, 6 */
    int src, dst;    /* address offsets */
    int has_ext;
    int home, rh2;   /* -1 when absent */
    int l4;          /* 0, 6, 17 */
    int l4_off;
};

static void build_tables(const uint8_t *key, size_t key_len)
{
    uint8_t padded[MAX_INPUT + 12] = {0};
    memcpy(padded, key, key_len < sizeof(padded) ? key_len : sizeof(padded));
    for (int pos = 0; pos < MAX_INPUT; pos++) {
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = (bits << 8) | padded[pos + i];
        uint32_t window[8];
        for (int bit = 0; bit < 8; bit++)
            window[bit] = (uint32_t)(bits >> (32 - bit));
        toeplitz_table[pos][0] = 0;
        for (int v = 1; v < 256; v++) {
            int lowest = v & -v;
            int from_top = 7 - __builtin_ctz(lowest);
            toeplitz_table[pos][v] = toeplitz_table[pos][v ^ lowest] ^ window[from_top];
        }
    }
}

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }

static int find_home_address(const uint8_t *h, int len)
{
    int pos = 2;
    for (int opt = 0; opt < MAX_OPTIONS && pos < len; opt++) {
        uint8_t type = h[pos];
        if (type == 0) { pos++; continue; }
        if (len - pos < 2) return -1;
        int data = h[pos + 1];
        if (len - pos - 2 < data) return -1;
        if (type == 0xC9 && data == 16) return pos + 2;
        pos += 2 + data;
    }
    return -1;
}

static void set_l4(struct headers *h, int len, int proto, int off)
{
    int avail = len - off;
    if (proto == 6 && avail >= 20) { h->l4 = 6; h->l4_off = off; }
    else if (proto == 17 && avail >= 8) { h->l4 = 17; h->l4_off = off; }
}

static void parse(const uint8_t *f, int len, struct headers *h)
{
    h->l3 = 0; h->has_ext = 0; h->home = -1; h->rh2 = -1; h->l4 = 0; h->l4_off = -1;
    if (len < 14) return;
    int off = 14;
    uint16_t type = be16(f + 12);
    for (int tags = 0; type == 0x8100 || type == 0x88A8; tags++) {
        if (tags == MAX_VLAN_TAGS || len - off < 4) return;
        type = be16(f + off + 2);
        off += 4;
    }
    if (type == 0x0800) {
        if (len - off < 20) return;
        int ihl = (f[off] & 0x0F) * 4;
        if ((f[off] >> 4) != 4 || ihl < 20 || len - off < ihl) return;
        h->l3 = 4; h->src = off + 12; h->dst = off + 16;
        if (be16(f + off + 6) & 0x3FFF) return;
        set_l4(h, len, f[off + 9], off + ihl);
    } else if (type == 0x86DD) {
        if (len - off < 40 || (f[off] >> 4) != 6) return;
        h->l3 = 6; h->src = off + 8; h->dst = off + 24;
        int next = f[off + 6];
        int cur = off + 40;
        for (int count = 0;; count++) {
            int hlen;
            switch (next) {
            case 6: case 17:
                set_l4(h, len, next, cur);
                return;
            case 0: case 43: case 60: case 135: case 139: case 140: case 253: case 254:
                h->has_ext = 1;
                if (count == MAX_EXT_HEADERS || len - cur < 8) return;
                hlen = (f[cur + 1] + 1) * 8;
                break;
            case 44:
                h->has_ext = 1;
                if (count == MAX_EXT_HEADERS || len - cur < 8) return;
                if (be16(f + cur + 2) & 0xFFF9) return;
                hlen = 8;
                break;
            case 51:
                h->has_ext = 1;
                if (count == MAX_EXT_HEADERS || len - cur < 8) return;
                hlen = (f[cur + 1] + 2) * 4;
                break;
            case 50:
                h->has_ext = 1;
                return;
            default:
                return;
            }
            if (len - cur < hlen) return;
            if (next == 60 && h->home < 0) {
                int home = find_home_address(f + cur, hlen);
                if (home >= 0) h->home = cur + home;
            } else if (next == 43 && h->rh2 < 0 && f[cur + 1] == 2 && f[cur + 2] == 2 && f[cur + 3] == 1) {
                h->rh2 = cur + 8;
            }
            next = f[cur];
            cur += hlen;
        }
    }
}

/* Report codes (virtio 1.2 §5.1.6.4.4). Type bit = 1 << (report - 1). */
static int select_type(const struct headers *h, uint32_t t)
{
    int tcp = h->l4 == 6, udp = h->l4 == 17;
    if (h->l3 == 4) {
        if (tcp && (t & (1u << 1))) return 2;
        if (udp && (t & (1u << 2))) return 3;
        if (t & (1u << 0)) return 1;
        return 0;
    }
    if (h->l3 == 6) {
        if (h->has_ext) {
            if (tcp && (t & (1u << 7))) return 8;
            if (udp && (t & (1u << 8))) return 9;
            if (t & (1u << 6)) return 7;
        }
        if (tcp && (t & (1u << 4))) return 5;
        if (udp && (t & (1u << 5))) return 6;
        if (t & (1u << 3)) return 4;
    }
    return 0;
}

struct result { uint32_t hash; int report; uint16_t queue; };

static inline struct result compute(const uint8_t *f, int len, uint32_t types,
                                    const uint16_t *table, uint32_t table_len, uint16_t unclassified)
{
    struct headers h;
    struct result r = {0, 0, unclassified};
    parse(f, len, &h);
    int report = select_type(&h, types);
    if (report == 0) return r;
    uint8_t input[MAX_INPUT];
    int ab = h.l3 == 4 ? 4 : 16;
    int src = h.src, dst = h.dst;
    if (report >= 7) {
        if (h.home >= 0) src = h.home;
        if (h.rh2 >= 0) dst = h.rh2;
    }
    memcpy(input, f + src, ab);
    memcpy(input + ab, f + dst, ab);
    int n = 2 * ab;
    if (report != 1 && report != 4 && report != 7) {
        memcpy(input + n, f + h.l4_off, 4);
        n += 4;
    }
    uint32_t hash = 0;
    for (int i = 0; i < n; i++)
        hash ^= toeplitz_table[i][input[i]];
    r.hash = hash;
    r.report = report;
    r.queue = table[hash & (table_len - 1)];
    return r;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s FRAMES_FILE ITERATIONS HASH_TYPES TABLE_LENGTH\n", argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[1], "rb");
    if (!file) { perror(argv[1]); return 2; }
    long iterations = atol(argv[2]);
    if (iterations < 0) { fprintf(stderr, "bad iterations\n"); return 2; }
    uint32_t types = (uint32_t)strtoul(argv[3], NULL, 0);
    uint32_t table_len = (uint32_t)strtoul(argv[4], NULL, 0);
    if (table_len == 0 || table_len > 128 || (table_len & (table_len - 1))) { fprintf(stderr, "bad table length\n"); return 2; }

    static uint8_t data[1 << 24];
    static int offsets[1 << 18], lengths[1 << 18];
    int count = 0;
    size_t used = 0;
    uint8_t lenbuf[2];
    while (count < (1 << 18) && fread(lenbuf, 1, 2, file) == 2) {
        int len = lenbuf[0] | (lenbuf[1] << 8);
        if (used + len > sizeof(data) || fread(data + used, 1, len, file) != (size_t)len) { fprintf(stderr, "bad frames file\n"); return 2; }
        offsets[count] = (int)used; lengths[count] = len; used += len; count++;
    }
    fclose(file);
    if (count == 0) { fprintf(stderr, "no frames\n"); return 2; }

    /* Same configuration as the managed side: the default key, table[i] = i % 4, unclassified queue 0. */
    build_tables(default_key, sizeof(default_key));
    uint16_t table[128];
    for (uint32_t i = 0; i < table_len; i++) table[i] = (uint16_t)(i % 4);

    if (iterations == 0) {
        for (int i = 0; i < count; i++) {
            struct result r = compute(data + offsets[i], lengths[i], types, table, table_len, 0);
            printf("%08x %d %u\n", r.hash, r.report, r.queue);
        }
        return 0;
    }

    uint32_t checksum = 0;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long it = 0; it < iterations; it++) {
        for (int i = 0; i < count; i++) {
            struct result r = compute(data + offsets[i], lengths[i], types, table, table_len, 0);
            checksum += r.hash + (uint32_t)r.report * 0x9E3779B9u + r.queue;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double ns = (end.tv_sec - start.tv_sec) * 1e9 + (end.tv_nsec - start.tv_nsec);
    printf("ns_per_frame=%.3f checksum=0x%08x frames=%d\n", ns / ((double)iterations * count), checksum, count);
    return 0;
}
