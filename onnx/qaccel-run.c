// SPDX-License-Identifier: MIT
/*
 * qaccel-run: run an ONNX model on the qaccel accelerator (man/qaccel-run.1).
 *
 *   qaccel-run MODEL.onnx [--input [NAME=]FILE]... [--output-dir DIR]
 *              [--compare DIR] [--bench] [--json FILE] [--device PATH]
 *
 * Exit status: 0 success, 1 a compared output differs, 2 usage or I/O
 * error, 3 the model was rejected, 4 the run failed.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "qaccel_onnx.h"

#define MAX_INPUTS 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qaccel-run MODEL.onnx [--input [NAME=]FILE]... [--output-dir DIR]\n"
		"                  [--compare DIR] [--bench] [--json FILE] [--device PATH]\n"
		"\n"
		"Run an int8 ONNX model on the qaccel accelerator.  Inputs and outputs are\n"
		"ONNX TensorProto files (.pb, the format of ONNX's test data).\n"
		"\n"
		"  --input [NAME=]FILE  the graph input NAME (default: the name stored in\n"
		"                       FILE, else the next input in graph order)\n"
		"  --output-dir DIR     write each output as DIR/<output name>.pb\n"
		"  --compare DIR        compare every output byte with DIR/<output name>.pb\n"
		"                       (or DIR/output_<i>.pb); exit 1 on any difference\n"
		"  --bench              print per-node device cycles, MAC utilization, host time\n"
		"  --json FILE          write the per-node figures and comparisons as JSON\n"
		"  --device PATH        the render node (default: the first qaccel device)\n"
		"  --check              only load and validate the model (no device needed)\n"
		"  --help               this text\n"
		"\n"
		"Exit status: 0 success, 1 an output differs, 2 usage or I/O error,\n"
		"3 the model was rejected, 4 the run failed.\n");
}

static int read_file(const char *path, void **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	int ret = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) || st.st_size < 0) {
		fclose(f);
		return -EIO;
	}
	*len = (size_t)st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf)
		ret = -ENOMEM;
	else if (fread(*buf, 1, *len, f) != *len)
		ret = -EIO;
	fclose(f);
	if (ret)
		free(*buf);
	return ret;
}

static int load_tensor(const char *path, struct qaccel_onnx_tensor *t)
{
	void *buf = NULL;
	size_t len = 0;
	int ret = read_file(path, &buf, &len);

	if (ret) {
		fprintf(stderr, "qaccel-run: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	ret = qaccel_onnx_tensor_parse(buf, len, t);
	free(buf);
	if (ret)
		fprintf(stderr, "qaccel-run: %s: %s\n", path, qaccel_onnx_error());
	return ret;
}

static int write_output(const char *dir, const struct qaccel_onnx_tensor *t)
{
	char path[4096];
	void *buf;
	size_t len;
	FILE *f;
	int ret;

	if (strchr(t->name, '/') || !strcmp(t->name, ".") || !strcmp(t->name, "..")) {
		fprintf(stderr, "qaccel-run: output '%s' cannot be a file name\n", t->name);
		return -EINVAL;
	}
	ret = qaccel_onnx_tensor_serialize(t, &buf, &len);
	if (ret) {
		fprintf(stderr, "qaccel-run: %s\n", qaccel_onnx_error());
		return ret;
	}
	snprintf(path, sizeof(path), "%s/%s.pb", dir, t->name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "qaccel-run: %s: %s\n", path, strerror(errno));
		free(buf);
		return -EIO;
	}
	free(buf);
	return 0;
}

static void print_elem(char *out, size_t len, int32_t dtype, const void *data, size_t i)
{
	switch (dtype) {
	case QACCEL_ONNX_FLOAT:
		snprintf(out, len, "%.9g", (double)((const float *)data)[i]);
		break;
	case QACCEL_ONNX_UINT8:
		snprintf(out, len, "%u", ((const uint8_t *)data)[i]);
		break;
	case QACCEL_ONNX_INT8:
		snprintf(out, len, "%d", ((const int8_t *)data)[i]);
		break;
	case QACCEL_ONNX_INT32:
		snprintf(out, len, "%d", ((const int32_t *)data)[i]);
		break;
	default:
		snprintf(out, len, "%lld", (long long)((const int64_t *)data)[i]);
		break;
	}
}

/* 0 equal, 1 different (said on stderr), < 0 the expected file is unusable. */
static int compare_output(const char *dir, unsigned int idx,
			  const struct qaccel_onnx_tensor *got, json_t *jout)
{
	struct qaccel_onnx_tensor want;
	size_t es = qaccel_onnx_dtype_size(got->dtype);
	char path[4096], a[64], b[64];
	struct stat st;
	int ret;

	snprintf(path, sizeof(path), "%s/%s.pb", dir, got->name);
	if (stat(path, &st))
		snprintf(path, sizeof(path), "%s/output_%u.pb", dir, idx);
	ret = load_tensor(path, &want);
	if (ret)
		return ret;
	if (want.dtype != got->dtype || want.rank != got->rank ||
	    memcmp(want.dims, got->dims, got->rank * sizeof(got->dims[0]))) {
		fprintf(stderr, "qaccel-run: output '%s' differs from %s in type or shape\n",
			got->name, path);
		json_object_set_new(jout, "match", json_false());
		qaccel_onnx_tensor_release(&want);
		return 1;
	}
	for (size_t i = 0; i < got->count; i++) {
		if (!memcmp((const char *)got->data + i * es, (const char *)want.data + i * es, es))
			continue;
		print_elem(a, sizeof(a), got->dtype, got->data, i);
		print_elem(b, sizeof(b), got->dtype, want.data, i);
		fprintf(stderr,
			"qaccel-run: output '%s' differs from %s at element %zu: %s, expected %s\n",
			got->name, path, i, a, b);
		json_object_set_new(jout, "match", json_false());
		json_object_set_new(jout, "first_difference", json_integer((json_int_t)i));
		qaccel_onnx_tensor_release(&want);
		return 1;
	}
	json_object_set_new(jout, "match", json_true());
	qaccel_onnx_tensor_release(&want);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "output-dir", required_argument, NULL, 'o' },
		{ "compare", required_argument, NULL, 'c' },
		{ "bench", no_argument, NULL, 'b' },
		{ "json", required_argument, NULL, 'j' },
		{ "device", required_argument, NULL, 'd' },
		{ "check", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *inputs[MAX_INPUTS], *out_dir = NULL, *cmp_dir = NULL, *json_path = NULL;
	const char *dev_path = NULL;
	unsigned int n_inputs = 0, next_input = 0, differ = 0;
	struct qaccel_onnx_model *model = NULL;
	struct qaccel_dev *dev = NULL;
	struct qaccel_caps caps = { 0 };
	bool bench = false, check_only = false;
	json_t *root, *jnodes, *jouts;
	int opt, ret, status = 0;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'i':
			if (n_inputs == MAX_INPUTS) {
				fprintf(stderr, "qaccel-run: more than %d inputs\n", MAX_INPUTS);
				return 2;
			}
			inputs[n_inputs++] = optarg;
			break;
		case 'o':
			out_dir = optarg;
			break;
		case 'c':
			cmp_dir = optarg;
			break;
		case 'b':
			bench = true;
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'd':
			dev_path = optarg;
			break;
		case 'k':
			check_only = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	if (!check_only) {
		ret = qaccel_open(dev_path, 0, &dev);
		if (ret) {
			fprintf(stderr, "qaccel-run: opening the device: %s\n", qaccel_strerror(ret));
			return 2;
		}
		qaccel_get_caps(dev, &caps);
	}
	ret = qaccel_onnx_load_file(dev, argv[optind], &model);
	if (ret) {
		fprintf(stderr, "qaccel-run: %s: %s\n", argv[optind], qaccel_onnx_error());
		qaccel_close(dev);
		return 3;
	}
	if (check_only) {
		printf("%s: valid: %u inputs, %u nodes, %u outputs\n", argv[optind],
		       qaccel_onnx_input_count(model), qaccel_onnx_node_count(model),
		       qaccel_onnx_output_count(model));
		qaccel_onnx_free(model);
		return 0;
	}

	for (unsigned int i = 0; i < n_inputs; i++) {
		struct qaccel_onnx_tensor t;
		const char *eq = strchr(inputs[i], '=');
		const char *file = eq ? eq + 1 : inputs[i];

		if (load_tensor(file, &t)) {
			status = 2;
			goto out;
		}
		if (eq) {
			snprintf(t.name, sizeof(t.name), "%.*s", (int)(eq - inputs[i]), inputs[i]);
		} else if (!t.name[0]) {
			struct qaccel_onnx_tensor info;

			if (qaccel_onnx_input_info(model, next_input++, &info)) {
				fprintf(stderr, "qaccel-run: %s: the model has no more inputs\n", file);
				qaccel_onnx_tensor_release(&t);
				status = 2;
				goto out;
			}
			memcpy(t.name, info.name, sizeof(t.name));
		}
		ret = qaccel_onnx_set_input(model, &t);
		qaccel_onnx_tensor_release(&t);
		if (ret) {
			fprintf(stderr, "qaccel-run: %s: %s\n", file, qaccel_onnx_error());
			status = 2;
			goto out;
		}
	}
	ret = qaccel_onnx_run(model);
	if (ret) {
		fprintf(stderr, "qaccel-run: run: %s\n", qaccel_onnx_error());
		status = 4;
		goto out;
	}

	root = json_object();
	jnodes = json_array();
	jouts = json_array();
	json_object_set_new(root, "model", json_string(argv[optind]));
	json_object_set_new(root, "array", json_sprintf("%ux%u", caps.rows, caps.cols));
	json_object_set_new(root, "functional",
			    json_boolean(caps.caps & QACCEL_CAP_FUNCTIONAL));
	json_object_set_new(root, "nodes", jnodes);
	json_object_set_new(root, "outputs", jouts);
	if (bench)
		printf("%-24s %-14s %12s %12s %8s %10s %10s\n", "node", "op", "cycles", "macs",
		       "mac_util", "host_us", "im2col_us");
	for (unsigned int i = 0; i < qaccel_onnx_node_count(model); i++) {
		struct qaccel_onnx_node_stats s;
		double util = 0;

		qaccel_onnx_node_stats(model, i, &s);
		if (s.device_cycles && caps.rows)
			util = (double)s.macs / ((double)s.device_cycles * caps.rows * caps.cols);
		json_array_append_new(jnodes, json_pack("{s:s, s:s, s:b, s:I, s:I, s:f, s:f, s:f}",
			"name", s.name, "op", s.op, "on_device", s.on_device,
			"device_cycles", (json_int_t)s.device_cycles, "macs", (json_int_t)s.macs,
			"mac_utilization", util, "host_us", s.host_ns / 1e3,
			"im2col_us", s.im2col_ns / 1e3));
		if (bench)
			printf("%-24s %-14s %12llu %12llu %7.1f%% %10.1f %10.1f\n",
			       s.name[0] ? s.name : "-", s.op,
			       (unsigned long long)s.device_cycles, (unsigned long long)s.macs,
			       100 * util, s.host_ns / 1e3, s.im2col_ns / 1e3);
	}
	for (unsigned int i = 0; i < qaccel_onnx_output_count(model); i++) {
		struct qaccel_onnx_tensor t;
		json_t *jo = json_pack("{s:s}", "name", "");

		qaccel_onnx_output(model, i, &t);
		json_object_set_new(jo, "name", json_string(t.name));
		json_array_append_new(jouts, jo);
		if (out_dir && write_output(out_dir, &t)) {
			status = 2;
			continue;
		}
		if (cmp_dir) {
			ret = compare_output(cmp_dir, i, &t, jo);
			if (ret < 0)
				status = 2;
			else if (ret && !status)
				status = 1;
			differ += ret > 0;
		}
	}
	if (cmp_dir && !status)
		printf("qaccel-run: %u outputs equal to %s\n", qaccel_onnx_output_count(model),
		       cmp_dir);
	(void)differ;
	if (json_path && json_dump_file(root, json_path, JSON_INDENT(2))) {
		fprintf(stderr, "qaccel-run: cannot write %s\n", json_path);
		status = 2;
	}
	json_decref(root);
out:
	qaccel_onnx_free(model);
	qaccel_close(dev);
	return status;
}
