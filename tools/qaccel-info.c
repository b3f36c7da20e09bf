// SPDX-License-Identifier: MIT
/*
 * qaccel-info: what a qaccel device is and what it is doing, like a tiny
 * nvidia-smi.  Everything comes through libqaccel's public API, so this is
 * also an example of it.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "qaccel.h"

static const struct {
	uint32_t bit;
	const char *name;
} cap_names[] = {
	{ QACCEL_CAP_GEMM_I32, "int32-out" },
	{ QACCEL_CAP_REQUANT, "requant" },
	{ QACCEL_CAP_PER_CHANNEL, "per-channel" },
	{ QACCEL_CAP_BIAS, "bias" },
	{ QACCEL_CAP_UINT8_IN, "uint8-in" },
	{ QACCEL_CAP_GEMV, "gemv" },
	{ QACCEL_CAP_FUNCTIONAL, "functional-model" },
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qaccel-info [options]\n"
		"\n"
		"Show each qaccel device: driver and hardware version, array size,\n"
		"capabilities, limits, queue depth, the device counters and the\n"
		"utilization they imply (busy cycles / cycles, MACs / (cycles x rows x cols)).\n"
		"\n"
		"options:\n"
		"  -d, --device PATH   only this render node\n"
		"  -i, --index N       only the N-th qaccel device (0 = first)\n"
		"  -j, --json          one JSON object: {\"devices\": [...]}\n"
		"  -w, --watch SECS    then print the first device's rates every SECS seconds\n"
		"                      (with --json: one JSON object per line)\n"
		"  -n, --count N       with --watch: stop after N samples (default: forever)\n"
		"  -h, --help          this text\n"
		"\n"
		"Exit status: 0, or 1 when no device could be opened.\n");
}

static double ratio(uint64_t num, uint64_t den)
{
	return den ? (double)num / (double)den : 0.0;
}

/* Fraction of the array's MAC slots used: MACs / (cycles x rows x cols). */
static double mac_util(const struct qaccel_caps *c, uint64_t macs, uint64_t cycles)
{
	return ratio(macs, cycles * (uint64_t)c->rows * c->cols);
}

static void print_text(int index, const char *path, const struct qaccel_caps *c,
		       const struct qaccel_counters *k, enum qaccel_path p)
{
	printf("qaccel %d: %s\n", index, path);
	printf("  driver         %s %d.%d.%d\n", c->driver, c->driver_major,
	       c->driver_minor, c->driver_patch);
	printf("  hardware       %u.%u\n", c->hw_version >> 16, c->hw_version & 0xffff);
	printf("  array          %ux%u (%u MACs/cycle)\n", c->rows, c->cols,
	       c->rows * c->cols);
	printf("  capabilities  ");
	for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if (c->caps & cap_names[i].bit)
			printf(" %s", cap_names[i].name);
	printf(" (0x%x)\n", c->caps);
	printf("  limits         M, N, K <= %u; buffers <= %llu bytes\n",
	       c->max_dim, (unsigned long long)c->max_bo_size);
	printf("  queue depth    %u jobs (library: %u outstanding per handle)\n",
	       c->queue_depth, QACCEL_MAX_INFLIGHT);
	printf("  submission     %s\n", p == QACCEL_PATH_URING ? "io_uring" : "ioctl");
	printf("  counters       %llu cycles, %llu busy, %llu MACs, %llu jobs\n",
	       (unsigned long long)k->cycles, (unsigned long long)k->busy_cycles,
	       (unsigned long long)k->macs, (unsigned long long)k->jobs);
	printf("  dma            %llu bytes read, %llu bytes written\n",
	       (unsigned long long)k->dma_read_bytes,
	       (unsigned long long)k->dma_write_bytes);
	printf("  utilization    busy %.1f%%, MAC %.1f%% (since reset)\n",
	       100.0 * ratio(k->busy_cycles, k->cycles),
	       100.0 * mac_util(c, k->macs, k->cycles));
}

/* o as one line on stdout; takes o.  Returns 1 when o is NULL (out of memory). */
static int print_json_line(json_t *o)
{
	int ret = !o || json_dumpf(o, stdout, JSON_REAL_PRECISION(17)) ? 1 : 0;

	json_decref(o);
	putchar('\n');
	fflush(stdout);
	return ret;
}

static json_t *device_json(int index, const char *path, const struct qaccel_caps *c,
			   const struct qaccel_counters *k, enum qaccel_path p)
{
	json_t *caps = json_array();
	char version[32], hw[16];

	for (size_t i = 0; caps && i < sizeof(cap_names) / sizeof(cap_names[0]); i++)
		if ((c->caps & cap_names[i].bit) &&
		    json_array_append_new(caps, json_string(cap_names[i].name))) {
			json_decref(caps);
			return NULL;
		}
	snprintf(version, sizeof(version), "%d.%d.%d", c->driver_major, c->driver_minor,
		 c->driver_patch);
	snprintf(hw, sizeof(hw), "%u.%u", c->hw_version >> 16, c->hw_version & 0xffff);
	return json_pack("{s:i, s:s, s:{s:s, s:s}, s:s, s:{s:I, s:I}, s:o, s:I,"
			 " s:{s:I, s:I, s:I}, s:I, s:s,"
			 " s:{s:I, s:I, s:I, s:I, s:I, s:I}, s:{s:f, s:f}}",
			 "index", index, "path", path,
			 "driver", "name", c->driver, "version", version,
			 "hw_version", hw,
			 "array", "rows", (json_int_t)c->rows, "cols", (json_int_t)c->cols,
			 "caps", caps, "caps_mask", (json_int_t)c->caps,
			 "limits", "max_dim", (json_int_t)c->max_dim,
			 "max_bo_size", (json_int_t)c->max_bo_size,
			 "max_inflight", (json_int_t)QACCEL_MAX_INFLIGHT,
			 "queue_depth", (json_int_t)c->queue_depth,
			 "submission", p == QACCEL_PATH_URING ? "uring" : "ioctl",
			 "counters", "cycles", (json_int_t)k->cycles,
			 "busy_cycles", (json_int_t)k->busy_cycles, "macs", (json_int_t)k->macs,
			 "dma_read_bytes", (json_int_t)k->dma_read_bytes,
			 "dma_write_bytes", (json_int_t)k->dma_write_bytes,
			 "jobs", (json_int_t)k->jobs,
			 "utilization", "busy", ratio(k->busy_cycles, k->cycles),
			 "mac", mac_util(c, k->macs, k->cycles));
}

