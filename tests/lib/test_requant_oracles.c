// SPDX-License-Identifier: MIT
/*
 * qaccel_ref_gemm() against implementations that are not ours, byte for
 * byte, on thousands of random GEMMs per requantization family:
 *
 *   GEMMLOWP  gemmlowp itself (Debian libgemmlowp-dev; its GEMM with the
 *             fixed-point output stages, requant_oracle_gemmlowp.cpp)
 *   SINGLE    TFLite's single-rounding formula, written here from its
 *             definition with 128-bit integers and floor division (the
 *             Debian XNNPACK runs its rndnu kernels on Arm only)
 *   FP32      XNNPACK (Debian libxnnpack-dev: qs8 and qu8 fully connected,
 *             qc8 1x1 convolution per channel) and ONNX Runtime's CPU
 *             QLinearMatMul (npm onnxruntime-node, run by node through
 *             requant_oracle_ort.js)
 *
 * Cases are drawn from profiles that aim at the corners: ties (power-of-two
 * scales on small accumulators, where a half or a quarter of all outputs
 * land exactly on .5), accumulators beyond 2^24 (where float(acc) rounds),
 * accumulators at the int32 extremes and wrapping (through the bias),
 * scales at the limits (tiny, near 1, near 2^-31, left shifts), saturation
 * at both ends and fused ReLU clamps; int8 and uint8 outputs, per tensor and
 * per channel.  Each oracle's KTAP diagnostics say how many GEMMs and output
 * bytes were compared and how many differed; any difference fails.
 *
 * Where the oracles cannot follow qaccel's definition the cases stay out of
 * that region, and the comments below say so: gemmlowp adds the output zero
 * point to a value near +-2^31 without saturating (so its extreme cases use
 * zero point 0), XNNPACK needs clamp_min < clamp_max, kernel zero point 0
 * for int8 and a scale below 256, and QLinearMatMul has no bias and no
 * clamp.
 *
 * The last test measures how far the three families are apart at common
 * scales (no oracle involved): the share of output bytes that differ.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xnnpack.h>

#include "kselftest_harness.h"
#include "qaccel_quant.h"
#include "requant_oracles.h"

#ifndef ORT_DIR
#error "ORT_DIR (where npm installed onnxruntime-node) must be defined"
#endif
#ifndef ORT_SCRIPT
#error "ORT_SCRIPT (requant_oracle_ort.js) must be defined"
#endif

#define CASES_PER_ORACLE 3000
/* XNNPACK reads up to XNN_EXTRA_BYTES past its inputs. */
#define PAD 64
#define MAXM 8
#define MAXN 16
#define MAXK 96
/* Operand buffers: m x k for the common shapes, or one long row. */
#define OPERAND_BYTES (70000 + PAD)

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	r->s ^= r->s >> 12;
	r->s ^= r->s << 25;
	r->s ^= r->s >> 27;
	return r->s * 0x2545f4914f6cdd1dull;
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rnd(r) % (uint64_t)(hi - lo + 1));
}

static double rnd_unit(struct rng *r)
{
	return (double)(rnd(r) >> 11) * 0x1p-53;
}

/* Log-uniform in [lo, hi). */
static double rnd_log(struct rng *r, double lo, double hi)
{
	return lo * exp(rnd_unit(r) * log(hi / lo));
}

static float bits_float(int32_t b)
{
	float f;

	memcpy(&f, &b, sizeof(f));
	return f;
}

static int32_t float_bits(float f)
{
	int32_t b;

	memcpy(&b, &f, sizeof(b));
	return b;
}

typedef int (*scale_fn)(float, float, float, float *);

/* What an oracle can take; the generator stays inside it. */
struct caps {
	uint32_t rq;			/* the family */
	scale_fn fscale;		/* FP32: the framework's scale formula */
	bool int8_b_zp0;		/* int8 B has zero point 0 (XNNPACK) */
	bool same_types;		/* A, B, C all int8 or all uint8 */
	bool u8_a_s8_b;			/* also uint8 A, int8 B, uint8 C (ORT) */
	bool no_bias_no_clamp;		/* QLinearMatMul */
	bool strict_clamp;		/* clamp_min < clamp_max (XNNPACK) */
	bool per_channel_int8_only;	/* XNNPACK qc8 */
	bool scale_below_256;		/* XNNPACK */
	bool zp0_when_extreme;		/* gemmlowp's unsaturated offset add */
};

enum profile {
	PROF_COMMON,	/* realistic data and scales */
	PROF_TIES,	/* power-of-two scales on small accumulators */
	PROF_BIG,	/* accumulators beyond 2^24 */
	PROF_EXTREME,	/* accumulators at and wrapping past the int32 ends */
	PROF_LIMITS,	/* scales at the limits of the encoding */
	PROF_CLAMP,	/* fused ReLU and narrow clamps */
	PROF_COUNT,
};

struct gcase {
	struct qaccel_gemm_params p;
	enum profile prof;
	uint8_t *a, *b;			/* m x k, n x k */
	int32_t *bias;			/* n; zeros without QACCEL_GEMM_BIAS */
	struct qaccel_quant *quant;	/* n; [0] is also the per-tensor pair */
	/* FP32: the scales the framework is given (input, kernel[j], output). */
	float s_in, s_out, *s_k;
	uint8_t *c_ref, *c_orc;		/* m x n */
};

