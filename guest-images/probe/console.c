/* COM1 output (8250/16550 at 0x3F8) and the exit port (0x501, isa-debug-exit). */
#include "probe.h"

#define COM1 0x3F8
#define LSR_THRE 0x20
#define EXIT_PORT 0x501

static bool uart_present;

void console_init(void)
{
	outb(COM1 + 1, 0x00);   /* IER: no interrupts, we poll */
	outb(COM1 + 3, 0x80);   /* LCR: DLAB to set the divisor */
	outb(COM1 + 0, 0x01);   /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);   /* 8N1 */
	outb(COM1 + 2, 0xC7);   /* FCR: FIFO on, cleared */
	outb(COM1 + 4, 0x03);   /* MCR: DTR|RTS, OUT2 off (no IRQ) */
	uart_present = inb(COM1 + 5) != 0xFF;
}

/* THRE set means the transmit FIFO (16 bytes on a 16550) is empty, so one
 * LSR poll covers 16 bytes: half the port exits of polling per byte. */
void console_write(const char *s, size_t n)
{
	while (n) {
		if (uart_present) {
			unsigned spins = 0;
			while (!(inb(COM1 + 5) & LSR_THRE))
				if (++spins > 10000000u) {
					uart_present = false;
					break;
				}
		}
		size_t chunk = n < 16 ? n : 16;
		for (size_t i = 0; i < chunk; i++)
			outb(COM1, (uint8_t)s[i]);
		s += chunk;
		n -= chunk;
	}
}

static void put(char *buf, size_t size, size_t *pos, char c)
{
	if (*pos + 1 < size)
		buf[*pos] = c;
	(*pos)++;
}

/* printf subset: %s %c %d %u %x %X %p with l/ll, width and '0'. */
int vfmt(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t pos = 0;
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(buf, size, &pos, *fmt);
			continue;
		}
		fmt++;
		char pad = ' ';
		int width = 0, longs = 0;
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		char tmp[24];
		int n = 0;
		const char *str = NULL;
		switch (*fmt) {
		case 's':
			str = va_arg(ap, const char *);
			if (!str)
				str = "(null)";
			break;
		case 'c':
			tmp[n++] = (char)va_arg(ap, int);
			break;
		case 'd':
		case 'u':
		case 'x':
		case 'X':
		case 'p': {
			uint64_t v;
			bool neg = false;
			unsigned base = (*fmt == 'd' || *fmt == 'u') ? 10 : 16;
			if (*fmt == 'p')
				v = (uint64_t)va_arg(ap, void *);
			else if (*fmt == 'd') {
				int64_t sv = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
				neg = sv < 0;
				v = neg ? (uint64_t)(-(sv + 1)) + 1 : (uint64_t)sv;
			} else
				v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
			const char *digits = *fmt == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
			do {
				tmp[n++] = digits[v % base];
				v /= base;
			} while (v);
			if (neg)
				tmp[n++] = '-';
			break;
		}
		case '%':
			tmp[n++] = '%';
			break;
		default:
			tmp[n++] = '?';
			break;
		}
		if (str) {
			int len = (int)strlen(str);
			for (int i = len; i < width; i++)
				put(buf, size, &pos, pad);
			for (int i = 0; i < len; i++)
				put(buf, size, &pos, str[i]);
		} else {
			for (int i = n; i < width; i++)
				put(buf, size, &pos, pad);
			while (n)
				put(buf, size, &pos, tmp[--n]);
		}
	}
	if (size)
		buf[pos < size ? pos : size - 1] = 0;
	return (int)pos;
}

void pr(const char *fmt, ...)
{
	char line[2048];   /* an rss_config line with a 256-entry table fits */
	va_list ap;
	va_start(ap, fmt);
	int n = vfmt(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof line)
		n = sizeof line - 1;
	console_write(line, (size_t)n);
}

void probe_exit(unsigned status)
{
	pr("probe: exit %u\n", status);
	outb(EXIT_PORT, (uint8_t)status);
	/* No exit device: ask for a reset (QEMU -no-reboot then quits), then park. */
	outb(0xCF9, 0x06);
	outb(0x64, 0xFE);
	for (;;)
		cpu_relax();
}

void fail(unsigned status, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vfmt(line, sizeof line, fmt, ap);
	va_end(ap);
	pr("probe: error %s\n", line);
	probe_exit(status);
}