/* Rates between two samples taken secs apart; nonzero if --json ran out of memory. */
static int print_rates(const struct qaccel_caps *c, const struct qaccel_counters *a,
			const struct qaccel_counters *b, double secs, bool json)
{
	uint64_t cyc = b->cycles - a->cycles;
	double busy = ratio(b->busy_cycles - a->busy_cycles, cyc);
	double mac = mac_util(c, b->macs - a->macs, cyc);
	double jobs = (double)(b->jobs - a->jobs) / secs;
	double mbs = (double)(b->dma_read_bytes - a->dma_read_bytes +
			      b->dma_write_bytes - a->dma_write_bytes) / secs / 1e6;

	if (json)
		return print_json_line(json_pack("{s:f, s:f, s:f, s:f, s:f, s:I}",
						 "interval_s", secs, "jobs_per_s", jobs,
						 "busy", busy, "mac", mac, "dma_mb_per_s", mbs,
						 "cycles", (json_int_t)cyc));
	printf("%8.1f jobs/s  busy %5.1f%%  MAC %5.1f%%  DMA %8.3f MB/s  %llu cycles\n",
	       jobs, 100 * busy, 100 * mac, mbs, (unsigned long long)cyc);
	fflush(stdout);
	return 0;
}

static int watch(struct qaccel_dev *dev, const struct qaccel_caps *c,
		 unsigned int secs, long count, bool json)
{
	struct qaccel_counters prev, now;
	int ret = qaccel_get_counters(dev, &prev);

	if (!json)
		printf("# every %u s\n", secs);
	for (long i = 0; !ret && (count < 0 || i < count); i++) {
		sleep(secs);
		ret = qaccel_get_counters(dev, &now);
		if (ret)
			break;
		if (print_rates(c, &prev, &now, secs, json))
			ret = -ENOMEM;
		prev = now;
	}
	if (ret)
		fprintf(stderr, "qaccel-info: counters: %s\n", qaccel_strerror(ret));
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "index", required_argument, NULL, 'i' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = NULL;
	long index = -1, count = -1, secs = 0;
	bool json = false;
	int opt, first, last, shown = 0, status = 0;
	json_t *devices = NULL;

	while ((opt = getopt_long(argc, argv, "d:i:jw:n:h", opts, NULL)) != -1) {
		char *end = NULL;

		switch (opt) {
		case 'd': path = optarg; break;
		case 'i': index = strtol(optarg, &end, 10); break;
		case 'j': json = true; break;
		case 'w': secs = strtol(optarg, &end, 10); break;
		case 'n': count = strtol(optarg, &end, 10); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (end && (*end || end == optarg || (opt == 'w' && secs < 1) ||
			    (opt != 'w' && strtol(optarg, NULL, 10) < 0))) {
			fprintf(stderr, "qaccel-info: bad number '%s'\n", optarg);
			return 2;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return 2;
	}

	if (path) {
		first = last = 0;
	} else if (index >= 0) {
		first = last = (int)index;
	} else {
		first = 0;
		last = qaccel_device_count() - 1;
		if (last < 0) {
			/* Let the open below report why (no device, permissions). */
			last = 0;
		}
	}
	/* --json: one object {"devices": [...]} (with --watch, then one line per interval). */
	if (json) {
		devices = json_array();
		if (!devices) {
			fprintf(stderr, "qaccel-info: out of memory\n");
			return 1;
		}
	}
	for (int i = first; i <= last; i++) {
		struct qaccel_dev *dev;
		struct qaccel_caps caps;
		struct qaccel_counters cnt;
		int ret = path ? qaccel_open(path, 0, &dev) : qaccel_open_index((unsigned int)i, 0, &dev);

		if (!ret)
			ret = qaccel_get_caps(dev, &caps);
		if (!ret)
			ret = qaccel_get_counters(dev, &cnt);
		if (ret) {
			fprintf(stderr, "qaccel-info: %s: %s\n", path ? path : "device",
				qaccel_strerror(ret));
			status = 1;
			qaccel_close(dev);	/* NULL when the open failed */
			continue;
		}
		if (json) {
			if (json_array_append_new(devices, device_json(i, qaccel_dev_path(dev), &caps,
								       &cnt, qaccel_get_path(dev))))
				status = 1;
		} else {
			print_text(i, qaccel_dev_path(dev), &caps, &cnt, qaccel_get_path(dev));
		}
		shown++;
		/* --watch follows the first device shown (pick it with -d / -i). */
		if (secs && shown == 1) {
			if (json && print_json_line(json_pack("{s:o}", "devices", devices)))
				status = 1;
			status |= watch(dev, &caps, (unsigned int)secs, count, json);
			qaccel_close(dev);
			return status;
		}
		qaccel_close(dev);
	}
	if (json && print_json_line(json_pack("{s:o}", "devices", devices)))
		status = 1;
	return shown ? status : 1;
}
