// SPDX-License-Identifier: MIT
/*
 * qaccel-bench: job submission throughput and latency through libqaccel,
 * io_uring batched against one ioctl per job (issue 5's benchmark).
 *
 * For every job kind (NOP, tiny GEMMs), queue depth and path it runs N
 * jobs keeping `depth` of them outstanding: whenever completions are
 * reaped, as many new jobs are queued.  On the io_uring path the new jobs
 * ride along with the next wait's io_uring_enter (that is the batching
 * being measured); on the ioctl path every job is flushed on its own
 * (one DRM_IOCTL_QACCEL_SUBMIT per job) and reaped with one
 * DRM_IOCTL_QACCEL_WAIT per job.  Latency is submit call to reap.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <jansson.h>

#include "qaccel.h"

#define MAX_DEPTH	QACCEL_MAX_INFLIGHT
#define MAX_KINDS	8

struct kind {
	char name[32];		/* "nop" or "MxNxK" */
	uint32_t m, n, k;	/* 0 for nop */
};

struct result {
	double jobs_per_s, p50_us, p99_us, syscalls_per_job;
	double cpu_us_per_job;	/* this process's user + system CPU time */
};

struct ctx {
	struct qaccel_dev *dev;
	struct qaccel_buf *a, *b, *c;
	int8_t *pa, *pb, *pc;
	int64_t *t_submit;	/* per job index */
	double *lat_us;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static double cpu_us(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: qaccel-bench [options]\n"
		"\n"
		"Submission throughput (jobs/s) and latency (p50/p99, submit to reap) of\n"
		"NOP jobs and tiny GEMMs at several queue depths, through io_uring (jobs\n"
		"batched into each io_uring_enter) and through one ioctl per job; prints\n"
		"the io_uring / ioctl throughput ratio.\n"
		"\n"
		"options:\n"
		"  -d, --device PATH    render node (default: the first qaccel device)\n"
		"  -n, --jobs N         jobs per measurement (default 2000)\n"
		"  -q, --depths LIST    queue depths, comma-separated (default 1,8,64; max %u)\n"
		"  -s, --shapes LIST    job kinds: nop and MxNxK GEMMs (default nop,4x4x4,16x16x16)\n"
		"  -p, --paths LIST     uring, ioctl or both (default uring,ioctl)\n"
		"      --quick          300 jobs per measurement\n"
		"  -j, --json FILE      also write one JSON object per line to FILE ('-': stdout)\n"
		"  -h, --help           this text\n"
		"\n"
		"JSON records: {\"path\", \"job\", \"depth\", \"jobs\", \"jobs_per_s\", \"p50_us\",\n"
		"\"p99_us\", \"syscalls_per_job\", \"cpu_us_per_job\", \"array\"} and {\"job\", \"depth\", \"uring_over_ioctl\"}.\n",
		MAX_DEPTH);
}

