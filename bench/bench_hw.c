// SPDX-License-Identifier: MIT
/*
 * bench_hw: GEMM throughput of the RTL itself, on the host (Verilated
 * through qsim, driven by sim/qsim_host.c; no VM, no kernel).
 *
 * One binary per array size (the model is compiled in).  Every run is one
 * GEMM job with random int8 operands from a fixed seed, checked byte for
 * byte against qaccel_ref_gemm(): a wrong answer makes the bench exit 1.
 * Cycle figures come from the job's completion record; the memory model is
 * qsim's (default 200 cycles latency, 64 bytes/cycle).  Results go to a JSON
 * list (one object per run) and a summary table on stdout; progress of long
 * runs goes to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "qaccel_hw.h"
#include "qaccel_ref.h"
#include "qsim.h"
#include "qsim_host.h"
#include "bench_common.h"

/* Enough for B of a 4096 x 8192 int8 operand plus everything else. */
#define BENCH_MEM_SIZE		(256ull << 20)
#define PROGRESS_CYCLES		(1ull << 20)
#define JOB_CYCLE_LIMIT		(20ull * 1000 * 1000 * 1000)
#define PROGRESS_SECONDS	5.0
#define MAX_SHAPES		64

struct shape {
	uint32_t m, n, k;
};

/*
 * The default set: square shapes show how utilization grows with reuse;
 * the three Fashion-MNIST layers of examples/fashion at batch 256 (784-256,
 * 256-128, 128-10, as M x N x K); a transformer feed-forward projection
 * (128 x 768 x 3072); batch-1 inference (M = 1, a matrix-vector product, all
 * weight traffic: a square, an LLM's MLP up-projection 4096 -> 11008 and a
 * BERT-base feed-forward 768 -> 3072).  A shape stays in the default only where it simulates in
 * about a minute or two on the 2-core reference machine
 * (docs/performance.md); --big runs all of them at every size.
 */
static const struct {
	struct shape s;
	unsigned int max_pes;		/* default only when rows * cols <= this */
} default_shapes[] = {
	{ { 64, 64, 64 }, ~0u },
	{ { 128, 128, 128 }, ~0u },
	{ { 256, 256, 256 }, ~0u },
	{ { 512, 512, 512 }, 32 * 32 },
	{ { 256, 256, 784 }, ~0u },
	{ { 256, 128, 256 }, ~0u },
	{ { 256, 10, 128 }, ~0u },
	{ { 128, 768, 3072 }, 16 * 16 },
	{ { 1, 1024, 1024 }, ~0u },
	{ { 1, 4096, 4096 }, 16 * 16 },
	{ { 1, 4096, 11008 }, 16 * 16 },
	{ { 1, 768, 3072 }, 16 * 16 },
};
static const struct shape quick_shapes[] = {
	{ 64, 64, 64 }, { 128, 128, 128 }, { 256, 10, 128 },
};

struct options {
	struct shape shapes[MAX_SHAPES];
	unsigned int nshapes;
	bool out_int8;
	uint32_t requant;		/* QACCEL_GEMM_RQ_* for int8 outputs */
	const char *json;
	bool append;
	unsigned int latency, bytes_per_cycle;
	unsigned int seed;
	char command[1024];
};

