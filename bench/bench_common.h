/* SPDX-License-Identifier: MIT */
/*
 * What the host benchmarks (bench_hw, bench_cpu) share: a monotonic clock,
 * the project's PRNG (include/qaccel_prng.h), so that both fill the same
 * shapes alike from the same seed, and the JSON string writer of their
 * records.
 */
#ifndef QACCEL_BENCH_COMMON_H
#define QACCEL_BENCH_COMMON_H

#include <stdio.h>
#include <time.h>

#include "qaccel_prng.h"

static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
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
