/* Steering probe: ring-3 main. Entered by entry.S with the command line's
 * physical address (identity-mapped) or 0. */
#include "config.h"
#include "net.h"

static char cmdline[4096];

__attribute__((noreturn)) void user_main(const char *boot_cmdline)
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

	/* fault=: prove that a probe bug ends the run with 96 + vector, never a hang */
	if (cfg.fault == 6)
		__asm__ volatile("ud2");
	if (cfg.fault == 13)
		__asm__ volatile("hlt");   /* privileged in ring 3 */
	if (cfg.fault == 14)
		*(volatile uint8_t *)0x100000000ull = 1;   /* beyond the 4 GiB identity map */

	if (cfg.net != NET_OFF)
		net_run();
	probe_exit(cfg.exit_status);
}
