// SPDX-License-Identifier: MIT
/*
 * fashion-onnx-infer: an int8 ONNX model of Fashion-MNIST on the qaccel
 * accelerator through qaccel_onnx (run in the guest): every test image, in
 * the model's fixed batch, every output byte compared with ONNX Runtime's
 * (computed on the host by fashion-ort.js), accuracy, per-node device cycles
 * and MAC utilization, a report on the terminal and in JSON.
 *
 *   fashion-onnx-infer --model M.onnx --expect ORT.out [--model-dir DIR]
 *                      [--images N] [--float-pred FILE] [--report FILE]
 *                      [--clock-mhz F] [--skip-unsupported]
 *
 * The model takes one image batch, float (pixel / 255) or uint8 (the pixel
 * bytes), of shape [B, ...] with 784 elements per image, and gives one
 * [B, 10] output, float or uint8; the class is its first maximum.
 * --skip-unsupported: a model the runtime refuses at load (-EOPNOTSUPP) is
 * reported as skipped, with the runtime's reason, and the exit status is 0.
 * Exit status: 0 every compared byte equal (or skipped), 1 a difference,
 * 2 usage or I/O error, 3 the model was refused, 4 the run failed.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "qaccel.h"
#include "qaccel_onnx.h"
#include "fashion_data.h"

struct opts {
	const char *model, *expect, *dir, *float_pred, *report;
	uint32_t images;
	double clock_mhz;
	int skip_unsupported;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: fashion-onnx-infer --model M.onnx --expect ORT.out [options]\n"
		"Classify Fashion-MNIST test images with an int8 ONNX model on the qaccel\n"
		"accelerator, every output byte compared with ONNX Runtime's.\n\n"
		"  --model FILE        the ONNX model (fixed batch B, 784 values per image)\n"
		"  --expect FILE       ONNX Runtime's outputs for the test images, back to back\n"
		"  --model-dir DIR     the uncompressed test set (default build/fashion)\n"
		"  --images N          first N test images (default 10000)\n"
		"  --float-pred FILE   the float model's class per image, for its accuracy\n"
		"  --report FILE       JSON report (default: none)\n"
		"  --clock-mhz F       modeled device clock (default 1000)\n"
		"  --skip-unsupported  a model the runtime refuses is skipped, not an error\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "model", required_argument, NULL, 'm' },
		{ "expect", required_argument, NULL, 'e' },
		{ "model-dir", required_argument, NULL, 'd' },
		{ "images", required_argument, NULL, 'n' },
		{ "float-pred", required_argument, NULL, 'f' },
		{ "report", required_argument, NULL, 'r' },
		{ "clock-mhz", required_argument, NULL, 'c' },
		{ "skip-unsupported", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*o = (struct opts){ .dir = "build/fashion", .images = 10000, .clock_mhz = 1000 };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o->model = optarg;
			break;
		case 'e':
			o->expect = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'n':
			o->images = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'f':
			o->float_pred = optarg;
			break;
		case 'r':
			o->report = optarg;
			break;
		case 'c':
			o->clock_mhz = strtod(optarg, NULL);
			break;
		case 's':
			o->skip_unsupported = 1;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc || !o->model || !o->expect || !o->images || !(o->clock_mhz > 0)) {
		usage(stderr);
		return -1;
	}
	return 0;
}

/* First maximum of row r of an output of n classes. */
static uint32_t out_class(const struct qaccel_onnx_tensor *t, const void *data, size_t r,
			  uint32_t n)
{
	uint32_t best = 0;

	for (uint32_t j = 1; j < n; j++) {
		size_t a = r * n + j, b = r * n + best;

		if (t->dtype == QACCEL_ONNX_FLOAT ? ((const float *)data)[a] > ((const float *)data)[b] :
		    ((const uint8_t *)data)[a] > ((const uint8_t *)data)[b])
			best = j;
	}
	return best;
}

static int write_report(const struct opts *o, json_t *rep)
{
	int ret = 0;

	if (!rep || json_dump_file(rep, o->report, JSON_INDENT(2) | JSON_REAL_PRECISION(10))) {
		fprintf(stderr, "fashion-onnx-infer: cannot write %s\n", o->report);
		ret = -EIO;
	}
	json_decref(rep);
	return ret;
}