static void case_alloc(struct gcase *g)
{
	g->a = calloc(OPERAND_BYTES, 1);
	g->b = calloc(OPERAND_BYTES, 1);
	g->bias = calloc(MAXN, sizeof(*g->bias));
	g->quant = calloc(MAXN, sizeof(*g->quant));
	g->s_k = calloc(MAXN, sizeof(*g->s_k));
	g->c_ref = calloc(MAXM * MAXN + PAD, 1);
	g->c_orc = calloc(MAXM * MAXN + PAD, 1);
	if (!g->a || !g->b || !g->bias || !g->quant || !g->s_k || !g->c_ref || !g->c_orc)
		abort();
}

static void case_free(struct gcase *g)
{
	free(g->a);
	free(g->b);
	free(g->bias);
	free(g->quant);
	free(g->s_k);
	free(g->c_ref);
	free(g->c_orc);
}

/* A (multiplier, shift) pair for the profile: GEMMLOWP and SINGLE. */
static void gen_fixed(struct rng *r, enum profile prof, struct qaccel_quant *q)
{
	int32_t m = 0, s = 0;

	switch (prof) {
	case PROF_TIES:
		/* 2^-e or 3 x 2^-e: every 2^e-th accumulator is a tie */
		m = rnd(r) & 1 ? 1 << 30 : 3 << 29;
		s = (int32_t)rnd_in(r, -4, 0);
		break;
	case PROF_BIG:
		qaccel_quantize_multiplier(rnd_log(r, 0x1p-28, 0x1p-17), &m, &s);
		break;
	case PROF_EXTREME:
		qaccel_quantize_multiplier(rnd_log(r, 0x1p-31, 0x1p4), &m, &s);
		break;
	case PROF_LIMITS:
		switch (rnd(r) % 4) {
		case 0:	/* near 2^-31, the smallest the encoding holds */
			m = (int32_t)rnd_in(r, 1 << 30, INT32_MAX);
			s = (int32_t)rnd_in(r, -31, -29);
			break;
		case 1:	/* near 1, either side */
			m = (int32_t)rnd_in(r, INT32_MAX - 4096, INT32_MAX);
			s = (int32_t)rnd_in(r, 0, 1);
			break;
		case 2:	/* left shifts up to the limit */
			m = (int32_t)rnd_in(r, 1 << 30, INT32_MAX);
			s = (int32_t)rnd_in(r, 1, 30);
			break;
		default:	/* any multiplier, normalized or not */
			m = (int32_t)rnd_in(r, 0, INT32_MAX);
			s = (int32_t)rnd_in(r, -31, 30);
			break;
		}
		break;
	default:
		qaccel_quantize_multiplier(rnd_log(r, 0x1p-14, 0x1p-5), &m, &s);
		break;
	}
	q->multiplier = m;
	q->shift = s;
}

/* A float requantization scale for the profile (FP32). */
static float gen_fscale(struct rng *r, enum profile prof, const struct caps *cap)
{
	int32_t hi = float_bits(cap->scale_below_256 ? 0x1.fffffep7f : 0x1p40f);

	switch (prof) {
	case PROF_TIES:
		return (rnd(r) & 1 ? 1.0f : 1.5f) * ldexpf(1.0f, -(int)rnd_in(r, 0, 4));
	case PROF_BIG:
		return (float)rnd_log(r, 0x1p-28, 0x1p-17);
	case PROF_EXTREME:
		return (float)rnd_log(r, 0x1p-31, 0x1p4);
	case PROF_LIMITS:
		switch (rnd(r) % 4) {
		case 0:	/* near 2^-32, XNNPACK's smallest */
			return (float)rnd_log(r, 0x1p-32, 0x1p-29);
		case 1:	/* the floats next to 1 */
			return bits_float(0x3f800000 + (int32_t)rnd_in(r, -8, 8));
		case 2:	/* the largest allowed */
			return bits_float(hi - (int32_t)rnd_in(r, 0, 1 << 20));
		default:
			return bits_float((int32_t)rnd_in(r, float_bits(0x1p-32f), hi));
		}
	default:
		return (float)rnd_log(r, 0x1p-14, 0x1p-5);
	}
}

static void type_range(bool u8, int32_t *lo, int32_t *hi)
{
	*lo = u8 ? 0 : -128;
	*hi = u8 ? 255 : 127;
}

/* One operand: zero point and values for the profile. */
static void gen_operand(struct rng *r, uint8_t *x, size_t len, bool u8, bool zp0,
			int mode, int32_t *zp)
{
	int32_t lo, hi;

	type_range(u8, &lo, &hi);
	for (size_t i = 0; i < len; i++)
		x[i] = (uint8_t)rnd(r);
	switch (mode) {
	case 1:	/* within +-3 of the zero point: small accumulators */
		*zp = zp0 ? 0 : (int32_t)rnd_in(r, lo + 3, hi - 3);
		for (size_t i = 0; i < len; i++)
			x[i] = (uint8_t)(*zp + (int32_t)rnd_in(r, -3, 3));
		break;
	case 2:	/* far from the zero point, all one side: |acc| ~ k x 2^16 */
		*zp = lo;
		for (size_t i = 0; i < len; i++)
			x[i] = (uint8_t)(hi - (int32_t)rnd_in(r, 0, 15));
		break;
	case 3:	/* the same, the other side */
		*zp = hi;
		for (size_t i = 0; i < len; i++)
			x[i] = (uint8_t)(lo + (int32_t)rnd_in(r, 0, 15));
		break;
	default:
		*zp = zp0 ? 0 : (int32_t)rnd_in(r, lo, hi);
		break;
	}
}

