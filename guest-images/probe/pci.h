/* PCI configuration mechanism #1 (0xCF8/0xCFC), bus 0. */
#ifndef PCI_H
#define PCI_H
#include "probe.h"

struct pci_fn {
	uint8_t bus, slot, fn;
	uint16_t vendor, device;
};

uint32_t pci_read32(const struct pci_fn *f, unsigned off);
uint16_t pci_read16(const struct pci_fn *f, unsigned off);
uint8_t pci_read8(const struct pci_fn *f, unsigned off);
void pci_write32(const struct pci_fn *f, unsigned off, uint32_t v);
void pci_write16(const struct pci_fn *f, unsigned off, uint16_t v);
/* Finds the first function matching vendor and one of the devices; false if none. */
bool pci_find(uint16_t vendor, const uint16_t *devices, unsigned ndevices, struct pci_fn *out);
/* Address of a memory BAR as programmed; assigns one in the MMIO window if it
 * is 0 or above 4 GiB (our identity map ends there). Enables memory decoding. */
uint64_t pci_bar_address(const struct pci_fn *f, unsigned bar);

#endif