struct result {
	struct shape s;
	struct qaccel_hw_cqe cqe;
	double wall_s;			/* submit to completion record */
	uint64_t sim_cycles;		/* clock edges simulated for the job */
	bool correct;
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"usage: %s [options]\n"
		"Runs GEMM jobs on the %ux%u RTL model and reports cycles and utilization.\n"
		"  --array RxC        fail unless this binary's model is RxC (default: any)\n"
		"  --shapes MxNxK,... shapes to run (default: 64^3 to 512^3, the\n"
		"                     Fashion-MNIST layers, 1x1024x1024, and up to 16x16\n"
		"                     128x768x3072, 1x4096x4096, 1x4096x11008, 1x768x3072)\n"
		"  --big              default shapes at every size (128x768x3072 and the\n"
		"                     batch-1 shapes take many minutes at 32x32)\n"
		"  --quick            64^3, 128^3 and 256x10x128 only\n"
		"  --out int32|int8   output type (default int32; int8 = per-tensor requant)\n"
		"  --requant FAMILY   requantization of int8 outputs: gemmlowp (default),\n"
		"                     single or fp32 (docs/quantization.md)\n"
		"  --latency N        memory latency in cycles (default %u)\n"
		"  --bytes-per-cycle N memory bandwidth (default %u, at most 64)\n"
		"  --seed N           operand seed (default 1)\n"
		"  --json FILE        write the runs as a JSON list to FILE\n"
		"  --append           add to FILE's list instead of replacing it\n"
		"  --help             this text\n",
		prog, qsim_rows(), qsim_cols(), QSIM_DEFAULT_LATENCY, QSIM_DEFAULT_BYTES_PER_CYCLE);
}

/* Indexed by the family's value in the flags (QACCEL_GEMM_RQ_* >> 6). */
static const char *const requant_names[] = { "gemmlowp", "single", "fp32" };
#define REQUANT_FAMILIES	(sizeof(requant_names) / sizeof(requant_names[0]))

static int add_shapes(struct options *o, const struct shape *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (o->nshapes == MAX_SHAPES)
			return -1;
		o->shapes[o->nshapes++] = s[i];
	}
	return 0;
}

static int parse_shapes(struct options *o, const char *arg)
{
	const char *p = arg;

	while (*p) {
		struct shape s;
		int used = 0;

		if (sscanf(p, "%ux%ux%u%n", &s.m, &s.n, &s.k, &used) != 3 || !s.m || !s.n ||
		    !s.k || s.m > QACCEL_MAX_DIM || s.n > QACCEL_MAX_DIM || s.k > QACCEL_MAX_DIM)
			return -1;
		if (add_shapes(o, &s, 1))
			return -1;
		p += used;
		if (*p == ',')
			p++;
		else if (*p)
			return -1;
	}
	return o->nshapes ? 0 : -1;
}

