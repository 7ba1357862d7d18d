/* Command-line words: `name=value` (order free, last one wins), other words ignored. */
#include "config.h"

struct config cfg;

static const uint8_t msft_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static const char *cur_word;

__attribute__((noreturn)) static void bad(const char *why)
{
	fail(EXIT_BAD_CMDLINE, "bad option '%s': %s", cur_word, why);
}

static bool eq(const char *a, size_t alen, const char *b)
{
	return strlen(b) == alen && memcmp(a, b, alen) == 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decimal, or hex with 0x. Consumes up to a delimiter in `stop`. */
static uint64_t number(const char **p, const char *end, const char *stop)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned base = 10, digits = 0;
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	for (; s < end; s++) {
		bool is_stop = false;
		for (const char *t = stop; *t; t++)
			is_stop |= *s == *t;
		if (is_stop)
			break;
		int d = hexval(*s);
		if (d < 0 || (unsigned)d >= base)
			bad("not a number");
		if (v > (~0ull - (uint64_t)d) / base)
			bad("number too large");
		v = v * base + (uint64_t)d;
		digits++;
	}
	if (!digits)
		bad("missing number");
	*p = s;
	return v;
}

static uint64_t whole_number(const char *v, const char *end, uint64_t max)
{
	uint64_t n = number(&v, end, "");
	if (n > max)
		bad("value out of range");
	return n;
}

static bool on_off(const char *v, const char *end)
{
	if (eq(v, (size_t)(end - v), "on") || eq(v, (size_t)(end - v), "1"))
		return true;
	if (eq(v, (size_t)(end - v), "off") || eq(v, (size_t)(end - v), "0"))
		return false;
	bad("expected on or off");
}

static void parse_key(struct rss_params *r, const char *v, const char *end)
{
	size_t n = (size_t)(end - v);
	if (n >= 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X'))
		v += 2, n -= 2;
	if (n == 0 || n % 2 || n / 2 > MAX_KEY)
		bad("key must be 1..64 bytes of hex");
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
		if (hi < 0 || lo < 0)
			bad("key must be hex");
		r->key[i] = (uint8_t)(hi << 4 | lo);
	}
	r->key_len = (unsigned)(n / 2);
}

static void parse_table(struct rss_params *r, const char *v, const char *end)
{
	unsigned n = 0;
	while (v < end) {
		if (n == MAX_TABLE)
			bad("more than 256 entries");
		r->table[n++] = (uint16_t)number(&v, end, ",");
		if (v < end)
			v++;   /* the comma */
	}
	if (n == 0 || (n & (n - 1)))
		bad("table length must be a power of two");
	r->table_len = n;
}

static void parse_tx(const char *v, const char *end)
{
	while (v < end) {
		if (cfg.tx_count == MAX_TX)
			bad("more than 16 tx jobs");
		struct tx_job *j = &cfg.tx[cfg.tx_count++];
		j->queue = (unsigned)number(&v, end, ":,");
		if (v >= end || *v != ':')
			bad("expected Q:COUNT[:LEN]");
		v++;
		j->count = (unsigned)number(&v, end, ":,");
		j->len = 60;
		if (v < end && *v == ':') {
			v++;
			j->len = (unsigned)number(&v, end, ",");
		}
		if (j->len < 60 || j->len > MAX_TX_LEN)
			bad("frame length must be 60..65535 (above 1514: TSO)");
		if (v < end)
			v++;
	}
}

static void defaults(void)
{
	cfg.net = NET_AUTO;
	cfg.mq = cfg.ctrl = cfg.rss = cfg.hash = cfg.mac = cfg.status = true;
	cfg.event_idx = cfg.tso = true;
	cfg.qsize = 256;
	cfg.table_len_default = 128;
	memcpy(cfg.rss1.key, msft_key, sizeof msft_key);
	cfg.rss1.key_len = sizeof msft_key;
	cfg.rss1.types = 0x1FF;
	cfg.expect = cfg.expect2 = -1;
	cfg.idle_ms = 2000;
	cfg.wait_ms = 10000;
	cfg.print_after = true;
	cfg.records = 65536;
}

