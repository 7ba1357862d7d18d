/* PCI enumeration and BAR handling over the legacy configuration ports. */
#include "pci.h"

#define CFG_ADDR 0xCF8
#define CFG_DATA 0xCFC
#define PCI_COMMAND 0x04
#define PCI_BAR0 0x10
#define CMD_MEMORY 0x0006   /* memory decoding | bus master (the device DMAs into our rings) */

static uint64_t next_mmio = 0xD0000000;   /* inside 0xC0000000..0xFEBFFFFF */

static void select_reg(const struct pci_fn *f, unsigned off)
{
	outl(CFG_ADDR, 0x80000000u | (uint32_t)f->bus << 16 | (uint32_t)f->slot << 11 |
			       (uint32_t)f->fn << 8 | (off & 0xFC));
}

uint32_t pci_read32(const struct pci_fn *f, unsigned off) { select_reg(f, off); return inl(CFG_DATA); }
uint16_t pci_read16(const struct pci_fn *f, unsigned off) { select_reg(f, off); return inw(CFG_DATA + (off & 2)); }
uint8_t pci_read8(const struct pci_fn *f, unsigned off) { select_reg(f, off); return inb(CFG_DATA + (off & 3)); }
void pci_write32(const struct pci_fn *f, unsigned off, uint32_t v) { select_reg(f, off); outl(CFG_DATA, v); }
void pci_write16(const struct pci_fn *f, unsigned off, uint16_t v) { select_reg(f, off); outw(CFG_DATA + (off & 2), v); }

bool pci_find(uint16_t vendor, const uint16_t *devices, unsigned ndevices, struct pci_fn *out)
{
	for (unsigned slot = 0; slot < 32; slot++) {
		for (unsigned fn = 0; fn < 8; fn++) {
			struct pci_fn f = { 0, (uint8_t)slot, (uint8_t)fn, 0, 0 };
			uint32_t id = pci_read32(&f, 0);
			if ((id & 0xFFFF) == 0xFFFF) {
				if (fn == 0)
					break;   /* no device in this slot */
				continue;
			}
			f.vendor = (uint16_t)id;
			f.device = (uint16_t)(id >> 16);
			pr("pci %02x:%02x.%u vendor=0x%04x device=0x%04x\n", f.bus, f.slot, f.fn, f.vendor, f.device);
			for (unsigned i = 0; i < ndevices; i++) {
				if (f.vendor == vendor && f.device == devices[i]) {
					*out = f;
					return true;
				}
			}
			if (fn == 0 && !(pci_read8(&f, 0x0E) & 0x80))
				break;   /* single-function device */
		}
	}
	return false;
}

uint64_t pci_bar_address(const struct pci_fn *f, unsigned bar)
{
	unsigned off = PCI_BAR0 + bar * 4;
	uint32_t lo = pci_read32(f, off);
	if (lo & 1)
		return 0;   /* an I/O BAR: not what virtio-pci modern capabilities point at */
	bool is64 = ((lo >> 1) & 3) == 2;
	uint64_t addr = lo & ~0xFull;
	if (is64)
		addr |= (uint64_t)pci_read32(f, off + 4) << 32;
	uint16_t cmd = pci_read16(f, PCI_COMMAND);
	if (addr == 0 || addr >= 0x100000000ull) {
		/* Size it with decoding off, then place it ourselves. */
		pci_write16(f, PCI_COMMAND, (uint16_t)(cmd & ~CMD_MEMORY));
		pci_write32(f, off, 0xFFFFFFFF);
		uint64_t mask = pci_read32(f, off) & ~0xFull;
		if (is64) {
			pci_write32(f, off + 4, 0xFFFFFFFF);
			mask |= (uint64_t)pci_read32(f, off + 4) << 32;
		} else
			mask |= 0xFFFFFFFF00000000ull;
		uint64_t size = ~mask + 1;
		if (size == 0 || size > 0x10000000)
			return 0;
		addr = (next_mmio + size - 1) & ~(size - 1);
		next_mmio = addr + size;
		pci_write32(f, off, (uint32_t)addr);
		if (is64)
			pci_write32(f, off + 4, 0);
		pr("pci %02x:%02x.%u bar%u assigned 0x%lx size 0x%lx\n", f->bus, f->slot, f->fn, bar, addr, size);
	}
	pci_write16(f, PCI_COMMAND, (uint16_t)(cmd | CMD_MEMORY));
	return addr;
}
