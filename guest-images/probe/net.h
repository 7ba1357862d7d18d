#ifndef NET_H
#define NET_H
/* Finds and drives the virtio-net device per cfg; returns when the run is over. */
void net_run(void);
#endif
