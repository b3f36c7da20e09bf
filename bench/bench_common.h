/* SPDX-License-Identifier: MIT */
/*
 * What the host benchmarks (bench_hw, bench_cpu) share: a monotonic clock
 * and the project's PRNG (include/qaccel_prng.h), so that both fill the
 * same shapes alike from the same seed.
 */
#ifndef QACCEL_BENCH_COMMON_H
#define QACCEL_BENCH_COMMON_H

#include <time.h>

#include "qaccel_prng.h"

static inline double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec * 1e-9;
}

#endif /* QACCEL_BENCH_COMMON_H */
