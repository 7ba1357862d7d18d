/* virtio-net bring-up (§3.1.1, §5.1.5) and the probe's run: configure, report
 * ready, transmit, receive, report. */
#include "net.h"

static struct net net;

static void find_device(struct net *n)
{
	static const uint16_t ids[] = { 0x1041, 0x1000 };   /* modern, transitional */
	if (!pci_find(0x1AF4, ids, 2, &n->dev.pci)) {
		if (cfg.net == NET_ON)
			fail(EXIT_NO_DEVICE, "no virtio-net device");
		pr("probe: net none\n");
		probe_exit(cfg.exit_status);
	}
	if (!virtio_pci_probe(&n->dev))
		fail(EXIT_NO_DEVICE, "virtio-net device without modern virtio-pci capabilities");
}

static uint64_t wanted_features(void)
{
	uint64_t w = 1ull << VIRTIO_F_VERSION_1;
	if (cfg.event_idx) w |= 1ull << VIRTIO_F_EVENT_IDX;
	if (cfg.tso) w |= 1ull << VIRTIO_NET_F_CSUM | 1ull << VIRTIO_NET_F_HOST_TSO4;
	if (cfg.mac) w |= 1ull << VIRTIO_NET_F_MAC;
	if (cfg.status) w |= 1ull << VIRTIO_NET_F_STATUS;
	if (cfg.ctrl) {
		w |= 1ull << VIRTIO_NET_F_CTRL_VQ;
		/* MQ, RSS and HASH_REPORT all need the control queue (§5.1.3.1) */
		if (cfg.mq) w |= 1ull << VIRTIO_NET_F_MQ;
		if (cfg.rss) w |= 1ull << VIRTIO_NET_F_RSS;
		if (cfg.hash) w |= 1ull << VIRTIO_NET_F_HASH_REPORT;
	}
	return w;
}

