/* virtio-net driver for the steering probe (virtio 1.2 §5.1). */
#ifndef NET_H
#define NET_H
#include "virtio.h"
#include "config.h"

/* §5.1.3 feature bits */
#define VIRTIO_NET_F_CSUM 0
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_HOST_TSO4 11
#define VIRTIO_NET_F_MRG_RXBUF 15
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_F_CTRL_VQ 17
#define VIRTIO_NET_F_MQ 22
#define VIRTIO_NET_F_HASH_REPORT 57
#define VIRTIO_NET_F_RSS 60

#define MAX_PAIRS 64
#define RX_BUF_SIZE 2048
#define TX_BUF_SIZE 2048   /* 64 KiB + header when a tx job is longer than 1514 (TSO) */

struct net {
	struct virtio_dev dev;
	uint64_t features;
	unsigned max_pairs, pairs, hdr_len;
	unsigned rss_max_key, rss_max_table;
	uint32_t hash_types_supported;
	uint8_t mac[6];
	struct virtq rx[MAX_PAIRS], tx[MAX_PAIRS], ctrl;
	uint8_t *ctrl_page;
	uint64_t rx_frames[MAX_PAIRS];
};

static inline bool has(const struct net *n, unsigned bit) { return (n->features >> bit) & 1; }

/* net.c */
void net_run(void);
/* netctrl.c: control queue commands (§5.1.6.5); each prints its line, returns the ack */
unsigned ctrl_pairs_set(struct net *n, unsigned pairs);
unsigned ctrl_rss(struct net *n, const struct rss_params *r);
/* nettx.c */
void tx_run(struct net *n, const struct tx_job *j);
/* netlink.c: waits for `changes` configuration changes, reporting the link status after each */
void link_watch(struct net *n, unsigned changes);
/* netrx.c: one phase of reception, returns the frames received */
unsigned long rx_phase(struct net *n, long expect);

#endif
