/* ram=top: find where RAM ends in the boot loader's memory map and prove the
 * last page is RAM (it keeps what is written to it). A VMM that maps RAM above
 * 4 GiB must give it a memory slot and say so in the map, or this fails. */
#include "config.h"

#define E820_ENTRIES   0x1E8   /* boot_params: u8 e820_entries */
#define E820_TABLE     0x2D0   /* struct boot_e820_entry { u64 addr, size; u32 type; } packed, 20 bytes */
#define E820_RAM       1
#define MB_FLAG_MMAP   (1u << 6)
#define IDENTITY_MAP_END (64ull << 30)   /* entry.S maps 0..64 GiB */
#define PAGE           4096ull

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t e820_top(const uint8_t *bp)
{
	unsigned n = bp[E820_ENTRIES];
	uint64_t top = 0;
	for (unsigned i = 0; i < n && i < 128; i++) {
		const uint8_t *e = bp + E820_TABLE + 20 * i;
		if (rd32(e + 16) == E820_RAM && rd64(e) + rd64(e + 8) > top)
			top = rd64(e) + rd64(e + 8);
	}
	return top;
}

/* Multiboot 0.6.96, 3.3: mmap_length at 44, mmap_addr at 48; each entry is
 * size (not counting itself), base_addr, length, type (1 = RAM). */
static uint64_t multiboot_top(const uint8_t *mbi)
{
	if (!(rd32(mbi) & MB_FLAG_MMAP))
		return 0;
	const uint8_t *p = (const uint8_t *)(uintptr_t)rd32(mbi + 48);
	const uint8_t *end = p + rd32(mbi + 44);
	uint64_t top = 0;
	while (p + 24 <= end) {
		if (rd32(p + 20) == E820_RAM && rd64(p + 4) + rd64(p + 12) > top)
			top = rd64(p + 4) + rd64(p + 12);
		p += rd32(p) + 4;
	}
	return top;
}

void ram_touch_top(const void *boot_info, enum boot_info_kind kind)
{
	uint64_t top = 0;
	if (kind == BOOT_INFO_BOOT_PARAMS)
		top = e820_top(boot_info);
	else if (kind == BOOT_INFO_MULTIBOOT)
		top = multiboot_top(boot_info);
	if (top < 2 * PAGE)
		fail(EXIT_RAM, "ram: the boot loader gave no memory map");
	if (top > IDENTITY_MAP_END)
		fail(EXIT_RAM, "ram: RAM ends at 0x%lx, beyond the probe's 64 GiB identity map", top);

	uint64_t last = (top - 1) & ~(PAGE - 1);
	volatile uint64_t *first_word = (volatile uint64_t *)(uintptr_t)last;
	volatile uint64_t *last_word = (volatile uint64_t *)(uintptr_t)(last + PAGE - 8);
	/* Values that name the page, so a write that lands elsewhere cannot pass. */
	*first_word = last ^ 0x4D56524D41525450ull;   /* "MVRMARTP" */
	*last_word = ~last;
	mfence();
	if (*first_word != (last ^ 0x4D56524D41525450ull) || *last_word != ~last)
		fail(EXIT_RAM, "ram: the last page 0x%lx did not keep what was written (no RAM there)", last);
	pr("probe: ram top=0x%lx last_page=0x%lx ok\n", top, last);
}