static int parse_options(struct options *o, int argc, char **argv)
{
	enum { OPT_ARRAY = 256, OPT_SHAPES, OPT_BIG, OPT_QUICK, OPT_OUT, OPT_LATENCY,
	       OPT_BPC, OPT_SEED, OPT_JSON, OPT_APPEND, OPT_HELP, OPT_REQUANT };
	static const struct option longopts[] = {
		{ "array", required_argument, NULL, OPT_ARRAY },
		{ "shapes", required_argument, NULL, OPT_SHAPES },
		{ "big", no_argument, NULL, OPT_BIG },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "requant", required_argument, NULL, OPT_REQUANT },
		{ "latency", required_argument, NULL, OPT_LATENCY },
		{ "bytes-per-cycle", required_argument, NULL, OPT_BPC },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "append", no_argument, NULL, OPT_APPEND },
		{ "help", no_argument, NULL, OPT_HELP },
		{ 0 }
	};
	bool big = false, quick = false;
	size_t len = 0;
	int c;

	memset(o, 0, sizeof(*o));
	o->latency = QSIM_DEFAULT_LATENCY;
	o->bytes_per_cycle = QSIM_DEFAULT_BYTES_PER_CYCLE;
	o->seed = 1;
	for (int i = 0; i < argc && len < sizeof(o->command) - 1; i++)
		len += snprintf(o->command + len, sizeof(o->command) - len, "%s%s",
				i ? " " : "", argv[i]);

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		unsigned int r, cl;

		switch (c) {
		case OPT_ARRAY:
			if (sscanf(optarg, "%ux%u", &r, &cl) != 2) {
				fprintf(stderr, "bad --array '%s' (want RxC)\n", optarg);
				return -1;
			}
			if (r != qsim_rows() || cl != qsim_cols()) {
				fprintf(stderr, "this binary simulates %ux%u, not %s\n",
					qsim_rows(), qsim_cols(), optarg);
				return -1;
			}
			break;
		case OPT_SHAPES:
			if (parse_shapes(o, optarg)) {
				fprintf(stderr, "bad --shapes '%s' (want MxNxK,... with 1..%u)\n",
					optarg, QACCEL_MAX_DIM);
				return -1;
			}
			break;
		case OPT_BIG: big = true; break;
		case OPT_QUICK: quick = true; break;
		case OPT_OUT:
			if (strcmp(optarg, "int32") && strcmp(optarg, "int8")) {
				fprintf(stderr, "bad --out '%s' (int32 or int8)\n", optarg);
				return -1;
			}
			o->out_int8 = !strcmp(optarg, "int8");
			break;
		case OPT_REQUANT: {
			unsigned int f;

			for (f = 0; f < REQUANT_FAMILIES; f++)
				if (!strcmp(optarg, requant_names[f]))
					break;
			if (f == REQUANT_FAMILIES) {
				fprintf(stderr, "bad --requant '%s' (gemmlowp, single or fp32)\n",
					optarg);
				return -1;
			}
			o->requant = f << 6;
			break;
		}
		case OPT_LATENCY: o->latency = (unsigned int)strtoul(optarg, NULL, 0); break;
		case OPT_BPC:
			o->bytes_per_cycle = (unsigned int)strtoul(optarg, NULL, 0);
			if (!o->bytes_per_cycle || o->bytes_per_cycle > 64) {
				fprintf(stderr, "--bytes-per-cycle must be 1..64\n");
				return -1;
			}
			break;
		case OPT_SEED: o->seed = (unsigned int)strtoul(optarg, NULL, 0); break;
		case OPT_JSON: o->json = optarg; break;
		case OPT_APPEND: o->append = true; break;
		case OPT_HELP: usage(stdout, argv[0]); exit(0);
		default: usage(stderr, argv[0]); return -1;
		}
	}
	if (optind != argc) {
		usage(stderr, argv[0]);
		return -1;
	}
	if (o->requant && !o->out_int8) {
		fprintf(stderr, "--requant needs --out int8 (int32 outputs are not requantized)\n");
		return -1;
	}
	if (o->nshapes)
		return 0;
	if (quick)
		return add_shapes(o, quick_shapes, sizeof(quick_shapes) / sizeof(quick_shapes[0]));
	for (size_t i = 0; i < sizeof(default_shapes) / sizeof(default_shapes[0]); i++)
		if (big || qsim_rows() * qsim_cols() <= default_shapes[i].max_pes)
			add_shapes(o, &default_shapes[i].s, 1);
	return 0;
}

