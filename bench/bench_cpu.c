// SPDX-License-Identifier: MIT
/*
 * bench_cpu: the int8 GEMMs of the hardware suite on the host CPU, with the
 * project's reference (qaccel_ref_gemm), gemmlowp and oneDNN, one thread
 * each, to set the accelerator's modeled time against what a CPU does.
 *
 * Semantics compared: int8 x int8 -> raw int32 C (QACCEL_GEMM_OUT_INT32),
 * common zero points for A and B (0/0 and a nonzero pair).  There all three
 * compute the same exact integers, so gemmlowp's and oneDNN's C must equal
 * the reference's byte for byte; a difference makes bench_cpu exit 1.
 * A configuration an implementation does not support is reported as
 * skipped, never silently compared against something else.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <oneapi/dnnl/dnnl.h>

#include "qaccel_ref.h"
#include "bench_common.h"

#define MAX_SHAPES	64
/* Repeat a GEMM until this much time has passed; report the fastest run. */
#define MIN_SECONDS	0.2
#define MAX_REPS	200

int bench_gemmlowp_s8s8s32(int m, int n, int k, const int8_t *a, const int8_t *b,
			   int a_zero_point, int b_zero_point, uint8_t *a_u8, uint8_t *b_u8,
			   int32_t *c);

struct shape {
	uint32_t m, n, k;
};

/* The hardware suite's shapes at 16x16 (bench_hw.c). */
static const struct shape default_shapes[] = {
	{ 64, 64, 64 }, { 128, 128, 128 }, { 256, 256, 256 }, { 512, 512, 512 },
	{ 256, 256, 784 }, { 256, 128, 256 }, { 256, 10, 128 }, { 128, 768, 3072 },
	{ 1, 1024, 1024 }, { 1, 4096, 4096 },
};
static const struct shape quick_shapes[] = {
	{ 64, 64, 64 }, { 128, 128, 128 }, { 256, 10, 128 },
};
/* A nonzero pair that exercises both operand offsets. */
static const int zero_points[][2] = { { 0, 0 }, { -7, 5 } };

struct onednn;

struct gemm {
	struct shape s;
	int a_zp, b_zp;
	int8_t *a, *b;
	uint8_t *a_u8, *b_u8;		/* gemmlowp's uint8 copies */
	int32_t *want, *got;
	struct onednn *dnn;		/* the primitive built for this GEMM */
};

struct onednn {
	dnnl_engine_t engine;
	dnnl_stream_t stream;
	dnnl_primitive_t prim;
	dnnl_memory_t mem[3];
};

static int run_ref(struct gemm *g, int32_t *c)
{
	struct qaccel_gemm_params p = {
		.m = g->s.m, .n = g->s.n, .k = g->s.k,
		.lda = g->s.k, .ldb = g->s.k, .ldc = g->s.n * 4,
		.flags = QACCEL_GEMM_OUT_INT32,
		.a_zero_point = g->a_zp, .b_zero_point = g->b_zp,
		.clamp_min = -128, .clamp_max = 127,
		.out_multiplier = 1 << 30,
	};

	return qaccel_ref_gemm(&p, g->a, g->b, NULL, NULL, c);
}

static int run_gemmlowp(struct gemm *g, int32_t *c)
{
	return bench_gemmlowp_s8s8s32((int)g->s.m, (int)g->s.n, (int)g->s.k, g->a, g->b,
				      g->a_zp, g->b_zp, g->a_u8, g->b_u8, c);
}

static void onednn_free(struct onednn *d)
{
	for (int i = 0; i < 3; i++)
		if (d->mem[i])
			dnnl_memory_destroy(d->mem[i]);
	if (d->prim)
		dnnl_primitive_destroy(d->prim);
	if (d->stream)
		dnnl_stream_destroy(d->stream);
	if (d->engine)
		dnnl_engine_destroy(d->engine);
	memset(d, 0, sizeof(*d));
}