static void gen_case(struct rng *r, const struct caps *cap, struct gcase *g)
{
	struct qaccel_gemm_params *p = &g->p;
	enum profile prof = (enum profile)(rnd(r) % PROF_COUNT);
	bool a_u8, b_u8, c_u8, per_channel, big_data;
	int32_t lo, hi, a_zp, b_zp;
	uint32_t m, n, k;
	int mode_a = 0, mode_b = 0;

	if (cap->same_types) {
		a_u8 = b_u8 = c_u8 = rnd(r) & 1;
	} else if (cap->u8_a_s8_b) {
		a_u8 = c_u8 = rnd(r) & 1;
		b_u8 = a_u8 && (rnd(r) & 1);
	} else {
		a_u8 = rnd(r) & 1;
		b_u8 = rnd(r) & 1;
		c_u8 = rnd(r) & 1;
	}
	per_channel = (rnd(r) & 1) && !(cap->per_channel_int8_only && c_u8);
	m = (uint32_t)rnd_in(r, 1, MAXM);
	n = (uint32_t)rnd_in(r, 1, MAXN);
	k = (uint32_t)rnd_in(r, 1, MAXK);
	/*
	 * Without a bias (QLinearMatMul) the accumulators reach 2^24 and the
	 * int32 ends through the data alone: long rows of same-sign values.
	 */
	big_data = cap->no_bias_no_clamp && (prof == PROF_BIG || prof == PROF_EXTREME);
	if (prof == PROF_TIES) {
		k = (uint32_t)rnd_in(r, 1, 8);
		mode_a = mode_b = 1;
	} else if (big_data) {
		if (prof == PROF_BIG) {
			m = (uint32_t)rnd_in(r, 1, 4);
			n = (uint32_t)rnd_in(r, 1, 8);
			k = (uint32_t)rnd_in(r, 300, 1024);
		} else {
			m = n = 1;
			k = (uint32_t)rnd_in(r, 33100, 34000);
		}
		mode_a = 2;
		mode_b = rnd(r) & 1 ? 2 : 3;
	}
	gen_operand(r, g->a, (size_t)m * k, a_u8, false, mode_a, &a_zp);
	gen_operand(r, g->b, (size_t)n * k, b_u8, !b_u8 && cap->int8_b_zp0,
		    !b_u8 && cap->int8_b_zp0 && mode_b > 1 ? 0 : mode_b, &b_zp);

	memset(p, 0, sizeof(*p));
	p->m = m;
	p->n = n;
	p->k = k;
	p->lda = k;
	p->ldb = k;
	p->ldc = n;
	p->a_zero_point = a_zp;
	p->b_zero_point = b_zp;
	p->flags = cap->rq | (a_u8 ? QACCEL_GEMM_A_UINT8 : 0) |
		   (b_u8 ? QACCEL_GEMM_B_UINT8 : 0) |
		   (c_u8 ? QACCEL_GEMM_OUT_UINT8 : QACCEL_GEMM_OUT_INT8) |
		   (per_channel ? QACCEL_GEMM_PER_CHANNEL : 0);
	g->prof = prof;

	memset(g->bias, 0, MAXN * sizeof(*g->bias));
	if (!cap->no_bias_no_clamp && (prof != PROF_COMMON || (rnd(r) & 1))) {
		p->flags |= QACCEL_GEMM_BIAS;
		for (uint32_t j = 0; j < n; j++) {
			int64_t v;

			switch (prof) {
			case PROF_TIES:
				v = rnd_in(r, -64, 64);
				break;
			case PROF_BIG:
				v = rnd_in(r, 1 << 24, INT32_MAX);
				v = rnd(r) & 1 ? v : -v;
				break;
			case PROF_EXTREME:
				/* the sum then wraps past an end about half the time */
				v = rnd(r) & 1 ? INT32_MAX - rnd_in(r, 0, 100000) :
						 INT32_MIN + rnd_in(r, 0, 100000);
				break;
			case PROF_LIMITS:
				v = rnd(r) & 1 ? (int32_t)rnd(r) : rnd_in(r, -100000, 100000);
				break;
			default:
				v = rnd_in(r, -50000, 50000);
				break;
			}
			g->bias[j] = (int32_t)v;
		}
	}

	type_range(c_u8, &lo, &hi);
	p->c_zero_point = (int32_t)rnd_in(r, lo, hi);
	if (cap->zp0_when_extreme && (prof == PROF_EXTREME || prof == PROF_LIMITS))
		p->c_zero_point = 0;
	p->clamp_min = lo;
	p->clamp_max = hi;
	if (prof == PROF_CLAMP && !cap->no_bias_no_clamp) {
		if (rnd(r) & 1) {
			/* fused ReLU: everything below the real 0 goes to it */
			if (cap->strict_clamp && p->c_zero_point == hi)
				p->c_zero_point = hi - 1;
			p->clamp_min = p->c_zero_point;
		} else {
			p->clamp_min = (int32_t)rnd_in(r, lo, hi - 1);
			p->clamp_max = (int32_t)rnd_in(r, p->clamp_min +
						       (cap->strict_clamp ? 1 : 0), hi);
		}
	}

	for (uint32_t j = 0; j < (per_channel ? n : 1); j++) {
		if (cap->rq != QACCEL_GEMM_RQ_FP32) {
			gen_fixed(r, prof, &g->quant[j]);
			continue;
		}
		for (;;) {
			float want = gen_fscale(r, prof, cap), scale;

			if (prof == PROF_COMMON || prof == PROF_CLAMP) {
				/* a framework's triple near the wanted scale */
				if (j == 0) {
					g->s_in = (float)rnd_log(r, 0.002, 0.05);
					g->s_k[0] = (float)rnd_log(r, 0.0005, 0.02);
					g->s_out = (float)((double)g->s_in * g->s_k[0] / want);
				} else {
					g->s_k[j] = (float)((double)want * g->s_out / g->s_in);
				}
			} else {
				/* exactly the wanted scale: fl(fl(1 x s) / 1) = s */
				g->s_in = 1.0f;
				g->s_out = 1.0f;
				g->s_k[j] = want;
			}
			if (!cap->fscale(g->s_in, g->s_k[j], g->s_out, &scale) &&
			    !qaccel_fp32_multiplier(scale, &g->quant[j].multiplier))
				break;
		}
		g->quant[j].shift = 0;
	}
	if (!per_channel)
		for (uint32_t j = 1; j < n; j++)
			g->s_k[j] = g->s_k[0];
	p->out_multiplier = g->quant[0].multiplier;
	p->out_shift = g->quant[0].shift;
}

