/* SPDX-License-Identifier: MIT */
/*
 * What the host benchmarks (bench_hw, bench_cpu) share: a monotonic clock,
 * reproducible random operands, so both fill the same shapes alike, and
 * the JSON string writer of their records.
 */
#ifndef QACCEL_BENCH_COMMON_H
#define QACCEL_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

/* xorshift32: fast enough to fill 16 MiB operands, reproducible by seed. */
static inline uint32_t xorshift(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* len random bytes (int8 or uint8 operands alike). */
static inline void fill_random(void *p, size_t len, uint32_t *state)
{
	uint8_t *b = p;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(xorshift(state) >> 24);
}

/* s as a JSON string: quotes and backslashes escaped, control bytes dropped. */
static inline void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

#endif /* QACCEL_BENCH_COMMON_H */
