/* SPDX-License-Identifier: MIT */
/*
 * What the host RTL tests (test_gemm.c, test_func.c) share: the KTAP
 * diagnostic, the seeded random numbers and the operand-placement helpers.
 * Each program includes it once; the file-scope seed is its own.
 */
#ifndef HW_TEST_COMMON_H
#define HW_TEST_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "qaccel_hw.h"

/* rand_r() state of every rnd() draw; each program seeds it. */
static unsigned int seed;

/*
 * A KTAP diagnostic line.  Each test runs in a child that leaves with
 * _exit(), so stdout is flushed here or the line is lost.
 */
static void __attribute__((format(printf, 1, 2), unused)) diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rand_r(&seed) % n) : 0;
}

static uint32_t rnd_range(uint32_t lo, uint32_t hi)
{
	return lo + rnd(hi - lo + 1);
}

static bool __attribute__((unused)) is_prime(uint32_t v)
{
	if (v < 2)
		return false;
	for (uint32_t f = 2; f * f <= v; f++)
		if (v % f == 0)
			return false;
	return true;
}

static uint32_t __attribute__((unused)) rnd_prime(uint32_t hi)
{
	uint32_t v;

	do
		v = rnd_range(2, hi);
	while (!is_prime(v));
	return v;
}

/* Bytes from the first row's start to the last row's end. */
static uint32_t __attribute__((unused)) span(uint32_t rows, uint32_t ld, uint32_t row_bytes)
{
	return (rows - 1) * ld + row_bytes;
}

/* An offset that often puts the operand across a page boundary. */
static uint32_t __attribute__((unused)) rnd_offset(uint32_t align)
{
	uint32_t off = rnd(3) ? rnd(2 * QACCEL_PAGE_SIZE) : QACCEL_PAGE_SIZE - rnd(96);

	return off / align * align;
}

/*
 * An offset at which an operand of span_bytes bytes starts an odd number of
 * bytes (or whole elements of align bytes) before a page end, so that it
 * crosses the page.
 */
static uint32_t __attribute__((unused)) odd_cross_offset(uint32_t span_bytes, uint32_t align)
{
	uint32_t back = span_bytes > 1 ? rnd_range(1, span_bytes < 255 ? span_bytes - 1 : 255) : 1;

	if (align == 1 && !(back & 1))
		back--;
	else if (align > 1)
		back = (back / align + 1) * align;
	return (1 + rnd(2)) * QACCEL_PAGE_SIZE - back;
}

/* The bits of 2^e (a normal binary32) times a significand of 1.frac. */
static int32_t __attribute__((unused)) fp32_bits(int e, uint32_t frac)
{
	return (int32_t)((uint32_t)(e + 127) << 23 | (frac & 0x7fffff));
}

/*
 * A binary32 scale for the FP32 family: mostly one that maps the
 * accumulators of these jobs into and a little beyond 8 bits; powers of two
 * (every odd multiple of half their reciprocal is a tie); the smallest
 * normal; and scales so large that the product overflows to infinity.
 */
static int32_t __attribute__((unused)) fp32_scale(void)
{
	switch (rnd(8)) {
	case 0:
		return fp32_bits(-(int)rnd_range(0, 24), 0);
	case 1:
		return fp32_bits(-126, rnd(2) ? 0 : rnd(1u << 23));
	case 2:
		return fp32_bits((int)rnd_range(97, 127), rnd(1u << 23));
	case 3:
		return fp32_bits((int)rnd_range(0, 30) - 30, rnd(1u << 23));
	default:
		return fp32_bits(-(int)rnd_range(6, 16), rnd(1u << 23));
	}
}

/*
 * QACCEL_TEST_CYCLES_OUT=FILE appends one line per RTL completion record:
 * tag, status and every timing field.  Two runs with the same seed must
 * give the same file when a change to the RTL is meant to keep every
 * job's cycle count (docs/hw-architecture.md).  Appended and closed per
 * line: each test runs in its own child process.
 */
static void __attribute__((unused)) cycles_out(const struct qaccel_hw_cqe *c)
{
	const char *path = getenv("QACCEL_TEST_CYCLES_OUT");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "tag %u status %u cycles %llu busy %llu rd %llu wr %llu dstall %u cstall %u\n",
		c->tag, c->status, (unsigned long long)c->cycles,
		(unsigned long long)c->busy_cycles, (unsigned long long)c->dma_rd_bytes,
		(unsigned long long)c->dma_wr_bytes, c->dma_stall_cycles, c->compute_stall_cycles);
	fclose(f);
}

#endif /* HW_TEST_COMMON_H */