/* Tallies of one oracle's comparison. */
struct tally {
	long gemms, bytes, bad_gemms, bad_bytes;
	long per_profile[PROF_COUNT];
};

/* Compare c_ref with c_orc; log the first few differences. */
static void compare(struct __test_metadata *_metadata, const char *name,
		    const struct gcase *g, struct tally *t)
{
	size_t len = (size_t)g->p.m * g->p.n;
	long bad = 0;

	for (size_t i = 0; i < len; i++)
		bad += g->c_ref[i] != g->c_orc[i];
	t->gemms++;
	t->bytes += (long)len;
	t->per_profile[g->prof]++;
	if (!bad)
		return;
	if (t->bad_gemms < 5) {
		size_t i = 0;

		while (g->c_ref[i] == g->c_orc[i])
			i++;
		TH_LOG("%s: %ux%ux%u flags 0x%x profile %d: output %zu is %d, the oracle says %d "
		       "(multiplier 0x%x shift %d, zp %d, clamp [%d, %d], bias[%zu] %d)",
		       name, g->p.m, g->p.n, g->p.k, g->p.flags, g->prof, i, g->c_ref[i],
		       g->c_orc[i], (uint32_t)g->quant[g->p.flags & QACCEL_GEMM_PER_CHANNEL ?
							i % g->p.n : 0].multiplier,
		       g->quant[g->p.flags & QACCEL_GEMM_PER_CHANNEL ? i % g->p.n : 0].shift,
		       g->p.c_zero_point, g->p.clamp_min, g->p.clamp_max, i % g->p.n,
		       g->bias[i % g->p.n]);
	}
	t->bad_gemms++;
	t->bad_bytes += bad;
}

static void report(const char *mode, const char *oracle, const struct tally *t)
{
	printf("# %s vs %s: %ld GEMMs (%ld output bytes) compared, %ld GEMMs differed "
	       "(%ld bytes); per profile common/ties/big/extreme/limits/clamp %ld/%ld/%ld/%ld/%ld/%ld\n",
	       mode, oracle, t->gemms, t->bytes, t->bad_gemms, t->bad_bytes,
	       t->per_profile[0], t->per_profile[1], t->per_profile[2], t->per_profile[3],
	       t->per_profile[4], t->per_profile[5]);
	fflush(stdout);
}

static int ref(struct gcase *g)
{
	return qaccel_ref_gemm(&g->p, g->a, g->b, g->bias, g->quant, g->c_ref);
}

/*
 * The int32 accumulator of output (i, j), computed here: the exact sum in
 * 64 bits, then the int32 accumulator's and the bias add's wrap modulo 2^32.
 */
static int32_t acc_of(const struct gcase *g, uint32_t i, uint32_t j)
{
	const struct qaccel_gemm_params *p = &g->p;
	bool a_u8 = p->flags & QACCEL_GEMM_A_UINT8, b_u8 = p->flags & QACCEL_GEMM_B_UINT8;
	int64_t sum = 0;

	for (uint32_t x = 0; x < p->k; x++) {
		int av = a_u8 ? g->a[i * p->k + x] : (int8_t)g->a[i * p->k + x];
		int bv = b_u8 ? g->b[j * p->k + x] : (int8_t)g->b[j * p->k + x];

		sum += (int64_t)(av - p->a_zero_point) * (bv - p->b_zero_point);
	}
	return (int32_t)((uint32_t)sum + (uint32_t)g->bias[j]);
}

