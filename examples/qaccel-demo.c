// SPDX-License-Identifier: MIT
/*
 * qaccel-demo: one int8 GEMM on the accelerator, checked against the CPU
 * reference, with the device's cycle count and MAC utilization.
 *
 *   qaccel-demo [--m M] [--n N] [--k K] [--seed S] [--ioctl] [--device PATH]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qaccel.h"
#include "qaccel_prng.h"

struct opts {
	uint32_t m, n, k;
	uint64_t seed;
	unsigned int open_flags;
	const char *device;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qaccel-demo [options]\n"
		"Run an int8 GEMM C = A x B^T (+ bias, requantized to int8) on the\n"
		"qaccel accelerator and check it against the CPU reference.\n\n"
		"  --m M          rows of A and C (default 256)\n"
		"  --n N          rows of B, columns of C (default 256)\n"
		"  --k K          columns of A and B (default 256)\n"
		"  --seed S       operand seed (default 1)\n"
		"  --ioctl        submit by ioctl instead of io_uring\n"
		"  --device PATH  render node (default: the first qaccel device)\n"
		"  --help         this text\n");
}

static int parse_dim(const char *arg, const char *name, uint32_t *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || *end || v < 1 || v > 65535) {
		fprintf(stderr, "qaccel-demo: --%s must be 1..65535, not '%s'\n",
			name, arg);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "m", required_argument, NULL, 'm' },
		{ "n", required_argument, NULL, 'n' },
		{ "k", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "ioctl", no_argument, NULL, 'i' },
		{ "device", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .m = 256, .n = 256, .k = 256, .seed = 1 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			if (parse_dim(optarg, "m", &o->m))
				return -1;
			break;
		case 'n':
			if (parse_dim(optarg, "n", &o->n))
				return -1;
			break;
		case 'k':
			if (parse_dim(optarg, "k", &o->k))
				return -1;
			break;
		case 's':
			o->seed = strtoull(optarg, NULL, 0);
			break;
		case 'i':
			o->open_flags |= QACCEL_OPEN_IOCTL;
			break;
		case 'd':
			o->device = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "qaccel-demo: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

static void print_caps(const struct qaccel_caps *caps)
{
	static const char *const names[] = {
		"int32-out", "requant", "per-channel", "bias", "uint8-in",
	};

	printf("  driver       %s %d.%d.%d\n", caps->driver, caps->driver_major,
	       caps->driver_minor, caps->driver_patch);
	printf("  hardware     v%u.%u, %ux%u systolic array\n",
	       caps->hw_version >> 16, caps->hw_version & 0xffff,
	       caps->rows, caps->cols);
	printf("  limits       M, N, K <= %u; %u jobs in the device ring\n",
	       caps->max_dim, caps->queue_depth);
	printf("  features    ");
	for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (caps->caps & (1u << i))
			printf(" %s", names[i]);
	printf("\n");
}

struct bufs {
	struct qaccel_buf *a, *b, *c, *bias;
	void *pa, *pb, *pc, *pbias;
};

static int alloc_map(struct qaccel_dev *dev, size_t size,
		     struct qaccel_buf **buf, void **ptr)
{
	int ret = qaccel_buf_alloc(dev, size, buf);

	if (ret)
		return ret;
	return qaccel_buf_map(*buf, ptr);
}

/* Compare with the reference; 0 and the byte count, or the first mismatch. */
static int check(const struct qaccel_gemm_params *p, const struct bufs *b)
{
	size_t bytes = (size_t)p->m * p->n;
	int8_t *want = malloc(bytes);
	int ret;

	if (!want) {
		fprintf(stderr, "qaccel-demo: out of memory for the reference\n");
		return -1;
	}
	ret = qaccel_ref_gemm(p, b->pa, b->pb, b->pbias, NULL, want);
	if (ret) {
		fprintf(stderr, "qaccel-demo: reference: %s\n", qaccel_strerror(ret));
		free(want);
		return -1;
	}
	for (uint32_t i = 0; i < p->m; i++) {
		const int8_t *got = (const int8_t *)b->pc + (size_t)i * p->ldc;

		for (uint32_t j = 0; j < p->n; j++) {
			if (got[j] != want[(size_t)i * p->n + j]) {
				printf("result: MISMATCH at C[%u][%u]: device %d, "
				       "CPU reference %d\n", i, j, got[j],
				       want[(size_t)i * p->n + j]);
				free(want);
				return 1;
			}
		}
	}
	printf("result: matches CPU reference (%zu bytes)\n", bytes);
	free(want);
	return 0;
}

