/* The only C that runs in ring 0: IDT/TSS setup and the exception report.
 * Kept tiny because ring-0 code is emulated on PVM hosts. */
#include "probe.h"

struct trap_frame {
	uint64_t vector, error, rip, cs, rflags, rsp, ss;
};

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iopb_offset;
	uint8_t io_bitmap[8192 + 1];   /* all ports allowed; last byte 0xFF per SDM */
} __attribute__((packed));

extern uint64_t gdt_tss[2];
extern char trap_stubs[];
extern char __kstack_top[];

uint64_t idt[32 * 2] __attribute__((aligned(16)));
static struct tss tss __attribute__((aligned(16)));

void ring0_setup(void)
{
	for (int v = 0; v < 32; v++) {
		uint64_t h = (uint64_t)trap_stubs + (uint64_t)v * 16;
		/* interrupt gate, DPL 0, present, selector 0x08 */
		idt[v * 2] = (h & 0xFFFF) | (0x08ull << 16) | (0x8Eull << 40) | ((h >> 16 & 0xFFFF) << 48);
		idt[v * 2 + 1] = h >> 32;
	}
	tss.rsp[0] = (uint64_t)__kstack_top;
	/* IOPL=3 is what we ask for, but a PVM host keeps the real IOPL at 0 for
	 * ring 3; a zero I/O bitmap lets ring 3 reach every port either way. */
	tss.iopb_offset = offsetof(struct tss, io_bitmap);
	tss.io_bitmap[8192] = 0xFF;
	uint64_t b = (uint64_t)&tss, lim = sizeof(struct tss) - 1;
	gdt_tss[0] = (lim & 0xFFFF) | ((b & 0xFFFFFF) << 16) | (0x89ull << 40) | ((b >> 24 & 0xFF) << 56);
	gdt_tss[1] = b >> 32;
}

/* Any CPU exception is a probe bug: say where, exit with 96 + vector. */
__attribute__((noreturn)) void trap_report(struct trap_frame *f, uint64_t cr2)
{
	pr("probe: trap vector=%lu error=0x%lx rip=0x%lx cs=0x%lx rflags=0x%lx rsp=0x%lx cr2=0x%lx\n",
	   f->vector, f->error, f->rip, f->cs, f->rflags, f->rsp, cr2);
	probe_exit(EXIT_TRAP_BASE + (unsigned)(f->vector & 31));
}