/*
 * Build the matmul primitive once (frameworks do too): s8 A (M x K, row
 * major) times s8 B seen as K x N with strides (1, K), i.e. B's rows are
 * the columns, into s32 C; zero points as common (mask 0) attributes,
 * which oneDNN subtracts like qaccel does.  -ENOTSUP when oneDNN has no
 * implementation for the combination.
 */
static int onednn_init(struct onednn *d, struct gemm *g)
{
	const dnnl_dim_t m = g->s.m, n = g->s.n, k = g->s.k;
	const dnnl_dims_t a_dims = { m, k }, a_str = { k, 1 };
	const dnnl_dims_t b_dims = { k, n }, b_str = { 1, k };
	const dnnl_dims_t c_dims = { m, n }, c_str = { n, 1 };
	dnnl_memory_desc_t a_md, b_md, c_md;
	dnnl_matmul_desc_t desc;
	dnnl_primitive_attr_t attr = NULL;
	dnnl_primitive_desc_t pd = NULL;
	int32_t azp = g->a_zp, bzp = g->b_zp;
	int ret = -EINVAL;

	memset(d, 0, sizeof(*d));
	if (dnnl_engine_create(&d->engine, dnnl_cpu, 0) ||
	    dnnl_stream_create(&d->stream, d->engine, dnnl_stream_default_flags) ||
	    dnnl_memory_desc_init_by_strides(&a_md, 2, a_dims, dnnl_s8, a_str) ||
	    dnnl_memory_desc_init_by_strides(&b_md, 2, b_dims, dnnl_s8, b_str) ||
	    dnnl_memory_desc_init_by_strides(&c_md, 2, c_dims, dnnl_s32, c_str) ||
	    dnnl_matmul_desc_init(&desc, &a_md, &b_md, NULL, &c_md) ||
	    dnnl_primitive_attr_create(&attr))
		goto out;
	if ((azp && dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &azp)) ||
	    (bzp && dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_WEIGHTS, 1, 0, &bzp)))
		goto out;
	if (dnnl_primitive_desc_create(&pd, &desc, attr, d->engine, NULL)) {
		ret = -ENOTSUP;
		goto out;
	}
	if (dnnl_primitive_create(&d->prim, pd) ||
	    dnnl_memory_create(&d->mem[0], &a_md, d->engine, g->a) ||
	    dnnl_memory_create(&d->mem[1], &b_md, d->engine, g->b) ||
	    dnnl_memory_create(&d->mem[2], &c_md, d->engine, DNNL_MEMORY_NONE))
		goto out;
	ret = 0;
out:
	if (pd)
		dnnl_primitive_desc_destroy(pd);
	if (attr)
		dnnl_primitive_attr_destroy(attr);
	if (ret)
		onednn_free(d);
	return ret;
}

static int run_onednn(struct gemm *g, int32_t *c)
{
	struct onednn *d = g->dnn;
	dnnl_exec_arg_t args[] = {
		{ DNNL_ARG_SRC, d->mem[0] },
		{ DNNL_ARG_WEIGHTS, d->mem[1] },
		{ DNNL_ARG_DST, d->mem[2] },
	};

	if (dnnl_memory_set_data_handle_v2(d->mem[2], c, d->stream) ||
	    dnnl_primitive_execute(d->prim, d->stream, 3, args) || dnnl_stream_wait(d->stream))
		return -EIO;
	return 0;
}

struct impl {
	const char *name;
	int (*run)(struct gemm *g, int32_t *c);
};

/* The fastest of repeated runs, after one untimed warm-up that gives C. */
static int time_it(const struct impl *im, struct gemm *g, int32_t *c, double *best,
		   unsigned int *reps)
{
	double start = now(), t0, t;
	int ret = im->run(g, c);

	if (ret)
		return ret;
	*best = 1e30;
	for (*reps = 0; *reps < MAX_REPS && (*reps == 0 || now() - start < MIN_SECONDS);
	     ++*reps) {
		t0 = now();
		ret = im->run(g, c);
		t = now() - t0;
		if (ret)
			return ret;
		if (t < *best)
			*best = t;
	}
	return 0;
}