int main(int argc, char **argv)
{
	struct qaccel_onnx_tensor in, out, info;
	struct qaccel_onnx_model *model = NULL;
	struct qaccel_dev *dev;
	struct qaccel_caps caps;
	struct fashion_set te;
	struct opts o;
	uint8_t *expect = NULL, *fpred = NULL;
	size_t expect_len, per_image, out_row, es;
	uint32_t batch, classes, correct = 0, fcorrect = 0, bad_images = 0;
	uint64_t bad_bytes = 0, cycles = 0, macs = 0, jobs_runs = 0;
	double t0, wall;
	char array[24];
	json_t *nodes;
	int ret, status = 0;

	if (parse(argc, argv, &o))
		return 2;
	ret = fashion_load_test(o.dir, &te);
	if (ret) {
		fprintf(stderr, "fashion-onnx-infer: the test set in %s: %s\n", o.dir, strerror(-ret));
		return 2;
	}
	if (o.images > te.n)
		o.images = te.n;
	ret = qaccel_open(NULL, 0, &dev);
	if (ret) {
		fprintf(stderr, "fashion-onnx-infer: no qaccel device: %s\n", qaccel_strerror(ret));
		return 2;
	}
	qaccel_get_caps(dev, &caps);
	ret = qaccel_onnx_load_file(dev, o.model, &model);
	if (ret) {
		int skip = o.skip_unsupported && ret == -EOPNOTSUPP;

		printf("fashion-onnx-infer: %s: %s by the runtime: %s\n", o.model,
		       skip ? "SKIPPED, refused" : "refused", qaccel_onnx_error());
		if (skip && o.report)
			write_report(&o, json_pack("{s:s, s:b, s:s}", "model", o.model,
						   "skipped", 1, "reason", qaccel_onnx_error()));
		qaccel_close(dev);
		return skip ? 0 : 3;
	}
	qaccel_onnx_input_info(model, 0, &in);
	qaccel_onnx_output_info(model, 0, &out);
	es = qaccel_onnx_dtype_size(out.dtype);
	if (qaccel_onnx_input_count(model) != 1 || qaccel_onnx_output_count(model) != 1 ||
	    in.rank < 2 || in.count % in.dims[0] || in.count / in.dims[0] != FASHION_PIXELS ||
	    (in.dtype != QACCEL_ONNX_FLOAT && in.dtype != QACCEL_ONNX_UINT8) ||
	    out.rank != 2 || out.dims[0] != in.dims[0] ||
	    (out.dtype != QACCEL_ONNX_FLOAT && out.dtype != QACCEL_ONNX_UINT8)) {
		fprintf(stderr, "fashion-onnx-infer: %s: not one [B, 784-pixel] float/uint8 input "
			"and one [B, classes] float/uint8 output\n", o.model);
		return 2;
	}
	batch = (uint32_t)in.dims[0];
	classes = (uint32_t)out.dims[1];
	per_image = FASHION_PIXELS;
	out_row = es * classes;
	ret = fashion_read_file(o.expect, &expect, &expect_len);
	if (ret || expect_len < o.images * out_row) {
		fprintf(stderr, "fashion-onnx-infer: %s: %s\n", o.expect,
			ret ? strerror(-ret) : "fewer outputs than images");
		return 2;
	}
	if (o.float_pred) {
		size_t len;

		ret = fashion_read_file(o.float_pred, &fpred, &len);
		if (ret || len < o.images) {
			fprintf(stderr, "fashion-onnx-infer: %s: %s\n", o.float_pred,
				ret ? strerror(-ret) : "too short");
			return 2;
		}
		for (uint32_t i = 0; i < o.images; i++)
			fcorrect += fpred[i] == te.labels[i];
	}
	in.data = calloc(in.count, qaccel_onnx_dtype_size(in.dtype));
	if (!in.data)
		return 2;
	printf("fashion-onnx-infer: %s, %u test images in batches of %u, %ux%u array\n",
	       o.model, o.images, batch, caps.rows, caps.cols);

	t0 = now();
	for (uint32_t first = 0; first < o.images; first += batch) {
		uint32_t rows = o.images - first < batch ? o.images - first : batch;
		const uint8_t *px = te.images + (size_t)first * per_image;

		/* A short last batch is padded with zeros; its extra rows are not looked at. */
		memset(in.data, 0, in.count * qaccel_onnx_dtype_size(in.dtype));
		if (in.dtype == QACCEL_ONNX_UINT8)
			memcpy(in.data, px, (size_t)rows * per_image);
		else
			for (size_t i = 0; i < (size_t)rows * per_image; i++)
				((float *)in.data)[i] = px[i] / 255.0f;
		ret = qaccel_onnx_set_input(model, &in);
		if (!ret)
			ret = qaccel_onnx_run(model);
		if (ret) {
			fprintf(stderr, "fashion-onnx-infer: batch at image %u: %s\n", first,
				qaccel_onnx_error());
			status = 4;
			goto out;
		}
		qaccel_onnx_output(model, 0, &info);
		for (uint32_t r = 0; r < rows; r++) {
			const uint8_t *got = (const uint8_t *)info.data + r * out_row;
			const uint8_t *want = expect + (size_t)(first + r) * out_row;

			if (memcmp(got, want, out_row)) {
				bad_images++;
				for (size_t b = 0; b < out_row; b++)
					bad_bytes += got[b] != want[b];
			}
			correct += out_class(&info, info.data, r, classes) == te.labels[first + r];
		}
		/* Progress every tenth of the images. */
		if ((uint64_t)(first + rows) * 10 / o.images != (uint64_t)first * 10 / o.images)
			fprintf(stderr, "  %3u%% (%u/%u images, %.0f s)\n",
				(unsigned int)((uint64_t)(first + rows) * 100 / o.images), first + rows,
				o.images, now() - t0);
	}
	wall = now() - t0;

	nodes = json_array();
	printf("\n  %-22s %-14s %12s %12s %8s %10s\n", "node", "op", "cycles", "MACs",
	       "MAC util", "host ms");
	for (unsigned int i = 0; i < qaccel_onnx_node_count(model); i++) {
		struct qaccel_onnx_node_stats s;
		double util = 0;

		qaccel_onnx_node_stats(model, i, &s);
		if (s.device_cycles)
			util = (double)s.macs / ((double)s.device_cycles * caps.rows * caps.cols);
		cycles += s.device_cycles;
		macs += s.macs;
		jobs_runs += s.runs;
		printf("  %-22s %-14s %12" PRIu64 " %12" PRIu64 " %7.1f%% %10.1f\n",
		       s.name[0] ? s.name : "-", s.op, s.device_cycles, s.macs, 100 * util,
		       s.host_ns / 1e6);
		json_array_append_new(nodes, json_pack("{s:s, s:s, s:b, s:I, s:I, s:f, s:f}",
			"name", s.name, "op", s.op, "on_device", s.on_device,
			"device_cycles", (json_int_t)s.device_cycles, "macs", (json_int_t)s.macs,
			"mac_utilization", util, "host_ms", s.host_ns / 1e6));
	}
	printf("  %-22s %-14s %12" PRIu64 " %12" PRIu64 " %7.1f%%\n", "all", "", cycles, macs,
	       cycles ? 100.0 * macs / ((double)cycles * caps.rows * caps.cols) : 0.0);
	printf("\n  %-34s %u\n", "test images", o.images);
	if (fpred)
		printf("  %-34s %.2f%%\n", "float accuracy (host, fp32)", 100.0 * fcorrect / o.images);
	printf("  %-34s %.2f%%\n", "int8 accuracy (accelerator)", 100.0 * correct / o.images);
	printf("  %-34s %u images, %" PRIu64 " bytes differ%s\n", "against ONNX Runtime",
	       bad_images, bad_bytes, bad_images ? ": MISMATCH" : " (every output byte equal)");
	printf("  %-34s %.3f ms at %.0f MHz (%.0f images/s)\n", "modeled device time",
	       cycles / (o.clock_mhz * 1e3), o.clock_mhz, o.images / (cycles / (o.clock_mhz * 1e6)));
	printf("  %-34s %.1f s\n", "wall time (guest)", wall);
	snprintf(array, sizeof(array), "%ux%u", caps.rows, caps.cols);
	if (o.report)
		write_report(&o, json_pack("{s:s, s:b, s:I, s:I, s:s, s:o, s:f, s:I, s:I, s:I, s:I, s:I,"
					   " s:f, s:f, s:o}",
			"model", o.model, "skipped", 0, "images", (json_int_t)o.images,
			"batch", (json_int_t)batch, "array", array,
			"float_accuracy", fpred ? json_real(100.0 * fcorrect / o.images) : json_null(),
			"int8_accuracy", 100.0 * correct / o.images,
			"images_differing", (json_int_t)bad_images,
			"bytes_differing", (json_int_t)bad_bytes,
			"device_cycles", (json_int_t)cycles, "macs", (json_int_t)macs,
			"node_runs", (json_int_t)jobs_runs,
			"utilization", cycles ? macs / ((double)cycles * caps.rows * caps.cols) : 0.0,
			"wall_seconds", wall, "nodes", nodes));
	else
		json_decref(nodes);
	status = bad_images ? 1 : 0;
out:
	free(in.data);
	free(expect);
	free(fpred);
	qaccel_onnx_free(model);
	qaccel_close(dev);
	fashion_set_free(&te);
	return status;
}
