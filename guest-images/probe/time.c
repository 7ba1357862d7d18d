/* TSC frequency: command line, else CPUID 0x15 / 0x40000010 / 0x16, else the PIT. */
#include "probe.h"

uint64_t tsc_khz;

static void cpuid(uint32_t leaf, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(0));
}

/* PIT channel 2, mode 0, gated through port 0x61: count 10 ms, time it with the TSC. */
static uint64_t pit_khz(void)
{
	const unsigned count = 11932;   /* 1193182 Hz * 10 ms */
	uint8_t p61 = inb(0x61);
	outb(0x61, (uint8_t)((p61 & ~0x02) | 0x01));
	outb(0x43, 0xB0);
	outb(0x42, count & 0xFF);
	outb(0x42, count >> 8);
	uint64_t t0 = rdtsc(), t1 = t0;
	while (!(inb(0x61) & 0x20)) {
		t1 = rdtsc();
		if (t1 - t0 > (1ull << 31))
			return 0;
	}
	t1 = rdtsc();
	outb(0x61, p61);
	return (t1 - t0) / 10;
}

void time_init(uint64_t khz_from_cmdline)
{
	uint32_t r[4];
	const char *src = "cmdline";
	tsc_khz = khz_from_cmdline;
	cpuid(0, r);
	uint32_t max = r[0];
	if (!tsc_khz && max >= 0x15) {
		cpuid(0x15, r);
		if (r[0] && r[1] && r[2]) {
			tsc_khz = (uint64_t)r[2] * r[1] / r[0] / 1000;
			src = "cpuid15";
		}
	}
	if (!tsc_khz) {
		cpuid(0x40000000, r);
		if (r[0] >= 0x40000010 && r[0] < 0x40010000) {
			cpuid(0x40000010, r);
			if (r[0]) {
				tsc_khz = r[0];
				src = "cpuid40000010";
			}
		}
	}
	if (!tsc_khz && max >= 0x16) {
		cpuid(0x16, r);
		if (r[0] & 0xFFFF) {
			tsc_khz = (uint64_t)(r[0] & 0xFFFF) * 1000;
			src = "cpuid16";
		}
	}
	if (!tsc_khz) {
		/* A preempted vCPU only makes a run look longer: keep the shortest of 5. */
		for (int i = 0; i < 5; i++) {
			uint64_t k = pit_khz();
			if (k && (!tsc_khz || k < tsc_khz))
				tsc_khz = k;
		}
		src = "pit";
	}
	if (tsc_khz < 100000 || tsc_khz > 10000000) {   /* nothing believable: assume 2 GHz */
		tsc_khz = 2000000;
		src = "default";
	}
	pr("probe: tsc_khz=%lu source=%s\n", tsc_khz, src);
}

uint64_t ms_to_tsc(uint64_t ms) { return ms * tsc_khz; }
uint64_t tsc_to_us(uint64_t cycles) { return cycles * 1000 / tsc_khz; }
