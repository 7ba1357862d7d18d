/* Steering probe: shared declarations. Freestanding, ring 3 unless noted. */
#ifndef PROBE_H
#define PROBE_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdbool.h>

/* Exit statuses (value written to port 0x501; the VMM reports (v << 1) | 1). */
#define EXIT_BAD_CMDLINE  80
#define EXIT_NO_DEVICE    81
#define EXIT_DEVICE_INIT  82
#define EXIT_RAM          83   /* ram=top: no memory map, or the last page of RAM is not RAM */
#define EXIT_TRAP_BASE    96   /* + CPU exception vector (0..31) */

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void barrier(void) { __asm__ volatile("" ::: "memory"); }
static inline void mfence(void) { __asm__ volatile("mfence" ::: "memory"); }
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* MMIO through the uncached identity map; widths as the virtio spec asks. */
static inline uint8_t mmio_read8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t mmio_read16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline void mmio_write8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void mmio_write16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }
static inline void mmio_write64(uint64_t a, uint64_t v)
{
	mmio_write32(a, (uint32_t)v);   /* §4.1.3.1: 64-bit fields as two 32-bit writes, low first */
	mmio_write32(a + 4, (uint32_t)(v >> 32));
}

/* lib.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* console.c: COM1 at 0x3F8, one line per event */
void console_init(void);
void console_write(const char *s, size_t n);
void pr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vfmt(char *buf, size_t size, const char *fmt, va_list ap);
__attribute__((noreturn)) void probe_exit(unsigned status);
__attribute__((noreturn)) void fail(unsigned status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* time.c */
extern uint64_t tsc_khz;
void time_init(uint64_t khz_from_cmdline);
uint64_t ms_to_tsc(uint64_t ms);
uint64_t tsc_to_us(uint64_t cycles);

/* What the boot loader handed over besides the command line (entry.S). */
enum boot_info_kind { BOOT_INFO_NONE, BOOT_INFO_BOOT_PARAMS, BOOT_INFO_MULTIBOOT };

/* ram.c */
void ram_touch_top(const void *boot_info, enum boot_info_kind kind);

/* heap: bump allocator above the image, zeroed pages (rings and buffers) */
void heap_init(void);
void *alloc_pages(size_t bytes);

#endif
