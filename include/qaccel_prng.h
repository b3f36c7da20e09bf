/* SPDX-License-Identifier: MIT */
/*
 * The project's one pseudo-random generator for user-space programs that
 * need reproducible random data: tests, benchmarks, examples, fuzzers.
 * Not part of libqaccel (nothing is exported) and not for the kernel.
 *
 * xorshift64* (Vigna, "An experimental exploration of Marsaglia's xorshift
 * generators, scrambled"): 64 bits of state, the same sequence for the same
 * seed on every machine and compiler, fast enough to fill megabytes of
 * operands.  Not cryptographic.  State 0 is a fixed point: seed through
 * prng_seed().
 */
#ifndef QACCEL_PRNG_H
#define QACCEL_PRNG_H

#include <stddef.h>
#include <stdint.h>

/* A usable state for any seed (0 would repeat 0 forever; it maps to 1). */
static inline uint64_t prng_seed(uint64_t seed)
{
	return seed ? seed : 1;
}

static inline uint64_t prng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545f4914f6cdd1dull;
}

/* len random bytes, the top byte of one draw each (int8 or uint8 alike). */
static inline void prng_fill(void *dst, size_t len, uint64_t *state)
{
	uint8_t *p = dst;

	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(prng_next(state) >> 56);
}

/* Uniform in [0, 1): the top 53 bits of one draw. */
static inline double prng_unit(uint64_t *state)
{
	return (double)(prng_next(state) >> 11) / 9007199254740992.0;
}

#endif /* QACCEL_PRNG_H */
