/*
 * Steering probe: entry stub.
 *
 * Two ways in, one way on:
 *   entry64  - MiniVmm / Linux 64-bit boot protocol: long mode, paging on,
 *              RSI = boot_params (cmd_line_ptr at 0x228, ext_cmd_line_ptr at 0x0c8).
 *   entry32  - multiboot v1 (QEMU -kernel): 32-bit protected mode, paging off,
 *              EAX = 0x2BADB002, EBX = multiboot info (cmdline at +16 if flags bit 2).
 * Both reach common64 with RDI = physical address of the command line (or 0),
 * which loads our own GDT, page tables, IDT and TSS, then iretq's to ring 3
 * (IOPL=3, IF=0). Ring-0 code is emulated ~1500x slower on PVM hosts, so this
 * file does as little as possible there; the page tables are static data.
 */

#define MB_MAGIC      0x1BADB002
#define MB_FLAGS      0x00010000          /* bit 16: a.out kludge, addresses below are valid */
#define MB_BOOT_MAGIC 0x2BADB002

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10
#define USER_DS   0x1b                     /* 0x18 | RPL 3 */
#define USER_CS   0x23                     /* 0x20 | RPL 3 */
#define TSS_SEL   0x28

#define PTE_P   0x001
#define PTE_RW  0x002
#define PTE_US  0x004
#define PTE_PWT 0x008
#define PTE_PCD 0x010
#define PTE_PS  0x080

#define BOOT_INFO_NONE        0           /* as in probe.h */
#define BOOT_INFO_BOOT_PARAMS 1
#define BOOT_INFO_MULTIBOOT   2

	.section .text.boot, "ax"
	.code32
	.align 4
	.globl multiboot_header
multiboot_header:
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)
	.long multiboot_header          /* header_addr */
	.long __load_start              /* load_addr */
	.long __load_end                /* load_end_addr: end of file-backed data */
	.long __bss_end                 /* bss_end_addr: QEMU zeroes up to here */
	.long entry32                   /* entry_addr */

	.globl entry32
entry32:
	cli
	cld
	xorl %edi, %edi                 /* command line pointer, 0 = none */
	xorl %esi, %esi                 /* boot information, 0 = none */
	xorl %ebp, %ebp                 /* its kind: BOOT_INFO_NONE */
	cmpl $MB_BOOT_MAGIC, %eax
	jne 1f
	movl %ebx, %esi                 /* the multiboot information structure */
	movl $BOOT_INFO_MULTIBOOT, %ebp
	testl $4, (%ebx)                /* flags bit 2: cmdline valid */
	jz 1f
	movl 16(%ebx), %edi
1:
	lgdt gdt_ptr32
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $__kstack_top, %esp
	movl %cr4, %eax
	orl $0x20, %eax                 /* PAE */
	movl %eax, %cr4
	movl $pml4, %eax
	movl %eax, %cr3
	movl $0xC0000080, %ecx          /* EFER */
	rdmsr
	orl $0x100, %eax                /* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax           /* PG | PE */
	movl %eax, %cr0
	ljmp $KERNEL_CS, $mb_long

	.code64
mb_long:
	movl %edi, %edi                 /* zero-extend the command line pointer */
	movl %esi, %esi                 /* and the multiboot information's */
	movl %ebp, %edx
	jmp common64

	.globl entry64
entry64:
	cli
	cld
	xorl %edi, %edi
	xorl %edx, %edx                 /* BOOT_INFO_NONE */
	testq %rsi, %rsi
	jz common64
	movl $BOOT_INFO_BOOT_PARAMS, %edx
	movl 0x228(%rsi), %edi          /* hdr.cmd_line_ptr */
	movl 0x0c8(%rsi), %eax          /* ext_cmd_line_ptr: bits 63..32 */
	shlq $32, %rax
	orq %rax, %rdi

/* RDI = command line, RSI = boot information (boot_params or multiboot info), RDX = its kind. */
common64:
	movq %rdi, %r12                 /* kept across the setup call (callee-saved) */
	movq %rsi, %r13
	movq %rdx, %r14
	lgdt gdt_ptr64(%rip)
	movq $0x20, %rax                /* CR4 = PAE only: no SMEP/SMAP/TSD/PCIDE from the loader */
	movq %rax, %cr4
	movabsq $pml4, %rax
	movq %rax, %cr3
	movl $KERNEL_DS, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %eax, %fs
	movl %eax, %gs
	movabsq $__kstack_top, %rsp
	pushq $KERNEL_CS
	leaq 1f(%rip), %rax
	pushq %rax
	lretq                           /* reload CS with our own 64-bit code segment */
