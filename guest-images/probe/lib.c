/* The few libc pieces gcc may call even in freestanding code. */
#include "probe.h"

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const uint8_t *p = a, *q = b;
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

extern char __bss_end[];
static uint64_t heap_next;

/* Heap starts 1 MiB past the image: QEMU's multiboot loader puts the command
 * line and module list right after bss_end, and we copy it out first anyway. */
void heap_init(void)
{
	heap_next = (((uint64_t)__bss_end + 0xFFFFF) & ~0xFFFFFull) + 0x100000;
}

void *alloc_pages(size_t bytes)
{
	uint64_t p = heap_next;
	bytes = (bytes + 4095) & ~(size_t)4095;
	heap_next += bytes;
	memset((void *)p, 0, bytes);
	return (void *)p;
}