static int run(struct qaccel_dev *dev, const struct opts *o)
{
	struct qaccel_caps caps;
	struct qaccel_completion done;
	struct qaccel_gemm g = { 0 };
	struct qaccel_gemm_params *p = &g.params;
	struct bufs b = { 0 };
	uint64_t rng = prng_seed(o->seed);
	uint64_t macs;
	int ret;

	qaccel_get_caps(dev, &caps);
	printf("qaccel device\n");
	print_caps(&caps);

	*p = (struct qaccel_gemm_params){
		.m = o->m, .n = o->n, .k = o->k,
		.lda = o->k, .ldb = o->k, .ldc = o->n,
		.flags = QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,
		.a_zero_point = 3, .b_zero_point = 0, .c_zero_point = -2,
		.clamp_min = -128, .clamp_max = 127,
		/* about 0.7 / 1024: keeps most outputs of a K = 256 sum in range */
		.out_multiplier = 1518500250, .out_shift = -10,
	};
	if ((ret = alloc_map(dev, (size_t)o->m * o->k, &b.a, &b.pa)) ||
	    (ret = alloc_map(dev, (size_t)o->n * o->k, &b.b, &b.pb)) ||
	    (ret = alloc_map(dev, (size_t)o->m * o->n, &b.c, &b.pc)) ||
	    (ret = alloc_map(dev, (size_t)o->n * 4, &b.bias, &b.pbias))) {
		fprintf(stderr, "qaccel-demo: buffers: %s\n", qaccel_strerror(ret));
		return 1;
	}
	prng_fill(b.pa, (size_t)o->m * o->k, &rng);
	prng_fill(b.pb, (size_t)o->n * o->k, &rng);
	for (uint32_t j = 0; j < o->n; j++)
		((int32_t *)b.pbias)[j] = (int32_t)(prng_next(&rng) % 20001) - 10000;
	memset(b.pc, 0x55, (size_t)o->m * o->n);
	g.a.buf = b.a;
	g.b.buf = b.b;
	g.c.buf = b.c;
	g.bias.buf = b.bias;

	printf("\nGEMM %u x %u x %u, int8 in, int32 bias, int8 out (seed %" PRIu64 ")"
	       " via %s\n", o->m, o->n, o->k, o->seed,
	       qaccel_get_path(dev) == QACCEL_PATH_URING ? "io_uring" : "ioctl");
	ret = qaccel_gemm_run(dev, &g, &done);
	if (ret) {
		fprintf(stderr, "qaccel-demo: job failed: %s (%d)\n",
			qaccel_strerror(ret), ret);
		return 1;
	}
	ret = check(p, &b);
	macs = (uint64_t)o->m * o->n * o->k;
	printf("  device cycles     %" PRIu64 "\n", done.cycles);
	printf("  MACs              %" PRIu64 "\n", macs);
	if (done.cycles)
		printf("  MAC utilization   %.1f%% (MACs / (cycles x %u x %u))\n",
		       100.0 * (double)macs /
		       ((double)done.cycles * caps.rows * caps.cols),
		       caps.rows, caps.cols);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct qaccel_dev *dev;
	struct opts o;
	int ret;

	if (parse_args(argc, argv, &o))
		return 2;
	ret = qaccel_open(o.device, o.open_flags, &dev);
	if (ret) {
		fprintf(stderr, "qaccel-demo: cannot open %s: %s\n",
			o.device ? o.device : "a qaccel device", qaccel_strerror(ret));
		return 1;
	}
	ret = run(dev, &o);
	qaccel_close(dev);
	return ret;
}