/* One GEMM on the device; false if it failed or differs from the reference. */
static int run_one(struct qsim_host *h, const struct options *o, struct result *r)
{
	struct qaccel_gemm_params p = {
		.m = r->s.m, .n = r->s.n, .k = r->s.k,
		.lda = r->s.k, .ldb = r->s.k,
		.flags = (o->out_int8 ? QACCEL_GEMM_OUT_INT8 : QACCEL_GEMM_OUT_INT32) | o->requant,
		.clamp_min = -128, .clamp_max = 127,
		/* About 1/1000: keeps int8 outputs of random data off the rails. */
		.out_multiplier = 1099511628, .out_shift = -9,
	};

	/* The same scale as a binary32 (its bits in the multiplier, no shift). */
	if (o->requant == QACCEL_GEMM_RQ_FP32) {
		float scale = 1e-3f;

		memcpy(&p.out_multiplier, &scale, sizeof(scale));
		p.out_shift = 0;
	}
	uint32_t esz = o->out_int8 ? 1 : 4;
	uint64_t state = prng_seed(o->seed);
	size_t a_len = (size_t)p.m * p.k, b_len = (size_t)p.n * p.k, c_len;
	struct qsim_host_buf a = { 0 }, b = { 0 }, c = { 0 };
	uint8_t *a_host, *b_host, *c_want, *c_got;
	struct qaccel_hw_desc desc;
	struct qsim_stats st0, st1;
	double t0, last;
	uint64_t spent = 0;
	int ret = -ENOMEM;

	p.ldc = p.n * esz;
	c_len = (size_t)p.m * p.ldc;
	a_host = malloc(a_len);
	b_host = malloc(b_len);
	c_want = malloc(c_len);
	c_got = malloc(c_len);
	if (!a_host || !b_host || !c_want || !c_got)
		goto out;
	if (qsim_host_buf_alloc(h, &a, a_len) || qsim_host_buf_alloc(h, &b, b_len) ||
	    qsim_host_buf_alloc(h, &c, c_len))
		goto out;
	prng_fill(a_host, a_len, &state);
	prng_fill(b_host, b_len, &state);
	/* Stale C must not pass for a result. */
	memset(c_got, 0x5a, c_len);
	qsim_host_buf_write(h, &a, 0, a_host, a_len);
	qsim_host_buf_write(h, &b, 0, b_host, b_len);
	qsim_host_buf_write(h, &c, 0, c_got, c_len);
	ret = qaccel_ref_gemm(&p, a_host, b_host, NULL, NULL, c_want);
	if (ret)
		goto out;

	qsim_host_gemm_desc(&desc, qsim_host_next_tag(h), &p,
			    &(struct qsim_host_gemm_bufs){ .a = &a, .b = &b, .c = &c });

	qsim_get_stats(h->q, &st0);
	t0 = last = now();
	qsim_host_sq_push(h, &desc);
	qsim_host_sq_ring(h);
	for (;;) {
		double t;

		ret = qsim_host_cq_wait(h, &r->cqe, PROGRESS_CYCLES);
		if (!ret)
			break;
		spent += PROGRESS_CYCLES;
		if (qsim_idle(h->q) || spent >= JOB_CYCLE_LIMIT) {
			fprintf(stderr, "%ux%ux%u: no completion after %llu cycles\n",
				p.m, p.n, p.k, (unsigned long long)spent);
			goto out;
		}
		t = now();
		if (t - last >= PROGRESS_SECONDS) {
			fprintf(stderr, "  %ux%u %ux%ux%u: %.1f M cycles, %.0f s\n", qsim_rows(),
				qsim_cols(), p.m, p.n, p.k, spent / 1e6, t - t0);
			last = t;
		}
	}
	r->wall_s = now() - t0;
	qsim_get_stats(h->q, &st1);
	r->sim_cycles = st1.cycles - st0.cycles;
	if (st1.protocol_errors != st0.protocol_errors || st1.axi_errors != st0.axi_errors) {
		fprintf(stderr, "%ux%ux%u: AXI protocol/response errors\n", p.m, p.n, p.k);
		ret = -EIO;
		goto out;
	}
	if (r->cqe.tag != desc.tag || r->cqe.status != QACCEL_ERR_OK) {
		fprintf(stderr, "%ux%ux%u: completion tag %u status %u (want %u, 0)\n",
			p.m, p.n, p.k, r->cqe.tag, r->cqe.status, desc.tag);
		ret = -EIO;
		goto out;
	}
	qsim_host_buf_read(h, &c, 0, c_got, c_len);
	r->correct = !memcmp(c_got, c_want, c_len);
	if (!r->correct) {
		size_t i = 0;

		while (c_got[i] == c_want[i])
			i++;
		fprintf(stderr, "%ux%ux%u: WRONG RESULT, first difference at C byte %zu "
			"(row %zu): got 0x%02x want 0x%02x\n", p.m, p.n, p.k, i, i / p.ldc,
			c_got[i], c_want[i]);
	}
	ret = 0;
out:
	qsim_host_buf_free(h, &a);
	qsim_host_buf_free(h, &b);
	qsim_host_buf_free(h, &c);
	free(a_host);
	free(b_host);
	free(c_want);
	free(c_got);
	return ret;
}

static uint64_t macs_of(const struct result *r)
{
	return (uint64_t)r->s.m * r->s.n * r->s.k;
}