static void init_device(struct net *n)
{
	struct virtio_dev *d = &n->dev;
	virtio_reset(d);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	uint64_t offered = virtio_device_features(d);
	if (!(offered >> VIRTIO_F_VERSION_1 & 1))
		fail(EXIT_DEVICE_INIT, "device does not offer VIRTIO_F_VERSION_1");
	n->features = offered & wanted_features();
	virtio_set_driver_features(d, n->features);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	if (!(virtio_status(d) & VIRTIO_STATUS_FEATURES_OK))
		fail(EXIT_DEVICE_INIT, "device rejected features 0x%lx", n->features);
	pr("probe: features device=0x%lx driver=0x%lx\n", offered, n->features);

	/* §5.1.4 struct virtio_net_config */
	uint64_t c = d->device;
	for (int i = 0; i < 6; i++)
		n->mac[i] = has(n, VIRTIO_NET_F_MAC) ? mmio_read8(c + (uint64_t)i) : (uint8_t[]){ 0x52, 0x54, 0, 0, 0, 1 }[i];
	bool multi = has(n, VIRTIO_NET_F_MQ) || has(n, VIRTIO_NET_F_RSS);
	n->max_pairs = multi ? mmio_read16(c + 8) : 1;
	if (n->max_pairs == 0)
		n->max_pairs = 1;
	if (has(n, VIRTIO_NET_F_RSS)) {
		n->rss_max_key = mmio_read8(c + 17);
		n->rss_max_table = mmio_read16(c + 18);
	}
	if (has(n, VIRTIO_NET_F_RSS) || has(n, VIRTIO_NET_F_HASH_REPORT))
		n->hash_types_supported = mmio_read32(c + 20);
	n->hdr_len = has(n, VIRTIO_NET_F_HASH_REPORT) ? 20 : 12;   /* virtio_net_hdr_v1(_hash) */
	pr("probe: device pci=%02x:%02x.%u id=0x%04x mac=%02x:%02x:%02x:%02x:%02x:%02x max_pairs=%u "
	   "rss_max_key=%u rss_max_table=%u hash_types=0x%x\n",
	   d->pci.bus, d->pci.slot, d->pci.fn, d->pci.device, n->mac[0], n->mac[1], n->mac[2], n->mac[3],
	   n->mac[4], n->mac[5], n->max_pairs, n->rss_max_key, n->rss_max_table, n->hash_types_supported);

	n->pairs = cfg.pairs ? cfg.pairs : n->max_pairs;
	if (n->pairs > n->max_pairs || n->pairs > MAX_PAIRS)
		fail(EXIT_BAD_CMDLINE, "pairs=%u but the device has %u (probe max %u)", n->pairs, n->max_pairs, MAX_PAIRS);
	if (n->pairs > 1 && !has(n, VIRTIO_NET_F_MQ) && !has(n, VIRTIO_NET_F_RSS))
		fail(EXIT_BAD_CMDLINE, "pairs=%u needs VIRTIO_NET_F_MQ or RSS", n->pairs);

	/* §5.1.2: receiveqN = 2(N-1), transmitqN = 2(N-1)+1, controlq = 2 * max_pairs */
	bool event_idx = has(n, VIRTIO_F_EVENT_IDX);
	uint32_t tx_buf = TX_BUF_SIZE;
	for (unsigned i = 0; i < cfg.tx_count; i++)
		if (n->hdr_len + cfg.tx[i].len > tx_buf)
			tx_buf = (n->hdr_len + MAX_TX_LEN + 4095) & ~4095u;
	for (unsigned q = 0; q < n->pairs; q++) {
		if (!virtq_setup(d, &n->rx[q], (uint16_t)(2 * q), (uint16_t)cfg.qsize, RX_BUF_SIZE, event_idx) ||
		    !virtq_setup(d, &n->tx[q], (uint16_t)(2 * q + 1), (uint16_t)cfg.qsize, tx_buf, event_idx))
			fail(EXIT_DEVICE_INIT, "queue pair %u missing", q);
	}
	if (has(n, VIRTIO_NET_F_CTRL_VQ)) {
		if (!virtq_setup(d, &n->ctrl, (uint16_t)(2 * n->max_pairs), 8, 0, event_idx))
			fail(EXIT_DEVICE_INIT, "control queue %u missing", 2 * n->max_pairs);
		n->ctrl_page = alloc_pages(4096);
	}
	for (unsigned q = 0; q < n->pairs; q++) {
		virtq_enable(d, &n->rx[q]);
		virtq_enable(d, &n->tx[q]);
		/* §5.1.6.3: device-writable RX buffers, one per descriptor */
		for (uint16_t i = 0; i < n->rx[q].size; i++) {
			n->rx[q].desc[i].flags = VIRTQ_DESC_F_WRITE;
			virtq_push(&n->rx[q], i);
		}
	}
	if (has(n, VIRTIO_NET_F_CTRL_VQ))
		virtq_enable(d, &n->ctrl);
	virtio_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
				     VIRTIO_STATUS_DRIVER_OK);
	if (virtio_status(d) & (VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		fail(EXIT_DEVICE_INIT, "device status 0x%x after DRIVER_OK", virtio_status(d));
}

static void configure_steering(struct net *n, const struct rss_params *r)
{
	if (has(n, VIRTIO_NET_F_RSS) || has(n, VIRTIO_NET_F_HASH_REPORT))
		ctrl_rss(n, r);
}

void net_run(void)
{
	struct net *n = &net;
	find_device(n);
	time_init(cfg.tsc_khz);
	init_device(n);
	if (has(n, VIRTIO_NET_F_MQ))
		ctrl_pairs_set(n, n->pairs);   /* before RSS_CONFIG: QEMU drops RSS on PAIRS_SET */
	configure_steering(n, &cfg.rss1);
	for (unsigned q = 0; q < n->pairs; q++)
		virtq_kick(&n->rx[q]);
	pr("probe: ready pairs=%u features=0x%lx hash_report=%u\n", n->pairs, n->features,
	   has(n, VIRTIO_NET_F_HASH_REPORT) ? 1 : 0);

	for (unsigned i = 0; i < cfg.tx_count; i++)
		tx_run(n, &cfg.tx[i]);

	unsigned long total = 0;
	if (cfg.expect != 0)
		total += rx_phase(n, cfg.expect);
	if (cfg.phase2) {
		pr("probe: phase=1 frames=%lu\n", total);
		configure_steering(n, &cfg.rss2);
		pr("probe: ready phase=2\n");
		if (cfg.expect2 != 0)
			total += rx_phase(n, cfg.expect2);
	}
	if (cfg.links)
		link_watch(n, cfg.links);
	for (unsigned q = 0; q < n->pairs; q++)
		pr("rxq q=%u frames=%lu\n", q, n->rx_frames[q]);
	pr("probe: done frames=%lu\n", total);
}