/* --- gemmlowp ------------------------------------------------------------ */

/*
 * Whether some accumulator of the GEMM overflows int32 in GEMMLOWP's left
 * shift (shift > 0).  qaccel wraps there, as TFLite's reference
 * (x * (1 << left_shift) in int32) and gemmlowp's SSE and NEON code do;
 * gemmlowp's scalar ShiftLeft saturates instead, and which of the two runs
 * depends on where the element falls in gemmlowp's register blocks.  Such
 * GEMMs are left out of the comparison (and counted).
 */
static bool left_shift_overflows(const struct gcase *g)
{
	bool pc = g->p.flags & QACCEL_GEMM_PER_CHANNEL;

	for (uint32_t i = 0; i < g->p.m; i++) {
		for (uint32_t j = 0; j < g->p.n; j++) {
			int32_t shift = g->quant[pc ? j : 0].shift;
			int64_t v = (int64_t)acc_of(g, i, j) * ((int64_t)1 << (shift > 0 ? shift : 0));

			if (v > INT32_MAX || v < INT32_MIN)
				return true;
		}
	}
	return false;
}

static void run_gemmlowp(struct gcase *g, uint8_t *a_tmp, uint8_t *b_tmp)
{
	const struct qaccel_gemm_params *p = &g->p;
	int32_t mult[MAXN], shift[MAXN];
	struct oracle_gemmlowp_job j = {
		.m = (int)p->m, .n = (int)p->n, .k = (int)p->k,
		.a = g->a, .b = g->b,
		.a_u8 = !!(p->flags & QACCEL_GEMM_A_UINT8),
		.b_u8 = !!(p->flags & QACCEL_GEMM_B_UINT8),
		.out_u8 = (p->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8,
		.per_channel = !!(p->flags & QACCEL_GEMM_PER_CHANNEL),
		.a_zp = p->a_zero_point, .b_zp = p->b_zero_point, .c_zp = p->c_zero_point,
		.clamp_min = p->clamp_min, .clamp_max = p->clamp_max,
		.bias = g->bias, .multiplier = mult, .shift = shift,
		.a_tmp = a_tmp, .b_tmp = b_tmp, .c = g->c_orc,
	};

	for (uint32_t x = 0; x < p->n; x++) {
		mult[x] = g->quant[j.per_channel ? x : 0].multiplier;
		shift[x] = g->quant[j.per_channel ? x : 0].shift;
	}
	oracle_gemmlowp(&j);
}

TEST(gemmlowp_family_matches_gemmlowp)
{
	struct caps cap = { .rq = QACCEL_GEMM_RQ_GEMMLOWP, .zp0_when_extreme = true };
	struct rng r = { 0x9e3779b97f4a7c15ull };
	uint8_t *a_tmp = malloc(OPERAND_BYTES), *b_tmp = malloc(OPERAND_BYTES);
	struct tally t = { 0 };
	long left_out = 0;
	struct gcase g;

	ASSERT_TRUE(a_tmp && b_tmp);
	case_alloc(&g);
	while (t.gemms < CASES_PER_ORACLE) {
		gen_case(&r, &cap, &g);
		ASSERT_EQ(0, ref(&g));
		if (left_shift_overflows(&g)) {
			left_out++;
			continue;
		}
		run_gemmlowp(&g, a_tmp, b_tmp);
		compare(_metadata, "gemmlowp", &g, &t);
	}
	report("GEMMLOWP", "gemmlowp", &t);
	printf("# GEMMLOWP vs gemmlowp: %ld more GEMMs left out, where a left shift "
	       "overflows int32 (gemmlowp's scalar code saturates, its SIMD code wraps)\n",
	       left_out);
	fflush(stdout);
	EXPECT_EQ(0, t.bad_gemms);
	case_free(&g);
	free(a_tmp);
	free(b_tmp);
}

/* --- SINGLE: TFLite's definition, independently ---------------------------- */

/*
 * TFLite's MultiplyByQuantizedMultiplier built with TFLITE_SINGLE_ROUNDING
 * (tensorflow/lite/kernels/internal/common.h): x * multiplier + 2^(t - 1)
 * shifted right arithmetically by t = 31 - shift, in 64 bits.  Here as
 * floor((x * multiplier) / 2^t + 1/2) in 128 bits with a division, not
 * shifts; values beyond int32 are kept (TFLite leaves them undefined).
 */
static __int128 tflite_single(int32_t x, int32_t multiplier, int32_t shift)
{
	__int128 d = (__int128)1 << (31 - shift);
	__int128 num = (__int128)x * multiplier + d / 2;
	__int128 q = num / d;

	if (num % d < 0)
		q--;	/* C division truncates; floor it */
	return q;
}

static void run_single(struct gcase *g)
{
	const struct qaccel_gemm_params *p = &g->p;
	bool pc = p->flags & QACCEL_GEMM_PER_CHANNEL;

	for (uint32_t i = 0; i < p->m; i++) {
		for (uint32_t j = 0; j < p->n; j++) {
			__int128 v = tflite_single(acc_of(g, i, j), g->quant[pc ? j : 0].multiplier,
						   g->quant[pc ? j : 0].shift);

			v += p->c_zero_point;
			if (v < p->clamp_min)
				v = p->clamp_min;
			if (v > p->clamp_max)
				v = p->clamp_max;
			g->c_orc[i * p->n + j] = (uint8_t)(int)v;
		}
	}
}

TEST(single_family_matches_tflite_single_rounding)
{
	struct caps cap = { .rq = QACCEL_GEMM_RQ_SINGLE };
	struct rng r = { 0x243f6a8885a308d3ull };
	struct tally t = { 0 };
	struct gcase g;

	case_alloc(&g);
	for (int i = 0; i < CASES_PER_ORACLE; i++) {
		gen_case(&r, &cap, &g);
		ASSERT_EQ(0, ref(&g));
		run_single(&g);
		compare(_metadata, "tflite-single", &g, &t);
	}
	report("SINGLE", "TFLite single-rounding formula (in this test)", &t);
	EXPECT_EQ(0, t.bad_gemms);
	case_free(&g);
}

/* --- XNNPACK ---------------------------------------------------------------- */

static enum xnn_status run_xnnpack(struct gcase *g)
{
	const struct qaccel_gemm_params *p = &g->p;
	const int32_t *bias = p->flags & QACCEL_GEMM_BIAS ? g->bias : NULL;
	xnn_operator_t op = NULL;
	enum xnn_status st;

	if (p->flags & QACCEL_GEMM_PER_CHANNEL) {
		/* per channel: qc8, a 1x1 convolution over m pixels */
		st = xnn_create_convolution2d_nhwc_qc8(
			0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, p->k, p->n, p->k, p->n,
			(int8_t)p->a_zero_point, g->s_in, g->s_k, (const int8_t *)g->b, bias,
			(int8_t)p->c_zero_point, g->s_out, (int8_t)p->clamp_min,
			(int8_t)p->clamp_max, 0, &op);
		if (st == xnn_status_success)
			st = xnn_setup_convolution2d_nhwc_qc8(op, 1, p->m, 1,
							      (const int8_t *)g->a,
							      (int8_t *)g->c_orc, NULL);
	} else if ((p->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8) {
		st = xnn_create_fully_connected_nc_qu8(
			p->k, p->n, p->k, p->n, (uint8_t)p->a_zero_point, g->s_in,
			(uint8_t)p->b_zero_point, g->s_k[0], g->b, bias,
			(uint8_t)p->c_zero_point, g->s_out, (uint8_t)p->clamp_min,
			(uint8_t)p->clamp_max, 0, &op);
		if (st == xnn_status_success)
			st = xnn_setup_fully_connected_nc_qu8(op, p->m, g->a, g->c_orc, NULL);
	} else {
		st = xnn_create_fully_connected_nc_qs8(
			p->k, p->n, p->k, p->n, (int8_t)p->a_zero_point, g->s_in, g->s_k[0],
			(const int8_t *)g->b, bias, (int8_t)p->c_zero_point, g->s_out,
			(int8_t)p->clamp_min, (int8_t)p->clamp_max, 0, &op);
		if (st == xnn_status_success)
			st = xnn_setup_fully_connected_nc_qs8(op, p->m, (const int8_t *)g->a,
							      (int8_t *)g->c_orc, NULL);
	}
	if (st == xnn_status_success)
		st = xnn_run_operator(op, NULL);
	if (op)
		xnn_delete_operator(op);
	return st;
}

TEST(fp32_family_matches_xnnpack)
{
	struct caps cap = {
		.rq = QACCEL_GEMM_RQ_FP32, .fscale = qaccel_scale_xnnpack,
		.int8_b_zp0 = true, .same_types = true, .strict_clamp = true,
		.per_channel_int8_only = true, .scale_below_256 = true,
	};
	struct rng r = { 0xb7e151628aed2a6bull };
	struct tally t = { 0 };
	struct gcase g;

	if (xnn_initialize(NULL) != xnn_status_success)
		SKIP(return, "XNNPACK does not initialize on this CPU");
	case_alloc(&g);
	for (int i = 0; i < CASES_PER_ORACLE; i++) {
		gen_case(&r, &cap, &g);
		ASSERT_EQ(0, ref(&g));
		ASSERT_EQ(xnn_status_success, run_xnnpack(&g));
		compare(_metadata, "xnnpack", &g, &t);
	}
	report("FP32", "XNNPACK", &t);
	EXPECT_EQ(0, t.bad_gemms);
	case_free(&g);
	xnn_deinitialize();
}

/* --- ONNX Runtime ------------------------------------------------------------ */

static void put_i32(FILE *f, int32_t v)
{
	fwrite(&v, 4, 1, f);	/* x86-64 and arm64 are little endian, as the file */
}

static void put_f32(FILE *f, float v)
{
	fwrite(&v, 4, 1, f);
}

/* One case in requant_oracle_ort.js's format (B transposed to k x n). */
static void put_case(FILE *f, const struct gcase *g)
{
	const struct qaccel_gemm_params *p = &g->p;
	bool pc = p->flags & QACCEL_GEMM_PER_CHANNEL;

	put_i32(f, (int32_t)p->m);
	put_i32(f, (int32_t)p->n);
	put_i32(f, (int32_t)p->k);
	put_i32(f, !!(p->flags & QACCEL_GEMM_A_UINT8));
	put_i32(f, !!(p->flags & QACCEL_GEMM_B_UINT8));
	put_i32(f, (p->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8);
	put_i32(f, pc);
	put_i32(f, p->a_zero_point);
	put_i32(f, p->b_zero_point);
	put_i32(f, p->c_zero_point);
	put_f32(f, g->s_in);
	put_f32(f, g->s_out);
	for (uint32_t j = 0; j < (pc ? p->n : 1); j++)
		put_f32(f, g->s_k[j]);
	fwrite(g->a, 1, (size_t)p->m * p->k, f);
	for (uint32_t x = 0; x < p->k; x++)
		for (uint32_t j = 0; j < p->n; j++)
			fputc(g->b[(size_t)j * p->k + x], f);
}

static int run_node(const char *in, const char *out)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execl("/usr/bin/node", "node", ORT_SCRIPT, ORT_DIR, in, out, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

#define ORT_BATCHES 3

/*
 * Node starts three times and runs 3,000 GEMMs: about 10 s on a quiet host,
 * past the harness's 30 s default on a loaded one.  A fixture is the
 * harness's only way to give one test its own timeout.
 */
FIXTURE(onnxruntime) {};
FIXTURE_SETUP(onnxruntime) {}
FIXTURE_TEARDOWN(onnxruntime) {}

TEST_F_TIMEOUT(onnxruntime, fp32_family_matches_onnxruntime, 600)
{
	struct caps cap = {
		.rq = QACCEL_GEMM_RQ_FP32, .fscale = qaccel_scale_onnxruntime,
		.same_types = true, .u8_a_s8_b = true, .no_bias_no_clamp = true,
	};
	struct rng r = { 0x452821e638d01377ull };
	struct tally t = { 0 };
	struct gcase g;
	int per_batch = CASES_PER_ORACLE / ORT_BATCHES;
	uint8_t *refs = malloc((size_t)per_batch * MAXM * MAXN);
	struct gcase *saved = calloc((size_t)per_batch, sizeof(*saved));
	struct qaccel_quant *quants = calloc((size_t)per_batch * MAXN, sizeof(*quants));
	char in[] = "/tmp/qaccel-ort-in-XXXXXX", out[] = "/tmp/qaccel-ort-out-XXXXXX";
	int fd_in, fd_out;

	if (access("/usr/bin/node", X_OK) || access(ORT_DIR "/node_modules/onnxruntime-node", R_OK))
		SKIP(return, "no /usr/bin/node or no onnxruntime-node in " ORT_DIR
		     " (scripts/setup.sh installs them)");
	ASSERT_TRUE(refs && saved && quants);
	fd_in = mkstemp(in);
	fd_out = mkstemp(out);
	ASSERT_TRUE(fd_in >= 0 && fd_out >= 0);
	close(fd_out);
	case_alloc(&g);
	/* a few node processes, each running a batch of cases */
	for (int batch = 0; batch < ORT_BATCHES; batch++) {
		FILE *f = fopen(in, "w");

		ASSERT_TRUE(f != NULL);
		fputs("QRQ1", f);
		put_i32(f, per_batch);
		for (int i = 0; i < per_batch; i++) {
			gen_case(&r, &cap, &g);
			ASSERT_EQ(0, ref(&g));
			put_case(f, &g);
			memcpy(refs + (size_t)i * MAXM * MAXN, g.c_ref, (size_t)g.p.m * g.p.n);
			saved[i].p = g.p;
			saved[i].prof = g.prof;
			memcpy(quants + (size_t)i * MAXN, g.quant, MAXN * sizeof(*quants));
		}
		ASSERT_EQ(0, fclose(f));
		ASSERT_EQ(0, run_node(in, out));
		f = fopen(out, "r");
		ASSERT_TRUE(f != NULL);
		for (int i = 0; i < per_batch; i++) {
			size_t len = (size_t)saved[i].p.m * saved[i].p.n;
			struct gcase c = g;

			c.p = saved[i].p;
			c.prof = saved[i].prof;
			c.c_ref = refs + (size_t)i * MAXM * MAXN;
			c.quant = quants + (size_t)i * MAXN;
			ASSERT_EQ(len, fread(g.c_orc, 1, len, f));
			c.c_orc = g.c_orc;
			compare(_metadata, "onnxruntime", &c, &t);
		}
		EXPECT_EQ(EOF, fgetc(f));
		fclose(f);
	}
	report("FP32", "ONNX Runtime 1.20.1 QLinearMatMul", &t);
	EXPECT_EQ(0, t.bad_gemms);
	close(fd_in);
	unlink(in);
	unlink(out);
	case_free(&g);
	free(refs);
	free(saved);
	free(quants);
}

/* --- the families side by side ---------------------------------------------- */

/*
 * How often the three families give different bytes on the same GEMM at
 * common scales: realistic int8 layers (k 16..256, full-range data, bias),
 * scales from a framework's triple (input 0.005..0.05, weight 0.001..0.01,
 * output 0.05..0.5, per channel); GEMMLOWP and SINGLE get TFLite's
 * QuantizeMultiplier of the exact product, FP32 ONNX Runtime's float scale.
 * Double and single rounding can differ by one step only: that is asserted.
 * Also counted: triples where ONNX Runtime's and PyTorch's scale formulas
 * give different floats.
 */
TEST(families_differ_by_at_most_one_step_at_common_scales)
{
	enum { GEMMS = 2000, M = 8, N = 16, KMAX = 256 };
	struct rng r = { 0x13198a2e03707344ull };
	static uint8_t a[M * KMAX], b[N * KMAX], c[3][M * N];
	long outputs = 0, saturated = 0, diff[3] = { 0 }, maxdiff[3] = { 0 };
	long triples = 0, formula_diff = 0;
	/* GEMMLOWP/SINGLE by the right shift -shift: outputs, differing */
	long by_shift[32][2] = { { 0 } };
	static const char *const pair[3] = { "GEMMLOWP/SINGLE", "GEMMLOWP/FP32",
					     "SINGLE/FP32" };

	for (int gi = 0; gi < GEMMS; gi++) {
		uint32_t k = (uint32_t)rnd_in(&r, 16, KMAX);
		struct qaccel_quant q[3][N];
		int32_t bias[N];
		float s_in = (float)rnd_log(&r, 0.005, 0.05);
		float s_out = (float)rnd_log(&r, 0.05, 0.5);
		struct qaccel_gemm_params p = {
			.m = M, .n = N, .k = k, .lda = k, .ldb = k, .ldc = N,
			.a_zero_point = (int32_t)rnd_in(&r, -128, 127),
			.c_zero_point = (int32_t)rnd_in(&r, -20, 20),
			.clamp_min = -128, .clamp_max = 127,
		};

		for (size_t i = 0; i < sizeof(a); i++)
			a[i] = (uint8_t)rnd(&r);
		for (size_t i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)rnd(&r);
		for (int j = 0; j < N; j++) {
			float s_w = (float)rnd_log(&r, 0.001, 0.01), fs, ps;

			bias[j] = (int32_t)rnd_in(&r, -30000, 30000);
			ASSERT_EQ(0, qaccel_quantize_multiplier((double)s_in * s_w / s_out,
								&q[0][j].multiplier,
								&q[0][j].shift));
			q[1][j] = q[0][j];
			ASSERT_EQ(0, qaccel_scale_onnxruntime(s_in, s_w, s_out, &fs));
			ASSERT_EQ(0, qaccel_fp32_multiplier(fs, &q[2][j].multiplier));
			q[2][j].shift = 0;
			ASSERT_EQ(0, qaccel_scale_pytorch_qnnpack(s_in, s_w, s_out, &ps));
			triples++;
			formula_diff += fs != ps;
		}
		for (int f = 0; f < 3; f++) {
			static const uint32_t rq[3] = { QACCEL_GEMM_RQ_GEMMLOWP,
							QACCEL_GEMM_RQ_SINGLE,
							QACCEL_GEMM_RQ_FP32 };

			p.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_PER_CHANNEL |
				  QACCEL_GEMM_BIAS | rq[f];
			ASSERT_EQ(0, qaccel_ref_gemm(&p, a, b, bias, q[f], c[f]));
		}
		for (int i = 0; i < M * N; i++) {
			int v[3] = { (int8_t)c[0][i], (int8_t)c[1][i], (int8_t)c[2][i] };

			outputs++;
			saturated += v[0] == -128 || v[0] == 127;
			by_shift[-q[0][i % N].shift & 31][0]++;
			by_shift[-q[0][i % N].shift & 31][1] += v[0] != v[1];
			for (int d = 0; d < 3; d++) {
				int x = v[d == 2 ? 1 : 0], y = v[d == 0 ? 1 : 2];
				long ad = labs((long)x - y);

				diff[d] += ad != 0;
				if (ad > maxdiff[d])
					maxdiff[d] = ad;
			}
		}
	}
	printf("# families at common scales: %d GEMMs, %ld int8 outputs (%.2f%% saturated)\n",
	       GEMMS, outputs, 100.0 * saturated / outputs);
	for (int d = 0; d < 3; d++)
		printf("# %s: %ld outputs differ (%.3f%%), by at most %ld\n", pair[d], diff[d],
		       100.0 * diff[d] / outputs, maxdiff[d]);
	for (int sh = 0; sh < 32; sh++)
		if (by_shift[sh][0] >= 1000)
			printf("# GEMMLOWP/SINGLE at right shift %d: %ld of %ld outputs differ "
			       "(%.3f%%)\n", sh, by_shift[sh][1], by_shift[sh][0],
			       100.0 * by_shift[sh][1] / by_shift[sh][0]);
	printf("# scale formulas: ONNX Runtime's and PyTorch's differ for %ld of %ld triples "
	       "(%.1f%%)\n", formula_diff, triples, 100.0 * formula_diff / triples);
	fflush(stdout);
	EXPECT_GE(1, maxdiff[0]);
	EXPECT_GE(1, maxdiff[1]);
	EXPECT_GE(1, maxdiff[2]);
	EXPECT_LT(0, diff[0]);	/* the families are not the same */
}

TEST_HARNESS_MAIN