static void option(const char *k, size_t klen, const char *v, const char *end)
{
#define IS(name) eq(k, klen, name)
	if (IS("exit")) cfg.exit_status = (unsigned)whole_number(v, end, 255);
	else if (IS("net")) {
		if (eq(v, (size_t)(end - v), "auto")) cfg.net = NET_AUTO;
		else cfg.net = on_off(v, end) ? NET_ON : NET_OFF;
	}
	else if (IS("mq")) cfg.mq = on_off(v, end);
	else if (IS("ctrl")) cfg.ctrl = on_off(v, end);
	else if (IS("rss")) cfg.rss = on_off(v, end);
	else if (IS("hash")) cfg.hash = on_off(v, end);
	else if (IS("mac")) cfg.mac = on_off(v, end);
	else if (IS("status")) cfg.status = on_off(v, end);
	else if (IS("mrg")) cfg.mrg = on_off(v, end);
	else if (IS("event_idx")) cfg.event_idx = on_off(v, end);
	else if (IS("tso")) cfg.tso = on_off(v, end);
	else if (IS("pairs")) cfg.pairs = (unsigned)whole_number(v, end, 0x8000);
	else if (IS("qsize")) cfg.qsize = (unsigned)whole_number(v, end, 32768);
	else if (IS("table_len")) cfg.table_len_default = (unsigned)whole_number(v, end, MAX_TABLE);
	else if (IS("key")) parse_key(&cfg.rss1, v, end);
	else if (IS("table")) parse_table(&cfg.rss1, v, end);
	else if (IS("types")) { cfg.rss1.types = (uint32_t)whole_number(v, end, 0xFFFFFFFF); cfg.rss1.types_set = true; }
	else if (IS("unclassified")) cfg.rss1.unclassified = (unsigned)whole_number(v, end, 0xFFFF);
	else if (IS("key2")) { parse_key(&cfg.rss2, v, end); cfg.phase2 = true; }
	else if (IS("table2")) { parse_table(&cfg.rss2, v, end); cfg.phase2 = true; }
	else if (IS("types2")) { cfg.rss2.types = (uint32_t)whole_number(v, end, 0xFFFFFFFF); cfg.rss2.types_set = true; cfg.phase2 = true; }
	else if (IS("unclassified2")) { cfg.rss2.unclassified = (unsigned)whole_number(v, end, 0xFFFF) + 1; cfg.phase2 = true; }
	else if (IS("expect")) cfg.expect = (long)whole_number(v, end, 1u << 30);
	else if (IS("count")) {
		if (eq(v, (size_t)(end - v), "all")) cfg.count_all = true;
		else if (eq(v, (size_t)(end - v), "marked")) cfg.count_all = false;
		else bad("expected all or marked");
	}
	else if (IS("expect2")) { cfg.expect2 = (long)whole_number(v, end, 1u << 30); cfg.phase2 = true; }
	else if (IS("idle")) cfg.idle_ms = (unsigned)whole_number(v, end, 3600000);
	else if (IS("wait")) cfg.wait_ms = (unsigned)whole_number(v, end, 3600000);
	else if (IS("tx")) parse_tx(v, end);
	else if (IS("tsc_khz")) cfg.tsc_khz = whole_number(v, end, 100000000);
	else if (IS("quiet")) cfg.quiet = on_off(v, end);
	else if (IS("fault")) {
		cfg.fault = (unsigned)whole_number(v, end, 31);
		if (cfg.fault != 6 && cfg.fault != 13 && cfg.fault != 14)
			bad("fault must be 6, 13 or 14");
	}
	else if (IS("print")) {
		if (eq(v, (size_t)(end - v), "after")) cfg.print_after = true;
		else if (eq(v, (size_t)(end - v), "live")) cfg.print_after = false;
		else bad("expected after or live");
	}
	else if (IS("ram")) {
		if (!eq(v, (size_t)(end - v), "top"))
			bad("expected top");
		cfg.ram_top = true;
	}
	else if (IS("links")) cfg.links = (unsigned)whole_number(v, end, 64);
	else if (IS("records")) {
		cfg.records = (unsigned)whole_number(v, end, 1u << 22);
		if (!cfg.records)
			bad("must be at least 1");
	}
	else pr("probe: warning unknown option %s\n", cur_word);
#undef IS
}

void config_parse(const char *s)
{
	defaults();
	while (*s) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		const char *w = s;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n')
			s++;
		const char *eqp = w;
		while (eqp < s && *eqp != '=')
			eqp++;
		if (eqp == s)
			continue;   /* a word without '=' (the kernel file name under multiboot) */
		char word[512];
		size_t wl = (size_t)(s - w) < sizeof word - 1 ? (size_t)(s - w) : sizeof word - 1;
		memcpy(word, w, wl);
		word[wl] = 0;
		cur_word = word;
		option(w, (size_t)(eqp - w), eqp + 1, s);
	}
	/* Phase-2 values default to phase 1's. */
	struct rss_params *a = &cfg.rss1, *b = &cfg.rss2;
	if (!b->key_len) { memcpy(b->key, a->key, MAX_KEY); b->key_len = a->key_len; }
	if (!b->table_len && a->table_len) { memcpy(b->table, a->table, sizeof a->table); b->table_len = a->table_len; }
	if (!b->types_set) { b->types = a->types; b->types_set = a->types_set; }
	b->unclassified = b->unclassified ? b->unclassified - 1 : a->unclassified;
	if (cfg.table_len_default == 0 || (cfg.table_len_default & (cfg.table_len_default - 1)))
		fail(EXIT_BAD_CMDLINE, "bad option table_len: must be a power of two 1..256");
	if (cfg.qsize == 0 || (cfg.qsize & (cfg.qsize - 1)))
		fail(EXIT_BAD_CMDLINE, "bad option qsize: must be a power of two");
}