static double utilization(const struct result *r)
{
	return r->cqe.cycles ? (double)macs_of(r) / ((double)r->cqe.cycles * qsim_rows() *
						     qsim_cols()) : 0;
}

static double bandwidth_fraction(const struct result *r, const struct options *o)
{
	double bytes = (double)r->cqe.dma_rd_bytes + (double)r->cqe.dma_wr_bytes;

	return r->cqe.cycles ? bytes / r->cqe.cycles / o->bytes_per_cycle : 0;
}

/*
 * Device figures in time assume this clock.  1 GHz is a plausible target
 * for a 16x16 int8 array in a current process; nothing here was synthesized,
 * so it is a stated assumption, not a measurement (docs/performance.md).
 */
#define MODELED_CLOCK_HZ	1e9

static double ops_per_cycle(const struct result *r)
{
	return r->cqe.cycles ? 2.0 * macs_of(r) / r->cqe.cycles : 0;
}

/* Roofline x axis: operations (2 per MAC) per byte the DMA moved. */
static double op_intensity(const struct result *r)
{
	double bytes = (double)r->cqe.dma_rd_bytes + (double)r->cqe.dma_wr_bytes;

	return bytes > 0 ? 2.0 * macs_of(r) / bytes : 0;
}

static double fraction(uint64_t part, uint64_t whole)
{
	return whole ? (double)part / whole : 0;
}

static json_t *json_record(const struct result *r, const struct options *o)
{
	const struct qaccel_hw_cqe *q = &r->cqe;
	char array[24];

	snprintf(array, sizeof(array), "%ux%u", qsim_rows(), qsim_cols());
	return json_pack("{s:s, s:I, s:I, s:I, s:s, s:s, s:I, s:I, s:f, s:I, s:I, s:f, s:I, s:I, s:I,"
			 " s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:f, s:f, s:b, s:s}",
			 "array", array, "m", (json_int_t)r->s.m, "n", (json_int_t)r->s.n,
			 "k", (json_int_t)r->s.k, "out", o->out_int8 ? "int8" : "int32",
			 "requant", o->out_int8 ? requant_names[o->requant >> 6] : "none",
			 "cycles", (json_int_t)q->cycles, "macs", (json_int_t)macs_of(r),
			 "utilization", utilization(r),
			 "dma_read_bytes", (json_int_t)q->dma_rd_bytes,
			 "dma_write_bytes", (json_int_t)q->dma_wr_bytes,
			 "bandwidth_fraction", bandwidth_fraction(r, o),
			 "busy_cycles", (json_int_t)q->busy_cycles,
			 "dma_stall_cycles", (json_int_t)q->dma_stall_cycles,
			 "compute_stall_cycles", (json_int_t)q->compute_stall_cycles,
			 "latency", (json_int_t)o->latency,
			 "bytes_per_cycle", (json_int_t)o->bytes_per_cycle, "wall_s", r->wall_s,
			 "sim_cycles_per_s", r->wall_s > 0 ? r->sim_cycles / r->wall_s : 0.0,
			 "sim_macs_per_s", r->wall_s > 0 ? macs_of(r) / r->wall_s : 0.0,
			 "ops_per_cycle", ops_per_cycle(r), "op_intensity", op_intensity(r),
			 "clock_hz", MODELED_CLOCK_HZ,
			 "modeled_tops", ops_per_cycle(r) * MODELED_CLOCK_HZ / 1e12,
			 "correct", r->correct, "command", o->command);
}

/*
 * Write (or, with --append, extend) the JSON list of runs, so that several
 * array sizes can share a file.
 */
