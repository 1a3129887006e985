/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef HEAPSCOPE_PROBE_SITE_H
#define HEAPSCOPE_PROBE_SITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Instructions looked at past a function's entry for a cheaper probe site. */
#define HS_PROBE_SITE_MAX_INSNS 16
/* Bytes of a function decoded to find jumps into the instructions a site skips. */
#define HS_PROBE_SITE_SCAN_BYTES 16384

/* Integer argument registers in System V x86-64 ABI order. */
enum hs_arg_reg {
	HS_ARG_RDI = 1u << 0,
	HS_ARG_RSI = 1u << 1,
	HS_ARG_RDX = 1u << 2,
	HS_ARG_RCX = 1u << 3,
	HS_ARG_R8 = 1u << 4,
	HS_ARG_R9 = 1u << 5,
	HS_ARG_ALL = (1u << 6) - 1,
};

/* What the probe at a site reads and which probes share it. */
struct hs_site_needs {
	uint32_t arg_regs;  /* enum hs_arg_reg bits the entry program reads */
	bool return_probe;  /* a uretprobe shares the site: *(sp) must still be the return address */
};

/* A function's code, read from its file, decoded as if it started at address 0. */
struct hs_function_code {
	const uint8_t *bytes;
	size_t len;    /* bytes from the entry point */
	bool complete; /* bytes hold the whole function: every direct jump in it is seen */
};

/* Where to put the probe in one function. */
struct hs_site_choice {
	uint32_t offset;	     /* bytes past the function's first instruction */
	uint32_t stack_adjust_bytes; /* sp at the site + this = sp at the function's entry */
	bool emulated;		     /* the kernel emulates the instruction: no single-step */
	char mnemonic[32];	     /* of the instruction at the site, e.g. "je" */
};

int hs_probe_site_choose(const struct hs_function_code *code, const struct hs_site_needs *needs,
			 struct hs_site_choice *choice);

#endif
