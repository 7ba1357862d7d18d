/*
 * uml-launch: starts User-Mode Linux on hosts whose XSAVE area is larger than the 512 bytes
 * UML 6.1 passes to PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE). There SETREGSET fails with
 * EFAULT and UML's first process dies ("ptrace set fp regs failed, errno = 14"). Under a
 * seccomp filter that makes exactly those two requests fail with EIO, UML falls back to the
 * FXSAVE requests (PTRACE_GETFPREGS/SETFPREGS), which work. See README.md beside this file.
 *
 *   uml-launch [--kernel PATH] UML-ARGS...     (PATH defaults to /usr/bin/linux.uml)
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef NT_X86_XSTATE
#define NT_X86_XSTATE 0x202
#endif
#ifndef PTRACE_GETREGSET
#define PTRACE_GETREGSET 0x4204
#define PTRACE_SETREGSET 0x4205
#endif

#define ARG_LO(n) (offsetof(struct seccomp_data, args) + 8 * (n))
#define ARG_HI(n) (offsetof(struct seccomp_data, args) + 8 * (n) + 4)

static struct sock_filter filter[] = {
	/* Any other architecture (or x32 numbering) is left alone. */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 10),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_ptrace, 0, 8),
	/* args[0] (request) is PTRACE_GETREGSET or PTRACE_SETREGSET, */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PTRACE_GETREGSET, 1, 0),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PTRACE_SETREGSET, 0, 5),
	/* args[2] (addr = the regset type) is NT_X86_XSTATE, all 64 bits of it: */
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NT_X86_XSTATE, 0, 3),
	BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(2)),
	BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EIO & SECCOMP_RET_DATA)),
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
};

int main(int argc, char **argv)
{
	const char *kernel = "/usr/bin/linux.uml";
	int first = 1;
	if (argc > 2 && strcmp(argv[1], "--kernel") == 0) {
		kernel = argv[2];
		first = 3;
	}
	struct sock_fprog program = { .len = sizeof(filter) / sizeof(filter[0]), .filter = filter };
	/* Needed to install a filter without CAP_SYS_ADMIN; harmless as root (UML needs no setuid). */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		perror("uml-launch: PR_SET_NO_NEW_PRIVS");
		return 127;
	}
	if (syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
		perror("uml-launch: seccomp");
		return 127;
	}
	argv[first - 1] = (char *)kernel;
	execv(kernel, &argv[first - 1]);
	fprintf(stderr, "uml-launch: exec %s: %s\n", kernel, strerror(errno));
	return 127;
}