/* o as one line of f; takes o.  Nonzero when o is NULL (out of memory) or f fails. */
static int write_json_line(FILE *f, json_t *o)
{
	int ret = !o || json_dumpf(o, f, JSON_REAL_PRECISION(17)) || fputc('\n', f) == EOF;

	json_decref(o);
	fflush(f);
	if (ret)
		fprintf(stderr, "qaccel-bench: cannot write a JSON record\n");
	return ret;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(double *v, unsigned int n, double p)
{
	unsigned int i = (unsigned int)(p * (n - 1) + 0.5);

	return v[i < n ? i : n - 1];
}

static int prepare_gemm(struct ctx *cx, const struct kind *k, struct qaccel_gemm *g)
{
	memset(g, 0, sizeof(*g));
	g->params = (struct qaccel_gemm_params){
		.m = k->m, .n = k->n, .k = k->k,
		.lda = k->k, .ldb = k->k, .ldc = k->n,
		.flags = QACCEL_GEMM_OUT_INT8,
		.clamp_min = -128, .clamp_max = 127,
		.out_multiplier = 1 << 30, .out_shift = -6,
	};
	g->a = (struct qaccel_operand){ cx->a, 0 };
	g->b = (struct qaccel_operand){ cx->b, 0 };
	g->c = (struct qaccel_operand){ cx->c, 0 };
	return 0;
}

static int submit_one(struct ctx *cx, const struct kind *k,
		      const struct qaccel_gemm *g, unsigned int idx, bool per_job)
{
	int ret;

	cx->t_submit[idx] = now_ns();
	ret = k->m ? qaccel_submit(cx->dev, g, idx) : qaccel_submit_nop(cx->dev, idx);
	if (!ret && per_job)
		ret = qaccel_flush(cx->dev);
	return ret < 0 ? ret : 0;
}

/* One measurement: jobs jobs, depth outstanding. */
static int run(struct ctx *cx, const struct kind *k, unsigned int depth,
	       enum qaccel_path path, unsigned int jobs, struct result *res)
{
	struct qaccel_completion cq[MAX_DEPTH];
	struct qaccel_stats s0, s1;
	struct qaccel_gemm g;
	unsigned int sent = 0, done = 0;
	bool per_job = path == QACCEL_PATH_IOCTL;
	int64_t t0;
	double cpu0;
	int ret;

	ret = qaccel_set_path(cx->dev, path);
	if (ret)
		return ret;
	if (k->m)
		prepare_gemm(cx, k, &g);
	qaccel_get_stats(cx->dev, &s0);
	cpu0 = cpu_us();
	t0 = now_ns();
	while (sent < depth && sent < jobs) {
		ret = submit_one(cx, k, &g, sent++, per_job);
		if (ret)
			return ret;
	}
	while (done < jobs) {
		int r = qaccel_wait(cx->dev, cq, depth, 1, 60000);
		int64_t t = now_ns();

		if (r < 0)
			return r;
		if (r == 0)
			return -ETIMEDOUT;
		for (int i = 0; i < r; i++) {
			if (cq[i].status)
				return cq[i].status;
			cx->lat_us[done++] = (double)(t - cx->t_submit[cq[i].tag]) / 1e3;
		}
		for (int i = 0; i < r && sent < jobs; i++) {
			ret = submit_one(cx, k, &g, sent++, per_job);
			if (ret)
				return ret;
		}
	}
	res->jobs_per_s = jobs / ((double)(now_ns() - t0) / 1e9);
	res->cpu_us_per_job = (cpu_us() - cpu0) / jobs;
	qaccel_get_stats(cx->dev, &s1);
	res->syscalls_per_job = (double)(s1.enters - s0.enters + s1.ioctls - s0.ioctls) / jobs;
	qsort(cx->lat_us, jobs, sizeof(double), cmp_double);
	res->p50_us = percentile(cx->lat_us, jobs, 0.50);
	res->p99_us = percentile(cx->lat_us, jobs, 0.99);
	return 0;
}

/* The GEMM results are not the point, but a wrong one must not go unseen. */
static int check_gemm(struct ctx *cx, const struct kind *k)
{
	struct qaccel_gemm g;
	int8_t *want = malloc((size_t)k->m * k->n);
	int bad;

	if (!want)
		return -ENOMEM;
	prepare_gemm(cx, k, &g);
	qaccel_ref_gemm(&g.params, cx->pa, cx->pb, NULL, NULL, want);
	bad = memcmp(want, cx->pc, (size_t)k->m * k->n) != 0;
	free(want);
	return bad ? -EIO : 0;
}

static int parse_list(const char *s, char items[][32], int max)
{
	int n = 0;

	while (*s && n < max) {
		size_t len = strcspn(s, ",");

		if (!len || len >= 32)
			return -1;
		memcpy(items[n], s, len);
		items[n++][len] = 0;
		s += len;
		if (*s == ',')
			s++;
	}
	return *s ? -1 : n;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "jobs", required_argument, NULL, 'n' },
		{ "depths", required_argument, NULL, 'q' },
		{ "shapes", required_argument, NULL, 's' },
		{ "paths", required_argument, NULL, 'p' },
		{ "quick", no_argument, NULL, 'Q' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dev_path = NULL, *json_path = NULL;
	const char *depth_arg = "1,8,64", *shape_arg = "nop,4x4x4,16x16x16";
	const char *path_arg = "uring,ioctl";
	char items[MAX_KINDS][32], array[24];
	struct kind kinds[MAX_KINDS];
	unsigned int depths[MAX_KINDS], jobs = 2000;
	enum qaccel_path paths[2];
	int nkinds, ndepths, npaths, opt, ret, status = 0;
	FILE *json = NULL;
	struct ctx cx = { 0 };
	struct qaccel_caps caps;

	while ((opt = getopt_long(argc, argv, "d:n:q:s:p:j:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'd': dev_path = optarg; break;
		case 'n': jobs = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'q': depth_arg = optarg; break;
		case 's': shape_arg = optarg; break;
		case 'p': path_arg = optarg; break;
		case 'Q': jobs = 300; break;
		case 'j': json_path = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc || jobs < 1 || jobs > 10000000) {
		usage(stderr);
		return 2;
	}
	ndepths = parse_list(depth_arg, items, MAX_KINDS);
	for (int i = 0; i < ndepths; i++) {
		depths[i] = (unsigned int)strtoul(items[i], NULL, 10);
		if (depths[i] < 1 || depths[i] > MAX_DEPTH)
			ndepths = -1;
	}
	nkinds = parse_list(shape_arg, items, MAX_KINDS);
	for (int i = 0; i < nkinds; i++) {
		struct kind *k = &kinds[i];

		memset(k, 0, sizeof(*k));
		snprintf(k->name, sizeof(k->name), "%s", items[i]);
		if (strcmp(items[i], "nop") &&
		    (sscanf(items[i], "%ux%ux%u", &k->m, &k->n, &k->k) != 3 ||
		     !k->m || !k->n || !k->k || k->m > 1024 || k->n > 1024 || k->k > 1024))
			nkinds = -1;
	}
	npaths = parse_list(path_arg, items, 2);
	for (int i = 0; i < npaths; i++) {
		if (!strcmp(items[i], "uring"))
			paths[i] = QACCEL_PATH_URING;
		else if (!strcmp(items[i], "ioctl"))
			paths[i] = QACCEL_PATH_IOCTL;
		else
			npaths = -1;
	}
	if (ndepths < 1 || nkinds < 1 || npaths < 1) {
		fprintf(stderr, "qaccel-bench: bad --depths, --shapes or --paths\n");
		return 2;
	}
	if (json_path) {
		json = strcmp(json_path, "-") ? fopen(json_path, "w") : stdout;
		if (!json) {
			perror(json_path);
			return 1;
		}
	}

	ret = qaccel_open(dev_path, 0, &cx.dev);
	if (ret) {
		fprintf(stderr, "qaccel-bench: open: %s\n", qaccel_strerror(ret));
		return 1;
	}
	qaccel_get_caps(cx.dev, &caps);
	cx.t_submit = calloc(jobs, sizeof(*cx.t_submit));
	cx.lat_us = calloc(jobs, sizeof(*cx.lat_us));
	if (!cx.t_submit || !cx.lat_us ||
	    (ret = qaccel_buf_alloc(cx.dev, 1024 * 1024, &cx.a)) ||
	    (ret = qaccel_buf_alloc(cx.dev, 1024 * 1024, &cx.b)) ||
	    (ret = qaccel_buf_alloc(cx.dev, 1024 * 1024, &cx.c)) ||
	    (ret = qaccel_buf_map(cx.a, (void **)&cx.pa)) ||
	    (ret = qaccel_buf_map(cx.b, (void **)&cx.pb)) ||
	    (ret = qaccel_buf_map(cx.c, (void **)&cx.pc))) {
		fprintf(stderr, "qaccel-bench: setup: %s\n", qaccel_strerror(ret ? ret : -ENOMEM));
		status = 1;
		goto out;
	}
	for (int i = 0; i < 1024 * 1024; i++) {
		cx.pa[i] = (int8_t)(i * 7 + 3);
		cx.pb[i] = (int8_t)(i * 13 + 1);
	}

	snprintf(array, sizeof(array), "%ux%u", caps.rows, caps.cols);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("# qaccel-bench: %s, %ux%u array, %u jobs per measurement\n",
	       qaccel_dev_path(cx.dev), caps.rows, caps.cols, jobs);
	printf("%-10s %5s %6s %10s %10s %10s %9s %9s\n", "job", "depth", "path",
	       "jobs/s", "p50 us", "p99 us", "syscalls", "cpu us");
	for (int ki = 0; ki < nkinds; ki++) {
		for (int di = 0; di < ndepths; di++) {
			double jps[2] = { 0, 0 };

			for (int pi = 0; pi < npaths; pi++) {
				const char *pname = paths[pi] == QACCEL_PATH_URING ? "uring" : "ioctl";
				struct result r;

				/* A short warm-up (page faults, caches), not measured. */
				ret = run(&cx, &kinds[ki], depths[di], paths[pi],
					  jobs < 50 ? jobs : 50, &r);
				if (!ret)
					ret = run(&cx, &kinds[ki], depths[di], paths[pi], jobs, &r);
				if (!ret && kinds[ki].m)
					ret = check_gemm(&cx, &kinds[ki]);
				if (ret) {
					fprintf(stderr, "qaccel-bench: %s depth %u %s: %s\n",
						kinds[ki].name, depths[di], pname,
						qaccel_strerror(ret));
					status = 1;
					continue;
				}
				jps[paths[pi]] = r.jobs_per_s;
				printf("%-10s %5u %6s %10.0f %10.1f %10.1f %9.3f %9.1f\n",
				       kinds[ki].name, depths[di], pname, r.jobs_per_s,
				       r.p50_us, r.p99_us, r.syscalls_per_job,
				       r.cpu_us_per_job);
				if (json && write_json_line(json, json_pack(
						"{s:s, s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:f, s:s}",
						"path", pname, "job", kinds[ki].name,
						"depth", (json_int_t)depths[di], "jobs", (json_int_t)jobs,
						"jobs_per_s", r.jobs_per_s, "p50_us", r.p50_us,
						"p99_us", r.p99_us, "syscalls_per_job", r.syscalls_per_job,
						"cpu_us_per_job", r.cpu_us_per_job, "array", array)))
					status = 1;
			}
			if (jps[QACCEL_PATH_URING] > 0 && jps[QACCEL_PATH_IOCTL] > 0) {
				double ratio = jps[QACCEL_PATH_URING] / jps[QACCEL_PATH_IOCTL];

				printf("%-10s %5u  ratio uring/ioctl %.2fx\n", kinds[ki].name,
				       depths[di], ratio);
				if (json && write_json_line(json, json_pack(
						"{s:s, s:I, s:f}", "job", kinds[ki].name,
						"depth", (json_int_t)depths[di],
						"uring_over_ioctl", ratio)))
					status = 1;
			}
		}
	}
out:
	if (json && json != stdout)
		fclose(json);
	free(cx.t_submit);
	free(cx.lat_us);
	qaccel_close(cx.dev);
	return status;
}