static int write_json(const struct options *o, const struct result *res, unsigned int n)
{
	json_t *list = NULL;
	json_error_t err;
	int ret = -ENOMEM;
	FILE *f;

	if (o->append && access(o->json, F_OK) == 0) {
		list = json_load_file(o->json, 0, &err);
		if (!list) {
			fprintf(stderr, "%s:%d: %s; cannot append\n", o->json, err.line, err.text);
			return -EINVAL;
		}
		if (!json_is_array(list)) {
			fprintf(stderr, "%s: not a JSON list, cannot append\n", o->json);
			json_decref(list);
			return -EINVAL;
		}
	} else {
		list = json_array();
		if (!list)
			return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++) {
		json_t *rec = json_record(&res[i], o);

		/* json_pack() refuses a command line that is not UTF-8. */
		if (!rec) {
			ret = -EINVAL;
			goto out;
		}
		if (json_array_append_new(list, rec))
			goto out;
	}
	f = fopen(o->json, "w");
	if (!f) {
		ret = -errno;
		goto out;
	}
	ret = json_dumpf(list, f, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) ? -EIO : 0;
	fputc('\n', f);
	if (fclose(f) && !ret)
		ret = -errno;
out:
	json_decref(list);
	return ret;
}

static void print_table_header(void)
{
	printf("%-6s %-16s %11s %7s %9s %9s %6s %6s %6s %9s %7s %s\n", "array", "MxNxK",
	       "cycles", "util%", "rd KiB", "wr KiB", "bw%", "busy%", "dmast%", "sim c/s",
	       "wall s", "check");
}

static void print_table_row(const struct result *r, const struct options *o)
{
	char shape[32], arr[16];

	snprintf(arr, sizeof(arr), "%ux%u", qsim_rows(), qsim_cols());
	snprintf(shape, sizeof(shape), "%ux%ux%u", r->s.m, r->s.n, r->s.k);
	printf("%-6s %-16s %11llu %7.2f %9.0f %9.0f %6.2f %6.1f %6.1f %9.0f %7.1f %s\n", arr,
	       shape, (unsigned long long)r->cqe.cycles, 100 * utilization(r),
	       r->cqe.dma_rd_bytes / 1024.0, r->cqe.dma_wr_bytes / 1024.0,
	       100 * bandwidth_fraction(r, o), 100 * fraction(r->cqe.busy_cycles, r->cqe.cycles),
	       100 * fraction(r->cqe.dma_stall_cycles, r->cqe.cycles),
	       r->wall_s > 0 ? r->sim_cycles / r->wall_s : 0, r->wall_s,
	       r->correct ? "ok" : "WRONG");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct options o;
	struct result res[MAX_SHAPES];
	struct qsim_host h;
	struct qsim_host_config cfg = { .mem_size = BENCH_MEM_SIZE };
	unsigned int done = 0, wrong = 0, page_seed;
	int ret;

	if (parse_options(&o, argc, argv))
		return 2;
	page_seed = o.seed;
	cfg.seed = &page_seed;
	cfg.mem_latency = o.latency;
	cfg.mem_bytes_per_cycle = o.bytes_per_cycle;
	ret = qsim_host_open(&h, &cfg);
	if (ret) {
		fprintf(stderr, "cannot create the device: %s\n", strerror(-ret));
		return 1;
	}
	print_table_header();
	for (unsigned int i = 0; i < o.nshapes; i++) {
		struct result *r = &res[done];

		memset(r, 0, sizeof(*r));
		r->s = o.shapes[i];
		fprintf(stderr, "%ux%u: %ux%ux%u ...\n", qsim_rows(), qsim_cols(), r->s.m,
			r->s.n, r->s.k);
		ret = run_one(&h, &o, r);
		if (ret) {
			fprintf(stderr, "%ux%ux%u: failed: %s\n", r->s.m, r->s.n, r->s.k,
				strerror(-ret));
			wrong++;
			continue;
		}
		print_table_row(r, &o);
		wrong += !r->correct;
		done++;
	}
	qsim_host_close(&h);
	if (o.json) {
		ret = write_json(&o, res, done);
		if (ret) {
			fprintf(stderr, "%s: %s\n", o.json, strerror(-ret));
			return 1;
		}
	}
	if (wrong)
		fprintf(stderr, "%u run(s) failed or gave a wrong result\n", wrong);
	return wrong ? 1 : 0;
}