1:
	call ring0_setup                /* IDT gates and TSS descriptor (C, tiny) */
	lidt idt_ptr(%rip)
	movw $TSS_SEL, %ax
	ltr %ax
	pushfq
	orq $0x3000, (%rsp)             /* IOPL=3 already in ring 0, as well as in the iret frame */
	popfq
	movq %r12, %rdi                 /* user_main(cmdline, boot_info, boot_info_kind) */
	movq %r13, %rsi
	movq %r14, %rdx
	pushq $USER_DS
	movabsq $__ustack_top, %rax
	pushq %rax
	pushq $0x3002                   /* IOPL=3, IF=0, bit 1 reserved */
	pushq $USER_CS
	movabsq $user_main, %rax
	pushq %rax
	iretq

/* Exception stubs: vector and a uniform error code on the stack, then C. */
	.macro TRAP_NOERR n
	.align 16
	pushq $0
	pushq $\n
	jmp trap_common
	.endm
	.macro TRAP_ERR n
	.align 16
	pushq $\n
	jmp trap_common
	.endm

	.align 16
	.globl trap_stubs
trap_stubs:
	TRAP_NOERR 0
	TRAP_NOERR 1
	TRAP_NOERR 2
	TRAP_NOERR 3
	TRAP_NOERR 4
	TRAP_NOERR 5
	TRAP_NOERR 6
	TRAP_NOERR 7
	TRAP_ERR   8
	TRAP_NOERR 9
	TRAP_ERR   10
	TRAP_ERR   11
	TRAP_ERR   12
	TRAP_ERR   13
	TRAP_ERR   14
	TRAP_NOERR 15
	TRAP_NOERR 16
	TRAP_ERR   17
	TRAP_NOERR 18
	TRAP_NOERR 19
	TRAP_NOERR 20
	TRAP_ERR   21
	TRAP_NOERR 22
	TRAP_NOERR 23
	TRAP_NOERR 24
	TRAP_NOERR 25
	TRAP_NOERR 26
	TRAP_NOERR 27
	TRAP_NOERR 28
	TRAP_ERR   29
	TRAP_ERR   30
	TRAP_NOERR 31

trap_common:
	movq %rsp, %rdi                 /* struct trap_frame * */
	movq %cr2, %rsi
	andq $-16, %rsp
	call trap_report                /* never returns */
2:	jmp 2b

/* ------------------------------------------------------------------ data */
	.section .data.boot, "aw"
	.align 16
	.globl gdt
gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF        /* 0x08 kernel code, 64-bit */
	.quad 0x00CF92000000FFFF        /* 0x10 kernel data */
	.quad 0x00CFF2000000FFFF        /* 0x18 user data, DPL 3 */
	.quad 0x00AFFA000000FFFF        /* 0x20 user code, 64-bit, DPL 3 */
	.globl gdt_tss
gdt_tss:
	.quad 0, 0                      /* 0x28 TSS, filled by ring0_setup */
gdt_end:

	.align 4
gdt_ptr32:
	.word gdt_end - gdt - 1
	.long gdt
	.align 4
	.word 0
gdt_ptr64:
	.word gdt_end - gdt - 1
	.quad gdt

	.align 4
	.word 0
idt_ptr:
	.word 32 * 16 - 1
	.quad idt

/*
 * Identity map of the low 4 GiB with 2 MiB pages, USER so ring 3 reaches RAM
 * and MMIO. 3..4 GiB (PCI MMIO window, IOAPIC, LAPIC) is uncached (PCD|PWT).
 * 4..64 GiB, where a VMM puts RAM beyond the first 3 GiB, write-back with
 * 2 MiB pages too (240 KiB of tables: 1 GiB pages would need PDPE1GB, which
 * KVM does not offer everywhere). Above 64 GiB: unmapped.
 */
	.section .data.pagetables, "aw"
	.align 4096
	.globl pml4
pml4:
	.quad pdpt + (PTE_P | PTE_RW | PTE_US)
	.fill 511, 8, 0
pdpt:
	.quad pd + 0x0000 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 0x1000 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 0x2000 + (PTE_P | PTE_RW | PTE_US)
	.quad pd + 0x3000 + (PTE_P | PTE_RW | PTE_US)
	.set g, 0
	.rept 60
	.quad pd_high + g * 0x1000 + (PTE_P | PTE_RW | PTE_US)
	.set g, g + 1
	.endr
	.fill 448, 8, 0
pd:
	.set i, 0
	.rept 1536
	.quad (i << 21) + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.set i, i + 1
	.endr
	.rept 512
	.quad (i << 21) + (PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_PWT | PTE_PCD)
	.set i, i + 1
	.endr
pd_high:                                /* 4..64 GiB, write-back: 60 page directories */
	.rept 60 * 512
	.quad (i << 21) + (PTE_P | PTE_RW | PTE_US | PTE_PS)
	.set i, i + 1
	.endr

	.section .note.GNU-stack, "", @progbits
