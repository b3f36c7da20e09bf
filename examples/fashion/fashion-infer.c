// SPDX-License-Identifier: MIT
/*
 * fashion-infer: the int8 Fashion-MNIST MLP on the qaccel accelerator (run
 * in the guest), checked bit for bit against the CPU reference, with a
 * report on the terminal and in JSON.
 *
 *   fashion-infer [--model-dir DIR] [--images N] [--batch B] [--report FILE]
 *                 [--clock-mhz F] [--no-reference]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "qaccel.h"
#include "fashion_data.h"
#include "fashion_net.h"

struct opts {
	const char *dir, *report;
	uint32_t images, batch;
	double clock_mhz;
	int reference;
};

struct progress {
	int tty;
	int last;	/* last percentage or bar width printed */
	double t0;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void show_progress(void *ctx, uint64_t done, uint64_t total)
{
	struct progress *p = ctx;
	int pct = (int)(100 * done / total);

	if (p->tty) {
		enum { W = 40 };
		int fill = (int)(W * done / total);
		char bar[W + 1];

		if (fill == p->last && done != total)
			return;
		memset(bar, '#', fill);
		memset(bar + fill, '.', W - fill);
		bar[W] = 0;
		fprintf(stderr, "\r  [%s] %3d%%  %" PRIu64 "/%" PRIu64 " jobs  %.0f s", bar,
			pct, done, total, now() - p->t0);
		if (done == total)
			fputc('\n', stderr);
		p->last = fill;
	} else if (pct / 10 != p->last / 10 || done == total) {
		fprintf(stderr, "  %3d%% (%" PRIu64 "/%" PRIu64 " jobs, %.0f s)\n", pct, done,
			total, now() - p->t0);
		p->last = pct;
	}
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fashion-infer [options]\n"
		"Classify Fashion-MNIST test images with the int8 MLP on the qaccel\n"
		"accelerator and compare with the CPU reference and the float model.\n\n"
		"  --model-dir DIR  model-int8.bin and the test set (default build/fashion)\n"
		"  --images N       first N test images (default 10000)\n"
		"  --batch B        images per GEMM (default 64)\n"
		"  --report FILE    JSON report (default build/run/report.json; - none)\n"
		"  --clock-mhz F    modeled device clock (default 1000)\n"
		"  --no-reference   skip the CPU reference\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "model-dir", required_argument, NULL, 'd' },
		{ "images", required_argument, NULL, 'n' },
		{ "batch", required_argument, NULL, 'b' },
		{ "report", required_argument, NULL, 'r' },
		{ "clock-mhz", required_argument, NULL, 'c' },
		{ "no-reference", no_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .dir = "build/fashion", .report = "build/run/report.json",
			    .images = 10000, .batch = 64, .clock_mhz = 1000, .reference = 1 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o->dir = optarg;
			break;
		case 'n':
			o->images = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			o->batch = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			o->report = optarg;
			break;
		case 'c':
			o->clock_mhz = strtod(optarg, NULL);
			break;
		case 'x':
			o->reference = 0;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || !o->images || !o->batch || o->batch > 65535 ||
	    !(o->clock_mhz > 0)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

static int load_float_pred(const char *dir, uint32_t n, uint8_t **pred)
{
	char path[4096];
	size_t len;
	int ret;

	snprintf(path, sizeof(path), "%s/%s", dir, FASHION_FLOAT_PRED);
	ret = fashion_read_file(path, pred, &len);
	if (!ret && len < n) {
		free(*pred);
		ret = -EINVAL;
	}
	if (ret)
		fprintf(stderr, "fashion-infer: %s: %s (run make run)\n", path,
			strerror(-ret));
	return ret;
}

int main(int argc, char **argv)
{
	struct fashion_qmodel m;
	struct fashion_set te;
	struct fashion_net net;
	struct qaccel_dev *dev;
	struct qaccel_caps caps;
	struct progress prog = { .tty = isatty(2), .last = -1 };
	struct opts o;
	uint8_t *fpred;
	char path[4096];
	uint32_t fcorrect = 0, qcorrect, rcorrect = 0;
	uint64_t mismatches = 0;
	double wall, t0, sim_s, fa, qa;
	int ret;

	if (parse(argc, argv, &o))
		return 2;
	snprintf(path, sizeof(path), "%s/model-int8.bin", o.dir);
	ret = fashion_qmodel_load(path, &m);
	if (ret) {
		fprintf(stderr, "fashion-infer: cannot load %s: %s (make run builds it)\n",
			path, strerror(-ret));
		return 1;
	}
	ret = fashion_load_test(o.dir, &te);
	if (ret) {
		fprintf(stderr, "fashion-infer: cannot load the test set from %s: %s\n",
			o.dir, strerror(-ret));
		return 1;
	}
	if (o.images > te.n)
		o.images = te.n;
	if (load_float_pred(o.dir, te.n, &fpred))
		return 1;
	for (uint32_t i = 0; i < o.images; i++)
		fcorrect += fpred[i] == te.labels[i];

	ret = qaccel_open(NULL, 0, &dev);
	if (ret) {
		fprintf(stderr, "fashion-infer: no qaccel device: %s\n", qaccel_strerror(ret));
		return 1;
	}
	qaccel_get_caps(dev, &caps);
	printf("fashion-infer: %u test images, batch %u, %ux%u array, %s\n", o.images,
	       o.batch, caps.rows, caps.cols,
	       o.reference ? "CPU reference alongside" : "no CPU reference");
	ret = fashion_net_init(&net, dev, &m, te.images, o.images, o.batch);
	if (ret) {
		fprintf(stderr, "fashion-infer: buffers: %s\n", qaccel_strerror(ret));
		return 1;
	}
	t0 = prog.t0 = now();
	ret = fashion_net_run(&net, o.reference, show_progress, &prog);
	wall = now() - t0;
	if (ret) {
		fprintf(stderr, "\nfashion-infer: inference failed: %s (%d)\n",
			qaccel_strerror(ret), ret);
		return 1;
	}
	qcorrect = fashion_net_correct(&net, 0, te.labels);
	if (o.reference) {
		rcorrect = fashion_net_correct(&net, 1, te.labels);
		mismatches = fashion_net_mismatches(&net);
	}

	fa = 100.0 * fcorrect / o.images;
	qa = 100.0 * qcorrect / o.images;
	sim_s = net.device_cycles / (o.clock_mhz * 1e6);
	printf("\n  %-34s %s\n", "", "result");
	printf("  %-34s %u\n", "test images", o.images);
	printf("  %-34s %.2f%%\n", "float accuracy (host, fp32)", fa);
	printf("  %-34s %.2f%% (%+.2f points)\n", "int8 accuracy (accelerator)", qa, qa - fa);
	if (o.reference)
		printf("  %-34s %.2f%%, %s\n", "int8 accuracy (CPU reference)",
		       100.0 * rcorrect / o.images,
		       mismatches ? "MISMATCH" : "bit-exact with the accelerator");
	printf("  %-34s %" PRIu64 " -> %" PRIu64 " bytes (%.1fx smaller)\n",
	       "model parameters fp32 -> int8", fashion_fp32_bytes(), fashion_int8_bytes(&m),
	       (double)fashion_fp32_bytes() / fashion_int8_bytes(&m));
	printf("  %-34s %" PRIu64 " in %" PRIu64 " jobs\n", "device cycles",
	       net.device_cycles, net.jobs);
	printf("  %-34s %.1f%% (%" PRIu64 " MACs / (cycles x %u))\n", "MAC utilization",
	       100.0 * net.macs / ((double)net.device_cycles * caps.rows * caps.cols),
	       net.macs, caps.rows * caps.cols);
	printf("  %-34s %.3f ms at %.0f MHz: %.0f images/s, %.2f GOPS\n",
	       "modeled device time", sim_s * 1e3, o.clock_mhz, o.images / sim_s,
	       2.0 * net.macs / sim_s * 1e-9);
	printf("  %-34s %.1f s (%.0f simulated cycles/s)\n", "wall time (guest)", wall,
	       net.device_cycles / wall);

	if (strcmp(o.report, "-")) {
		char array[24];
		json_t *rep;

		snprintf(array, sizeof(array), "%ux%u", caps.rows, caps.cols);
		/* Without --reference the reference's fields are null. */
		rep = json_pack("{s:I, s:I, s:s, s:f, s:f, s:o, s:o, s:I, s:I, s:I, s:I, s:I,"
				" s:f, s:f, s:f, s:f, s:f, s:f, s:f}",
				"images", (json_int_t)o.images, "batch", (json_int_t)o.batch,
				"array", array, "float_accuracy", fa, "int8_accuracy", qa,
				"reference_accuracy", o.reference ?
				json_real(100.0 * rcorrect / o.images) : json_null(),
				"reference_match", o.reference ? json_boolean(!mismatches) :
				json_null(),
				"fp32_model_bytes", (json_int_t)fashion_fp32_bytes(),
				"int8_model_bytes", (json_int_t)fashion_int8_bytes(&m),
				"device_cycles", (json_int_t)net.device_cycles,
				"jobs", (json_int_t)net.jobs, "macs", (json_int_t)net.macs,
				"utilization",
				net.macs / ((double)net.device_cycles * caps.rows * caps.cols),
				"clock_mhz", o.clock_mhz, "modeled_seconds", sim_s,
				"modeled_images_per_second", o.images / sim_s,
				"modeled_gops", 2.0 * net.macs / sim_s * 1e-9,
				"wall_seconds", wall,
				"simulated_cycles_per_wall_second", net.device_cycles / wall);
		if (!rep || json_dump_file(rep, o.report, JSON_INDENT(2) | JSON_REAL_PRECISION(17))) {
			fprintf(stderr, "fashion-infer: cannot write %s: %s\n", o.report,
				rep ? strerror(errno) : "out of memory");
			json_decref(rep);
			return 1;
		}
		json_decref(rep);
		printf("\nreport: %s\n", o.report);
	}
	fashion_net_fini(&net);
	qaccel_close(dev);
	fashion_qmodel_free(&m);
	fashion_set_free(&te);
	free(fpred);
	return o.reference && mismatches ? 1 : 0;
}