static int parse_shapes(struct shape *s, unsigned int *n, const char *arg)
{
	const char *p = arg;

	*n = 0;
	while (*p && *n < MAX_SHAPES) {
		int used = 0;

		if (sscanf(p, "%ux%ux%u%n", &s[*n].m, &s[*n].n, &s[*n].k, &used) != 3 ||
		    !s[*n].m || !s[*n].n || !s[*n].k)
			return -1;
		(*n)++;
		p += used;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return *n && !*p ? 0 : -1;
}

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [options]\n"
		"int8 x int8 -> int32 GEMMs on the host CPU (one thread) with the qaccel\n"
		"reference, gemmlowp and oneDNN; exits 1 if any result differs from the\n"
		"reference.\n"
		"  --shapes MxNxK,... shapes (default: bench_hw's suite at 16x16)\n"
		"  --quick            64^3, 128^3 and 256x10x128 only\n"
		"  --json FILE        write one JSON object per line to FILE\n"
		"  --help             this text\n"
		"Run with OMP_NUM_THREADS=1 so that oneDNN uses one thread too.\n", prog);
}

/*
 * One JSON line per run: the measurement when it ran (reps given), else
 * its status (skipped, error).
 */
static int write_record(FILE *f, const char *impl, const struct gemm *g,
			const unsigned int *reps, double best, bool ok, const char *status,
			const char *command)
{
	double ops = 2.0 * g->s.m * g->s.n * g->s.k;
	json_t *rec = json_pack("{s:s, s:I, s:I, s:I, s:s, s:i, s:i}", "impl", impl,
				"m", (json_int_t)g->s.m, "n", (json_int_t)g->s.n,
				"k", (json_int_t)g->s.k, "out", "int32",
				"a_zero_point", g->a_zp, "b_zero_point", g->b_zp);
	int ret = -1;

	if (!rec)
		return -1;
	if (reps) {
		json_t *m = json_pack("{s:I, s:i, s:I, s:f, s:f, s:b}",
				      "macs", (json_int_t)g->s.m * g->s.n * g->s.k,
				      "threads", 1, "reps", (json_int_t)*reps, "wall_s", best,
				      "gops", ops / best / 1e9, "correct", ok);

		int err = !m || json_object_update(rec, m);

		json_decref(m);
		if (err)
			goto out;
	} else if (json_object_set_new(rec, "status", json_string(status))) {
		goto out;
	}
	if (json_object_set_new(rec, "command", json_string(command)) ||
	    json_dumpf(rec, f, JSON_REAL_PRECISION(17)) || fputc('\n', f) == EOF)
		goto out;
	ret = 0;
out:
	json_decref(rec);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "shapes", required_argument, NULL, 's' },
		{ "quick", no_argument, NULL, 'q' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	static const struct impl impls[] = {
		{ "ref", run_ref }, { "gemmlowp", run_gemmlowp }, { "onednn", run_onednn },
	};
	struct shape shapes[MAX_SHAPES];
	unsigned int nshapes = sizeof(default_shapes) / sizeof(default_shapes[0]);
	const char *json = NULL, *omp = getenv("OMP_NUM_THREADS");
	char command[1024];
	size_t clen = 0;
	FILE *jf = NULL;
	int c, wrong = 0;

	memcpy(shapes, default_shapes, sizeof(default_shapes));
	for (int i = 0; i < argc && clen < sizeof(command) - 1; i++)
		clen += snprintf(command + clen, sizeof(command) - clen, "%s%s", i ? " " : "",
				 argv[i]);
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_shapes(shapes, &nshapes, optarg)) {
				fprintf(stderr, "bad --shapes '%s'\n", optarg);
				return 2;
			}
			break;
		case 'q':
			nshapes = sizeof(quick_shapes) / sizeof(quick_shapes[0]);
			memcpy(shapes, quick_shapes, sizeof(quick_shapes));
			break;
		case 'j': json = optarg; break;
		case 'h': usage(stdout, argv[0]); return 0;
		default: usage(stderr, argv[0]); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return 2;
	}
	if (!omp || strcmp(omp, "1"))
		fprintf(stderr, "warning: OMP_NUM_THREADS is not 1; oneDNN may use every core\n");
	if (json) {
		jf = fopen(json, "w");
		if (!jf) {
			perror(json);
			return 1;
		}
	}
	printf("%-9s %-15s %9s %11s %8s %s\n", "impl", "MxNxK", "zp a/b", "wall us", "GOPS",
	       "check");
	for (unsigned int si = 0; si < nshapes; si++) {
		for (unsigned int zi = 0; zi < 2; zi++) {
			struct gemm g = {
				.s = shapes[si],
				.a_zp = zero_points[zi][0], .b_zp = zero_points[zi][1],
			};
			size_t a_len = (size_t)g.s.m * g.s.k, b_len = (size_t)g.s.n * g.s.k;
			size_t c_len = (size_t)g.s.m * g.s.n;
			/* bench_hw's operands at its default --seed. */
			uint64_t state = prng_seed(1);
			struct onednn d;
			int dret;

			g.a = malloc(a_len);
			g.b = malloc(b_len);
			g.a_u8 = malloc(a_len);
			g.b_u8 = malloc(b_len);
			g.want = malloc(c_len * 4);
			g.got = malloc(c_len * 4);
			if (!g.a || !g.b || !g.a_u8 || !g.b_u8 || !g.want || !g.got) {
				fprintf(stderr, "out of memory\n");
				return 1;
			}
			prng_fill(g.a, a_len, &state);
			prng_fill(g.b, b_len, &state);
			dret = onednn_init(&d, &g);
			g.dnn = &d;
			for (unsigned int ii = 0; ii < 3; ii++) {
				const struct impl *im = &impls[ii];
				int32_t *out = ii ? g.got : g.want;
				double best = 0, ops = 2.0 * g.s.m * g.s.n * g.s.k;
				unsigned int reps = 0;
				const char *status;
				char shape[40];
				int ret;
				bool ok;

				if (ii == 2 && dret) {
					ret = dret;
				} else {
					memset(out, 0x5a, c_len * 4);
					ret = time_it(im, &g, out, &best, &reps);
				}
				ok = !ret && (!ii || !memcmp(g.got, g.want, c_len * 4));
				status = ret == -ENOTSUP ? "skipped" : ret ? "error" : ok ? "ok" : "WRONG";
				if (ret != -ENOTSUP && !ok) {
					wrong++;
					fprintf(stderr, "%s %ux%ux%u zp %d/%d: %s\n", im->name, g.s.m,
						g.s.n, g.s.k, g.a_zp, g.b_zp,
						ret ? "failed" : "differs from qaccel_ref_gemm");
				}
				snprintf(shape, sizeof(shape), "%ux%ux%u", g.s.m, g.s.n, g.s.k);
				printf("%-9s %-15s %4d/%-4d %11.1f %8.2f %s\n", im->name,
				       shape, g.a_zp, g.b_zp, best * 1e6,
				       best > 0 ? ops / best / 1e9 : 0, status);
				if (jf && write_record(jf, im->name, &g, ret ? NULL : &reps, best,
						       ok, status, command)) {
					fprintf(stderr, "%s: cannot write the record\n", json);
					return 1;
				}
				fflush(stdout);
			}
			if (!dret)
				onednn_free(&d);
			free(g.a);
			free(g.b);
			free(g.a_u8);
			free(g.b_u8);
			free(g.want);
			free(g.got);
		}
	}
	if (jf && fclose(jf)) {
		perror(json);
		return 1;
	}
	if (wrong)
		fprintf(stderr, "%d run(s) failed or differ from the reference\n", wrong);
	return wrong ? 1 : 0;
}
