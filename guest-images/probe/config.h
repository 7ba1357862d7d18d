/* Steering probe: the command line, parsed once (grammar in README.md). */
#ifndef CONFIG_H
#define CONFIG_H
#include "probe.h"

#define MAX_KEY 64
#define MAX_TABLE 256
#define MAX_TX 16
#define MAX_TX_LEN 65535         /* a TSO frame: IPv4 total length at most 65535 */

struct rss_params {
	uint8_t key[MAX_KEY];
	unsigned key_len;
	uint16_t table[MAX_TABLE];
	unsigned table_len;          /* 0 = spread over the pairs, default length */
	uint32_t types;
	bool types_set;
	unsigned unclassified;
};

struct tx_job {
	unsigned queue, count, len;
};

enum net_mode { NET_OFF, NET_AUTO, NET_ON };

struct config {
	unsigned exit_status;
	enum net_mode net;
	bool mq, ctrl, rss, hash, mac, status, mrg;
	bool event_idx;              /* offer VIRTIO_F_EVENT_IDX (as Linux does) */
	bool tso;                    /* offer CSUM + HOST_TSO4, used by tx jobs longer than 1514 */
	unsigned pairs;              /* 0 = all the device has */
	unsigned qsize;              /* cap on every queue's size */
	unsigned table_len_default;  /* length of the default spread table */
	struct rss_params rss1, rss2;
	bool phase2;
	long expect, expect2;        /* -1 = until idle */
	bool count_all;              /* count=all: every frame counts toward expect, not only MVID-marked ones */
	unsigned idle_ms, wait_ms;
	struct tx_job tx[MAX_TX];
	unsigned tx_count;
	uint64_t tsc_khz;
	bool quiet;
	unsigned fault;              /* fault=6|13|14: raise that exception in ring 3 (tests the trap path) */
	bool print_after;            /* rx lines after the phase, not per frame */
	unsigned records;            /* rx lines held before a forced flush */
	bool ram_top;                /* ram=top: touch the last page of RAM the memory map gives */
	unsigned links;              /* configuration changes to wait for and report after receiving */
};

extern struct config cfg;
void config_parse(const char *cmdline);

#endif
