/* Steering probe: ring-3 main. Entered by entry.S with the command line's
 * physical address (identity-mapped) or 0, and the boot loader's information
 * (boot_params or the multiboot information structure) with its kind. */
#include "config.h"
#include "net.h"

static char cmdline[4096];

__attribute__((noreturn)) void user_main(const char *boot_cmdline, const void *boot_info, enum boot_info_kind boot_kind)
{
	/* Copy first: under multiboot the command line sits where the heap goes. */
	size_t n = 0;
	if (boot_cmdline)
		while (n < sizeof cmdline - 1 && boot_cmdline[n])
			n++, cmdline[n - 1] = boot_cmdline[n - 1];
	cmdline[n] = 0;

	console_init();
	pr("probe: hello\n");
	pr("probe: cmdline %s\n", cmdline);
	config_parse(cmdline);
	heap_init();

	if (cfg.ram_top)
		ram_touch_top(boot_info, boot_kind);

	/* fault=: prove that a probe bug ends the run with 96 + vector, never a hang */
	if (cfg.fault == 6)
		__asm__ volatile("ud2");
	if (cfg.fault == 13)
		__asm__ volatile("hlt");   /* privileged in ring 3 */
	if (cfg.fault == 14)
		*(volatile uint8_t *)0x1000000000ull = 1;  /* 64 GiB: beyond the identity map */

	if (cfg.net != NET_OFF)
		net_run();
	probe_exit(cfg.exit_status);
}
