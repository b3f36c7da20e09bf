// SPDX-License-Identifier: MIT
/*
 * bench_report: merge the runs of `make bench` into results.json, a summary
 * table and plots.  It only reshapes numbers the benchmarks measured; it
 * measures nothing.
 *
 * usage: bench_report OUTDIR COMMAND
 * Reads OUTDIR/hw.json (bench_hw, a JSON list), OUTDIR/cpu.jsonl (bench_cpu)
 * and OUTDIR/submit-DEV-latN.jsonl (qaccel-bench --json in the guest on an
 * RxC device with memory latency N; may be missing), writes
 * OUTDIR/results.json, OUTDIR/summary.md (also on stdout) and OUTDIR/<plot>.png
 * through gnuplot (OUTDIR/plots.gp and its *.dat files).
 *
 * usage: bench_report --sweep OUTDIR COMMAND WALL_S
 * The design-space sweep of bench/sweep.sh: OUTDIR/grid.txt and every
 * point's OUTDIR/runs/RxC-bwB-latL.{json,status} into OUTDIR/sweep.json,
 * summary.md and sweep-*.png; exit 1 if a point failed (see sweep_report()).
 *
 * JSON is read and written with jansson.  Each record is one object whose
 * fields the tables use as strings, numbers, true, false or null; a
 * missing field or one of the wrong type is an error that names the file
 * and the line (JSON Lines) or the record (hw.json's list).  A number keeps
 * the type it was written with: an integer stays one (summed exactly),
 * anything with a fraction or exponent is a double.  In the tables a
 * number reads as Python's str() had it (the report's first version was a
 * Python script, and docs/performance.md quotes its tables).
 */
#include <errno.h>
#include <math.h>
#include <glob.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

/* The documented modeled clock (bench_hw.c) and the memory port's width. */
#define CLOCK_HZ		1e9
#define PORT_BYTES_PER_CYCLE	64

/* One input record: a JSON object; new keys go after the input's. */
struct rec {
	json_t *o;
	char *where;		/* "FILE:LINE" or "FILE record N", for messages */
};

struct recs {
	struct rec **r;
	size_t n, cap;
};

static void __attribute__((noreturn, format(printf, 1, 2))) die(const char *fmt, ...)
{
	va_list ap;

	fputs("bench_report: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p)
		die("out of memory");
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		die("out of memory");
	return d;
}

static char *fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		die("out of memory");
	va_end(ap);
	return s;
}

static char *join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return fmt("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static void recs_push(struct recs *rs, struct rec *r)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 16;
		rs->r = xrealloc(rs->r, rs->cap * sizeof(*rs->r));
	}
	rs->r[rs->n++] = r;
}

static void rec_free(struct rec *r)
{
	json_decref(r->o);
	free(r->where);
	free(r);
}

static const json_t *get(const struct rec *r, const char *key)
{
	return json_object_get(r->o, key);
}

/* A key already there keeps its place. */
static void set(struct rec *r, const char *key, json_t *v)
{
	if (!v || json_object_set_new(r->o, key, v))
		die("out of memory");
}

static void set_str(struct rec *r, const char *key, const char *s)
{
	set(r, key, json_string(s));
}

static void set_int(struct rec *r, const char *key, long long i)
{
	set(r, key, json_integer(i));
}

/* The field key, which must be a string (t JSON_STRING) or a number (JSON_REAL: either kind). */
static const json_t *need(const struct rec *r, const char *key, json_type t)
{
	const json_t *v = get(r, key);

	if (!v)
		die("%s: record has no \"%s\"", r->where, key);
	if (t == JSON_STRING ? !json_is_string(v) : !json_is_number(v))
		die("%s: \"%s\" is not a %s", r->where, key,
		    t == JSON_STRING ? "string" : "number");
	return v;
}

static double num(const struct rec *r, const char *key)
{
	return json_number_value(need(r, key, JSON_REAL));
}

/* What Python's "%d" made of a number: truncated toward zero. */
static long long inum(const struct rec *r, const char *key)
{
	const json_t *v = need(r, key, JSON_REAL);

	return json_is_integer(v) ? json_integer_value(v) : (long long)json_real_value(v);
}

static const char *str(const struct rec *r, const char *key)
{
	return json_string_value(need(r, key, JSON_STRING));
}

static bool truthy(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_length(v);
	case JSON_INTEGER:
	case JSON_REAL:
		return json_number_value(v) != 0;
	case JSON_TRUE:
		return true;
	default:
		return false;
	}
}

/* ---- reading the inputs ---- */

/* The whole file, NUL-terminated; NULL if it does not exist. */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0, cap = 0, got;
	char *buf = NULL;

	if (!f) {
		if (errno == ENOENT)
			return NULL;
		die("%s: %s", path, strerror(errno));
	}
	do {
		if (cap - n < 4096) {
			cap = cap * 2 + 65536;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	if (ferror(f))
		die("%s: read error", path);
	fclose(f);
	if (memchr(buf, '\0', n))
		die("%s: NUL byte in the file", path);
	buf[n] = '\0';
	return buf;
}

static struct rec *rec_new(json_t *o, char *where)
{
	struct rec *r = xrealloc(NULL, sizeof(*r));

	if (!json_is_object(o))
		die("%s: not a JSON object", where);
	r->o = o;
	r->where = where;
	return r;
}

/* A JSON list of objects (bench_hw --json); a missing file is empty. */
static void load_list(const char *path, struct recs *out)
{
	char *buf = slurp(path);
	json_error_t err;
	json_t *list, *o;
	size_t i;

	if (!buf)
		return;
	list = json_loads(buf, 0, &err);
	if (!list)
		die("%s:%d: malformed JSON: %s", path, err.line, err.text);
	if (!json_is_array(list))
		die("%s: expected a list", path);
	json_array_foreach(list, i, o)
		recs_push(out, rec_new(json_incref(o), fmt("%s record %zu", path, i + 1)));
	json_decref(list);
	free(buf);
}

/* One object per line; lines not starting with '{' are not records. */
static void load_lines(const char *path, struct recs *out)
{
	char *buf = slurp(path), *line, *next;
	int lineno = 1;

	if (!buf)
		return;
	for (line = buf; line && *line; line = next, lineno++) {
		json_error_t err;
		json_t *o;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[strspn(line, " \t\r")] != '{')
			continue;
		o = json_loads(line, 0, &err);
		if (!o)
			die("%s:%d: malformed JSON: %s", path, lineno, err.text);
		recs_push(out, rec_new(o, fmt("%s:%d", path, lineno)));
	}
	free(buf);
}

/* ---- number formatting ---- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The shortest decimal that reads back as v, in Python's repr() form. */
static void float_repr(double v, char *out, size_t size)
{
	char buf[40], digits[24], *d = digits, *e;
	int exp, nd;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	e = strchr(buf, 'e');
	exp = atoi(e + 1);
	for (const char *p = buf; p < e; p++)
		if (is_digit(*p))
			*d++ = *p;
	while (d > digits + 1 && d[-1] == '0')
		d--;
	*d = '\0';
	nd = d - digits;
	const char *sign = buf[0] == '-' ? "-" : "";

	if (exp < -4 || exp >= 16) {
		snprintf(out, size, "%s%c%s%.*se%c%02d", sign, digits[0], nd > 1 ? "." : "",
			 nd - 1, digits + 1, exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
	} else if (exp < 0) {
		snprintf(out, size, "%s0.%0*d%s", sign, -exp - 1, 0, digits);
		if (exp == -1)	/* "%0*d" with width 0 still prints one zero */
			snprintf(out, size, "%s0.%s", sign, digits);
	} else if (nd <= exp + 1) {
		snprintf(out, size, "%s%s%0*d.0", sign, digits, exp + 1 - nd, 0);
		if (nd == exp + 1)
			snprintf(out, size, "%s%s.0", sign, digits);
	} else {
		snprintf(out, size, "%s%.*s.%s", sign, exp + 1, digits, digits + exp + 1);
	}
}

/* A number as Python's str() printed it: integers as they are, doubles as repr(). */
static char *number_str(bool is_int, long long i, double d)
{
	char buf[48];

	if (is_int)
		return fmt("%lld", i);
	float_repr(d, buf, sizeof(buf));
	return xstrdup(buf);
}

/* str() of a value as Python printed it into a table cell. */
static char *py_str(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		return xstrdup(json_string_value(v));
	case JSON_INTEGER:
		return number_str(true, json_integer_value(v), 0);
	case JSON_REAL:
		return number_str(false, 0, json_real_value(v));
	case JSON_TRUE:
		return xstrdup("True");
	case JSON_FALSE:
		return xstrdup("False");
	case JSON_NULL:
		return xstrdup("None");
	default:
		die("a list or an object where a table cell's value should be");
	}
}

static char *cell(const struct rec *r, const char *key)
{
	const json_t *v = get(r, key);

	if (!v)
		die("%s: record has no \"%s\"", r->where, key);
	return py_str(v);
}

/* Thousands separators in the leading run of digits (takes s). */
static char *group(char *s)
{
	size_t lead = s[0] == '-', nd = strspn(s + lead, "0123456789");
	char *out = xrealloc(NULL, strlen(s) + nd / 3 + 1), *o = out;

	memcpy(o, s, lead);
	o += lead;
	for (size_t i = 0; i < nd; i++) {
		if (i && (nd - i) % 3 == 0)
			*o++ = ',';
		*o++ = s[lead + i];
	}
	strcpy(o, s + lead + nd);
	free(s);
	return out;
}

/* "{:,}" of a number as Python formatted it. */
static char *grouped(const json_t *v)
{
	return group(py_str(v));
}

static char *shape(const struct rec *r)
{
	return fmt("%lldx%lldx%lld", inum(r, "m"), inum(r, "n"), inum(r, "k"));
}

static bool shape_is(const struct rec *r, const char *s)
{
	char *sh = shape(r);
	bool eq = !strcmp(sh, s);

	free(sh);
	return eq;
}

/* ---- the report ---- */

struct machine {
	char *uname;
	char *cpu;
	long cores;
};

struct report {
	const char *out;
	const char *command;
	char date[32];
	struct machine m;
	struct recs hw, cpu, subr, sub, ratios;
};

static char *cpuinfo_field(char *buf, const char *key)
{
	for (char *line = buf; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		size_t len = strcspn(line, "\n"), kl;
		char *colon = memchr(line, ':', len), *k = line, *v, *ve;

		if (!colon)
			continue;
		while (k < colon && (*k == ' ' || *k == '\t'))
			k++;
		for (kl = colon - k; kl && (k[kl - 1] == ' ' || k[kl - 1] == '\t'); kl--)
			;
		if (kl != strlen(key) || strncmp(k, key, kl))
			continue;
		for (v = colon + 1, ve = line + len; v < ve && (*v == ' ' || *v == '\t'); v++)
			;
		while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t' || ve[-1] == '\r'))
			ve--;
		return fmt("%.*s", (int)(ve - v), v);
	}
	return NULL;
}

static void machine_info(struct machine *m)
{
	char *info = slurp("/proc/cpuinfo");
	char *model = info ? cpuinfo_field(info, "model name") : NULL;
	char *family = info ? cpuinfo_field(info, "cpu family") : NULL;
	char *mod = info ? cpuinfo_field(info, "model") : NULL;
	struct utsname u;

	/* Virtual machines often report only "AMD EPYC": family and model say which. */
	m->cpu = fmt("%s (family %s, model %s)", model ? model : "unknown",
		     family ? family : "?", mod ? mod : "?");
	free(model);
	free(family);
	free(mod);
	free(info);
	if (uname(&u))
		die("uname: %s", strerror(errno));
	/*
	 * System, node, release, version, machine and processor, the form
	 * results.json has always had; the processor is empty on Linux
	 * (`uname -p` says "unknown").
	 */
	m->uname = fmt("%s %s %s %s %s ", u.sysname, u.nodename, u.release, u.version,
		       u.machine);
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);
}

static void table_head(FILE *o, int n, const char *const *head)
{
	fputc('|', o);
	for (int i = 0; i < n; i++)
		fprintf(o, " %s |", head[i]);
	fputs("\n|", o);
	for (int i = 0; i < n; i++)
		fprintf(o, " %s |", i < 2 ? "---" : "---:");
	fputc('\n', o);
}

/* One table row; takes (and frees) n malloc'd cells. */
static void table_row(FILE *o, int n, ...)
{
	va_list ap;

	va_start(ap, n);
	fputc('|', o);
	for (int i = 0; i < n; i++) {
		char *c = va_arg(ap, char *);

		fprintf(o, " %s |", c);
		free(c);
	}
	fputc('\n', o);
	va_end(ap);
}

#define HEAD(o, ...) do {						\
	static const char *const h_[] = { __VA_ARGS__ };		\
	table_head(o, sizeof(h_) / sizeof(h_[0]), h_);			\
} while (0)

static const struct rec *hw_at(const struct report *rp, const char *array, const char *sh)
{
	for (size_t i = 0; i < rp->hw.n; i++)
		if (!strcmp(str(rp->hw.r[i], "array"), array) && shape_is(rp->hw.r[i], sh))
			return rp->hw.r[i];
	return NULL;
}

/* The last 16x16 run of a shape (the modeled accelerator beside the CPU). */
static const struct rec *acc_at(const struct report *rp, const char *sh)
{
	const struct rec *a = NULL;

	for (size_t i = 0; i < rp->hw.n; i++)
		if (!strcmp(str(rp->hw.r[i], "array"), "16x16") && shape_is(rp->hw.r[i], sh))
			a = rp->hw.r[i];
	return a;
}

static void targets(FILE *o, const struct report *rp)
{
	static const char *const bw_shapes[] = { "1x4096x4096", "1x1024x1024" };
	const struct rec *r;
	bool any = false;

#define TARGET_HEAD() do {						\
	if (!any)							\
		fputs("\n### Targets\n\n", o);				\
	if (!any)							\
		HEAD(o, "target", "wanted", "measured", "verdict");	\
	any = true;							\
} while (0)

	r = hw_at(rp, "16x16", "512x512x512");
	if (r) {
		double u = num(r, "utilization") * 100;

		TARGET_HEAD();
		table_row(o, 4, xstrdup("utilization at 512^3 on 16x16"), xstrdup(">= 90 %"),
			  fmt("%.1f %%", u),
			  u >= 90 ? xstrdup("met") : fmt("missed by %.1f points", 90 - u));
	}
	for (int i = 0; i < 2; i++) {
		r = hw_at(rp, "16x16", bw_shapes[i]);
		if (!r)
			continue;
		double b = num(r, "bandwidth_fraction") * 100;

		TARGET_HEAD();
		table_row(o, 4, fmt("batch-1 bandwidth (%s, 16x16)", bw_shapes[i]),
			  xstrdup(">= 85 % of 64 B/cycle"), fmt("%.1f %%", b),
			  b >= 85 ? xstrdup("met") : fmt("missed by %.1f points", 85 - b));
		break;
	}
	for (size_t i = 0; i < rp->ratios.n; i++) {
		const struct rec *q = rp->ratios.r[i];

		if (num(q, "depth") != 64)
			continue;
		double x = num(q, "uring_over_ioctl");
		char *job = cell(q, "job"), *arr = cell(q, "device_array");

		TARGET_HEAD();
		/*
		 * On the RTL both paths run at the simulator's rate: the target
		 * is about the software path, i.e. the functional device.
		 */
		table_row(o, 4, fmt("io_uring / ioctl jobs/s, %s, depth 64, %s device, latency %lld",
				    job, arr, inum(q, "device_latency")),
			  xstrdup(">= 3x"), fmt("%.2fx", x),
			  !strstr(arr, "functional") ?
			  xstrdup("not a test of the target: both paths wait for the simulated RTL") :
			  x >= 3 ? xstrdup("met") :
			  fmt("missed (%.0f %% of the target)", 100 * x / 3));
		free(job);
		free(arr);
	}
#undef TARGET_HEAD
}

/* A sum kept as Python summed numbers: exact while every term is an integer. */
struct total {
	bool is_int;
	long long i;
	double d;
};

#define TOTAL_ZERO	((struct total){ .is_int = true })

static void total_add(struct total *t, const json_t *v)
{
	if (t->is_int && json_is_integer(v)) {
		t->i += json_integer_value(v);
		t->d = (double)t->i;
	} else {
		t->d += json_number_value(v);
		t->is_int = false;
	}
}

static char *total_grouped(const struct total *t)
{
	return group(number_str(t->is_int, t->i, t->d));
}

/* Sums over the GEMM runs of one array size (the simulator's speed). */
struct speed {
	const char *array;
	struct total cycles, macs;
	double wall;
};

static size_t speeds(const struct report *rp, struct speed *sp)
{
	size_t n = 0;

	for (size_t i = 0; i < rp->hw.n; i++) {
		const struct rec *x = rp->hw.r[i];
		const char *a = str(x, "array");
		size_t j;

		for (j = 0; j < n && strcmp(sp[j].array, a); j++)
			;
		if (j == n)
			sp[n++] = (struct speed){ .array = a, .cycles = TOTAL_ZERO,
						  .macs = TOTAL_ZERO };
		total_add(&sp[j].cycles, need(x, "cycles", JSON_REAL));
		total_add(&sp[j].macs, need(x, "macs", JSON_REAL));
		sp[j].wall += num(x, "wall_s");
	}
	return n;
}

static char *summary(const struct report *rp)
{
	struct speed *sp = xrealloc(NULL, (rp->hw.n + 1) * sizeof(*sp));
	size_t len, nsp;
	char *md;
	FILE *o = open_memstream(&md, &len);

	if (!o)
		die("open_memstream: %s", strerror(errno));
	fprintf(o, "Command: `%s`  \n", rp->command);
	fprintf(o, "Machine: %s; CPU %s, %ld cores; %s\n\n", rp->m.uname, rp->m.cpu, rp->m.cores,
		rp->date);
	fprintf(o, "### GEMM on the RTL (modeled clock %.0f GHz)\n\n", CLOCK_HZ / 1e9);
	HEAD(o, "array", "M x N x K", "cycles", "util %", "DMA MiB", "bw %", "busy %",
	     "DMA stall %", "ops/cycle", "ops/byte", "modeled TOPS", "sim kcycles/s",
	     "sim MMAC/s", "wall s");
	for (size_t i = 0; i < rp->hw.n; i++) {
		const struct rec *x = rp->hw.r[i];
		double cyc = num(x, "cycles"), div = cyc > 1 ? cyc : 1;

		table_row(o, 14, cell(x, "array"), shape(x), grouped(need(x, "cycles", JSON_REAL)),
			  fmt("%.1f", 100 * num(x, "utilization")),
			  fmt("%.2f", (num(x, "dma_read_bytes") + num(x, "dma_write_bytes")) /
			      1048576.0),
			  fmt("%.1f", 100 * num(x, "bandwidth_fraction")),
			  fmt("%.1f", 100 * num(x, "busy_cycles") / div),
			  fmt("%.1f", 100 * num(x, "dma_stall_cycles") / div),
			  fmt("%.1f", num(x, "ops_per_cycle")), fmt("%.1f", num(x, "op_intensity")),
			  fmt("%.3f", num(x, "modeled_tops")),
			  fmt("%.0f", num(x, "sim_cycles_per_s") / 1e3),
			  fmt("%.1f", num(x, "sim_macs_per_s") / 1e6), fmt("%.1f", num(x, "wall_s")));
	}
	fputs("\n### Simulator speed (all GEMM runs of a size together)\n\n", o);
	HEAD(o, "array", "simulated cycles", "wall s", "cycles/s", "MACs/s");
	nsp = speeds(rp, sp);
	for (size_t i = 0; i < nsp; i++) {
		double w = sp[i].wall;

		table_row(o, 5, xstrdup(sp[i].array), total_grouped(&sp[i].cycles), fmt("%.1f", w),
			  group(fmt("%.0f", w ? sp[i].cycles.d / w : 0)),
			  group(fmt("%.0f", w ? sp[i].macs.d / w : 0)));
	}
	free(sp);
	if (rp->sub.n) {
		fputs("\n### Submission path (guest under TCG, qaccel-bench)\n\n", o);
		HEAD(o, "device", "mem latency", "path", "job", "depth", "jobs/s", "p50 us",
		     "p99 us", "syscalls/job", "guest CPU us/job");
		for (size_t i = 0; i < rp->sub.n; i++) {
			const struct rec *x = rp->sub.r[i];
			const json_t *sc = get(x, "syscalls_per_job");
			const json_t *cu = get(x, "cpu_us_per_job");

			table_row(o, 10, cell(x, "device_array"), cell(x, "device_latency"),
				  cell(x, "path"), cell(x, "job"), cell(x, "depth"),
				  group(fmt("%.0f", num(x, "jobs_per_s"))),
				  fmt("%.1f", num(x, "p50_us")), fmt("%.1f", num(x, "p99_us")),
				  fmt("%.3f", sc ? num(x, "syscalls_per_job") : 0.0),
				  fmt("%.1f", cu ? num(x, "cpu_us_per_job") : 0.0));
		}
		fputc('\n', o);
		HEAD(o, "device", "mem latency", "job", "depth", "io_uring / ioctl");
		for (size_t i = 0; i < rp->ratios.n; i++) {
			const struct rec *q = rp->ratios.r[i];

			table_row(o, 5, cell(q, "device_array"), cell(q, "device_latency"),
				  cell(q, "job"), cell(q, "depth"),
				  fmt("%.2fx", num(q, "uring_over_ioctl")));
		}
	} else {
		fputs("\n### Submission path: not measured (no build/tools/qaccel-bench or the "
		      "guest run failed)\n", o);
	}
	if (rp->cpu.n) {
		fputs("\n### CPU on the host (one thread) vs the modeled 16x16 accelerator\n\n", o);
		HEAD(o, "impl", "M x N x K", "zp A/B", "wall us", "GOPS", "qaccel 16x16 us @1 GHz",
		     "vs ref");
		for (size_t i = 0; i < rp->cpu.n; i++) {
			const struct rec *x = rp->cpu.r[i];
			char *sh = shape(x);
			char *zp = fmt("%lld/%lld", inum(x, "a_zero_point"), inum(x, "b_zero_point"));
			const struct rec *a;

			if (!get(x, "wall_s")) {
				const json_t *st = get(x, "status");

				table_row(o, 7, cell(x, "impl"), sh, zp,
					  st ? py_str(st) : xstrdup("?"), xstrdup(""), xstrdup(""),
					  xstrdup(""));
				continue;
			}
			a = acc_at(rp, sh);
			const json_t *ok = get(x, "correct");

			if (!ok)
				die("%s: record has no \"correct\"", x->where);
			table_row(o, 7, cell(x, "impl"), sh, zp, fmt("%.1f", num(x, "wall_s") * 1e6),
				  fmt("%.2f", num(x, "gops")),
				  a ? fmt("%.1f", num(a, "cycles") / CLOCK_HZ * 1e6) : xstrdup(""),
				  xstrdup(truthy(ok) ? "bit-exact" : "DIFFERS"));
		}
	}
	targets(o, rp);
	if (fclose(o))
		die("open_memstream: %s", strerror(errno));
	return md;
}

static FILE *xfopen(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		die("%s: %s", path, strerror(errno));
	return f;
}

static void xfclose(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f))
		die("%s: write error", path);
}

/* The summary md into DIR/summary.md and onto stdout; md is freed. */
static void emit_summary(const char *dir, char *md)
{
	char *path = join(dir, "summary.md");
	FILE *f = xfopen(path);

	fputs(md, f);
	xfclose(f, path);
	free(path);
	fputs(md, stdout);
	fflush(stdout);
	free(md);
}

/*
 * results.json in the layout of Python's json.dump(indent=1, ensure_ascii):
 * the run's context, then every record with its "kind".  Doubles are
 * written with 17 significant digits, so each reads back exactly.
 */
static void write_results(const struct report *rp)
{
	char *path = join(rp->out, "results.json");
	const struct recs *parts[] = { &rp->hw, &rp->sub, &rp->ratios, &rp->cpu };
	json_t *records = json_array();
	json_t *root = json_pack("{s:s, s:{s:s, s:s, s:I}, s:s, s:f, s:o}",
				 "command", rp->command,
				 "machine", "uname", rp->m.uname, "cpu", rp->m.cpu,
				 "cores", (json_int_t)rp->m.cores,
				 "date", rp->date, "modeled_clock_hz", CLOCK_HZ,
				 "records", records);
	FILE *f;

	if (!root)
		die("out of memory");
	for (size_t p = 0; p < 4; p++)
		for (size_t i = 0; i < parts[p]->n; i++)
			if (json_array_append(records, parts[p]->r[i]->o))
				die("out of memory");
	f = xfopen(path);
	if (json_dumpf(root, f, JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17)))
		die("%s: write error", path);
	fputc('\n', f);
	xfclose(f, path);
	json_decref(root);
	free(path);
}

/* "RxC" into rows and columns; false if it is not that. */
static bool array_dims(const char *a, int *rows, int *cols)
{
	char *end;

	*rows = strtol(a, &end, 10);
	if (end == a || *end != 'x')
		return false;
	a = end + 1;
	*cols = strtol(a, &end, 10);
	return end != a && !*end;
}

static int cmp_array(const void *pa, const void *pb)
{
	const char *a = *(const char *const *)pa, *b = *(const char *const *)pb;
	int d = atoi(a) - atoi(b);

	return d ? d : strcmp(a, b);
}

/* What every plot shares: the script being written and the array sizes. */
struct plotctx {
	const struct report *rp;
	const char *out;
	FILE *gp;
	const char **arrays;	/* distinct hw "array" values, smallest first */
	size_t na;
};

/* Distinct "RxC" shapes of recs in order of first appearance. */
static size_t distinct_shapes(const struct recs *rs, char **shapes)
{
	size_t ns = 0;

	for (size_t i = 0; i < rs->n; i++) {
		char *sh = shape(rs->r[i]);
		size_t j;

		for (j = 0; j < ns && strcmp(shapes[j], sh); j++)
			;
		if (j == ns)
			shapes[ns++] = sh;
		else
			free(sh);
	}
	return ns;
}

/*
 * The terminal (width x height pixels) and the foot of every plot that
 * follows: command, machine, kernel release.
 */
static void plot_header(const struct plotctx *pc, int width, int height)
{
	const struct machine *m = &pc->rp->m;
	char *u = xstrdup(m->uname), *save = NULL, *rel = strtok_r(u, " \t\n", &save), *foot;

	for (int i = 0; rel && i < 2; i++)
		rel = strtok_r(NULL, " \t\n", &save);
	if (!rel)
		die("uname \"%s\" has no release", m->uname);
	foot = fmt("%s | %s, %ld cores | %s", pc->rp->command, m->cpu, m->cores, rel);
	free(u);
	/* The foot is a gnuplot string. */
	for (char *p = foot; *p; p++)
		if (*p == '"')
			*p = '\'';
	fprintf(pc->gp, "if (strstrt(GPVAL_TERMINALS, \"pngcairo\") > 0) {\n"
		"  set terminal pngcairo size %d,%d font \",9\"\n"
		"} else {\n"
		"  set terminal png size %d,%d\n"
		"}\n", width, height, width, height);
	fputs("set termoption noenhanced\n"
	      "set key outside right\n"
	      "set grid\n", pc->gp);
	fprintf(pc->gp, "set label 99 \"%s\" at screen 0.01, screen 0.015 font \",7\"\n", foot);
	fputs("set bmargin 5\n", pc->gp);
	free(foot);
}

/* Roofline: one file per array size of (intensity, ops/cycle, label). */
static void plot_roofline(const struct plotctx *pc)
{
	const struct recs *hw = &pc->rp->hw;
	FILE *gp = pc->gp;

	for (size_t j = 0; j < pc->na; j++) {
		char *name = fmt("roofline-%s.dat", pc->arrays[j]), *path = join(pc->out, name);
		FILE *f = xfopen(path);

		for (size_t i = 0; i < hw->n; i++) {
			const struct rec *x = hw->r[i];
			char *sh;

			if (strcmp(str(x, "array"), pc->arrays[j]))
				continue;
			sh = shape(x);
			fprintf(f, "%g %g %s\n", num(x, "op_intensity"), num(x, "ops_per_cycle"), sh);
			free(sh);
		}
		xfclose(f, path);
		free(path);
		free(name);
	}
	fprintf(gp, "set output \"%s/roofline.png\"\n", pc->out);
	fputs("set title \"Roofline: achieved ops/cycle (2 per MAC) vs DMA operational intensity\"\n"
	      "set logscale xy\n"
	      "set xlabel \"operations per DMA byte\"\n"
	      "set ylabel \"operations per cycle\"\n"
	      "set xrange [0.5:2000]\n"
	      "set yrange [1:4096]\n"
	      "min(a,b) = a < b ? a : b\n"
	      "plot ", gp);
	for (size_t j = 0; j < pc->na; j++) {
		const char *a = pc->arrays[j];
		int rows, cols, lc = j + 1, peak;

		array_dims(a, &rows, &cols);
		peak = 2 * rows * cols;
		fprintf(gp, "%smin(%d, %d*x) lc %d dt 2 title \"%s roof (peak %d, 64 B/cycle)\"",
			j ? ", \\\n  " : "", peak, PORT_BYTES_PER_CYCLE, lc, a, peak);
		fprintf(gp, ", \\\n  \"%s/roofline-%s.dat\" using 1:2 with points pt 7 lc %d "
			"title \"%s runs\"", pc->out, a, lc, a);
		fprintf(gp, ", \\\n  \"%s/roofline-%s.dat\" using 1:2:3 with labels offset 0.5,0.5 "
			"left font \",6\" tc lt %d notitle", pc->out, a, lc);
	}
	fputs("\nunset logscale\nset xrange [*:*]\nset yrange [*:*]\n", gp);
}

/* Utilization per shape and array size. */
static void plot_utilization(const struct plotctx *pc)
{
	const struct recs *hw = &pc->rp->hw;
	char **shapes = xrealloc(NULL, (hw->n + 1) * sizeof(*shapes));
	size_t ns = distinct_shapes(hw, shapes);
	char *path = join(pc->out, "util.dat");
	FILE *f = xfopen(path);

	fputs("shape", f);
	for (size_t j = 0; j < pc->na; j++)
		fprintf(f, " %s", pc->arrays[j]);
	fputc('\n', f);
	for (size_t s = 0; s < ns; s++) {
		fputs(shapes[s], f);
		for (size_t j = 0; j < pc->na; j++) {
			const struct rec *r = hw_at(pc->rp, pc->arrays[j], shapes[s]);

			if (r)
				fprintf(f, " %g", 100 * num(r, "utilization"));
			else
				fputs(" NaN", f);
		}
		fputc('\n', f);
		free(shapes[s]);
	}
	xfclose(f, path);
	free(path);
	free(shapes);
	fprintf(pc->gp, "set output \"%s/utilization.png\"\n", pc->out);
	fputs("set title \"Array utilization (MACs / (cycles x PEs)) per GEMM shape\"\n"
	      "set style data histograms\n"
	      "set style histogram clustered gap 1\n"
	      "set style fill solid 0.8\n"
	      "set xtics rotate by -30\n"
	      "set yrange [0:100]\n"
	      "set xlabel \"\"\n"
	      "set ylabel \"utilization %\"\n"
	      "plot ", pc->gp);
	for (size_t j = 0; j < pc->na; j++)
		fprintf(pc->gp, "%s\"%s/util.dat\" using %zu:xtic(1) title columnheader",
			j ? ", " : "", pc->out, j + 2);
	fputs("\nset xtics norotate\nset yrange [*:*]\nset style data points\n", pc->gp);
}

static void plot_simspeed(const struct plotctx *pc)
{
	const struct recs *hw = &pc->rp->hw;
	char *path = join(pc->out, "simspeed.dat");
	FILE *f = xfopen(path);

	for (size_t j = 0; j < pc->na; j++) {
		struct total cyc = TOTAL_ZERO, macs = TOTAL_ZERO;
		double w = 0;

		for (size_t i = 0; i < hw->n; i++) {
			const struct rec *x = hw->r[i];

			if (strcmp(str(x, "array"), pc->arrays[j]))
				continue;
			w += num(x, "wall_s");
			total_add(&cyc, need(x, "cycles", JSON_REAL));
			total_add(&macs, need(x, "macs", JSON_REAL));
		}
		if (!w)
			w = 1;
		fprintf(f, "%s %g %g\n", pc->arrays[j], cyc.d / w, macs.d / w);
	}
	xfclose(f, path);
	free(path);
	fprintf(pc->gp, "set output \"%s/simspeed.png\"\n", pc->out);
	fputs("set title \"Simulator speed (Verilator, one thread): simulated cycles and MACs "
	      "per wall second\"\n"
	      "set style data histograms\n"
	      "set style histogram clustered gap 1\n"
	      "set logscale y\n"
	      "set ylabel \"per wall second\"\n"
	      "set xlabel \"array\"\n", pc->gp);
	fprintf(pc->gp, "plot \"%s/simspeed.dat\" using 2:xtic(1) title \"cycles/s\", "
		"\"\" using 3 title \"MACs/s\"\n", pc->out);
	fputs("unset logscale\nset style data points\n", pc->gp);
}

/* The same device run: array (with its model) and memory latency. */
static bool same_device(const struct rec *x, const char *arr, long long lat)
{
	return inum(x, "device_latency") == lat && !strcmp(str(x, "device_array"), arr);
}

static bool same_series(const struct rec *x, const char *arr, long long lat, const char *path,
			const char *job)
{
	return same_device(x, arr, lat) && !strcmp(str(x, "path"), path) &&
	       !strcmp(str(x, "job"), job);
}

/* Jobs/s vs depth on one device run: one line per (path, job). */
static void plot_submit_device(const struct plotctx *pc, const char *arr, long long lat)
{
	const struct recs *sub = &pc->rp->sub;
	FILE *gp = pc->gp;
	bool first = true;

	fprintf(gp, "set output \"%s/submit-%s-lat%lld.png\"\n", pc->out, arr, lat);
	fprintf(gp, "set title \"Jobs per second vs queue depth: guest under TCG, %s device, "
		"memory latency %lld cycles\"\n", arr, lat);
	fputs("set logscale xy\nset xlabel \"queue depth\"\nset ylabel \"jobs/s\"\n"
	      "set xrange [0.7:100]\nplot ", gp);
	for (size_t i = 0; i < sub->n; i++) {
		const char *p = str(sub->r[i], "path"), *job = str(sub->r[i], "job");
		char *name, *path;
		size_t k;
		FILE *f;

		for (k = 0; k < i && !same_series(sub->r[k], arr, lat, p, job); k++)
			;
		if (k < i || !same_device(sub->r[i], arr, lat))
			continue;
		name = fmt("submit-%s-lat%lld-%s-%s.dat", arr, lat, p, job);
		path = join(pc->out, name);
		f = xfopen(path);
		for (k = i; k < sub->n; k++) {
			const struct rec *y = sub->r[k];

			if (same_series(y, arr, lat, p, job))
				fprintf(f, "%lld %g %g %g\n", inum(y, "depth"), num(y, "jobs_per_s"),
					num(y, "p50_us"), num(y, "p99_us"));
		}
		xfclose(f, path);
		fprintf(gp, "%s\"%s\" using 1:2 with linespoints lw 2 dt %d title \"%s %s\"",
			first ? "" : ", ", path, strcmp(p, "uring") ? 2 : 1, p, job);
		first = false;
		free(path);
		free(name);
	}
	fputs("\nunset logscale\nset xrange [*:*]\n", gp);
}

/* One plot per device run (array and model, memory latency), in file order. */
static void plot_submit(const struct plotctx *pc)
{
	const struct recs *sub = &pc->rp->sub;

	for (size_t i = 0; i < sub->n; i++) {
		const char *arr = str(sub->r[i], "device_array");
		long long lat = inum(sub->r[i], "device_latency");
		size_t k;

		for (k = 0; k < i && !same_device(sub->r[k], arr, lat); k++)
			;
		if (k == i)
			plot_submit_device(pc, arr, lat);
	}
}

/* CPU GOPS (zero points 0/0) beside the modeled 16x16 accelerator. */
static void plot_cpu(const struct plotctx *pc)
{
	static const char *const impls[] = { "ref", "gemmlowp", "onednn" };
	const struct recs *cpu = &pc->rp->cpu;
	char **shapes = xrealloc(NULL, (cpu->n + 1) * sizeof(*shapes));
	size_t ns = distinct_shapes(cpu, shapes);
	char *path = join(pc->out, "cpu.dat");
	FILE *f = xfopen(path);

	fputs("shape ref gemmlowp onednn qaccel-16x16@1GHz\n", f);
	for (size_t s = 0; s < ns; s++) {
		const struct rec *a = acc_at(pc->rp, shapes[s]);

		fputs(shapes[s], f);
		for (size_t m = 0; m < 3; m++) {
			const struct rec *r = NULL;

			for (size_t i = 0; i < cpu->n && !r; i++) {
				const struct rec *x = cpu->r[i];

				if (!strcmp(str(x, "impl"), impls[m]) && shape_is(x, shapes[s]) &&
				    num(x, "a_zero_point") == 0 && get(x, "gops"))
					r = x;
			}
			if (r)
				fprintf(f, " %g", num(r, "gops"));
			else
				fputs(" NaN", f);
		}
		if (a)
			fprintf(f, " %g\n", num(a, "modeled_tops") * 1e3);
		else
			fputs(" NaN\n", f);
		free(shapes[s]);
	}
	xfclose(f, path);
	free(path);
	free(shapes);
	fprintf(pc->gp, "set output \"%s/cpu.png\"\n", pc->out);
	fputs("set title \"int8 GEMM, int32 out: CPU wall GOPS (1 thread) vs modeled qaccel "
	      "16x16 at 1 GHz\"\n"
	      "set style data histograms\n"
	      "set style histogram clustered gap 1\n"
	      "set style fill solid 0.8\n"
	      "set xtics rotate by -30\n"
	      "set logscale y\n"
	      "set ylabel \"GOPS (2 ops per MAC)\"\n"
	      "set xlabel \"\"\n"
	      "plot ", pc->gp);
	for (int i = 0; i < 4; i++)
		fprintf(pc->gp, "%s\"%s/cpu.dat\" using %d:xtic(1) title columnheader",
			i ? ", " : "", pc->out, i + 2);
	fputc('\n', pc->gp);
}

static void run_gnuplot(const char *script)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (!pid) {
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		fprintf(stderr, "bench_report: gnuplot: %s\n", strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0)
		die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		die("gnuplot %s failed", script);
}

/* OUTDIR/plots.gp, its data files, then the PNGs. */
static void plots(const struct report *rp)
{
	struct plotctx pc = { .rp = rp, .out = rp->out };
	char *gpath = join(rp->out, "plots.gp");

	pc.arrays = xrealloc(NULL, (rp->hw.n + 1) * sizeof(*pc.arrays));
	for (size_t i = 0; i < rp->hw.n; i++) {
		const char *a = str(rp->hw.r[i], "array");
		int rows, cols;
		size_t j;

		if (!array_dims(a, &rows, &cols))
			die("%s: array \"%s\" is not RxC", rp->hw.r[i]->where, a);
		for (j = 0; j < pc.na && strcmp(pc.arrays[j], a); j++)
			;
		if (j == pc.na)
			pc.arrays[pc.na++] = a;
	}
	qsort(pc.arrays, pc.na, sizeof(*pc.arrays), cmp_array);

	pc.gp = xfopen(gpath);
	plot_header(&pc, 900, 600);
	plot_roofline(&pc);
	plot_utilization(&pc);
	plot_simspeed(&pc);
	plot_submit(&pc);
	if (rp->cpu.n)
		plot_cpu(&pc);
	xfclose(pc.gp, gpath);
	free(pc.arrays);
	run_gnuplot(gpath);
	free(gpath);
}

struct subfile {
	char *path;
	char *array;
	long long lat;
};

static int cmp_subfile(const void *pa, const void *pb)
{
	const struct subfile *a = pa, *b = pb;

	if (a->lat != b->lat)
		return a->lat > b->lat ? -1 : 1;
	return strcmp(a->path, b->path);
}

/*
 * OUTDIR/submit-DEV-latN.jsonl, highest latency first; DEV is the array
 * (RxC: the RTL) or RxC-functional (qaccel-sim's C model).
 */
static void load_submit(struct report *rp)
{
	char *pat = join(rp->out, "submit-*-lat*.jsonl");
	struct subfile *sf;
	glob_t g;
	int rc = glob(pat, GLOB_NOSORT, NULL, &g);

	free(pat);
	if (rc == GLOB_NOMATCH)
		return;
	if (rc)
		die("glob %s/submit-*-lat*.jsonl failed", rp->out);
	sf = xrealloc(NULL, g.gl_pathc * sizeof(*sf));
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *base = strrchr(g.gl_pathv[i], '/');
		const char *mid, *lat;
		char *end;

		base = base ? base + 1 : g.gl_pathv[i];
		mid = strstr(base + strlen("submit-"), "-lat");
		lat = mid ? mid + strlen("-lat") : NULL;
		if (!mid || strstr(lat, "-lat"))
			die("%s: name is not submit-RxC-latN.jsonl", g.gl_pathv[i]);
		sf[i].path = g.gl_pathv[i];
		sf[i].array = fmt("%.*s", (int)(mid - base - strlen("submit-")),
				  base + strlen("submit-"));
		errno = 0;
		sf[i].lat = strtoll(lat, &end, 10);
		if (end == lat || errno || strcmp(end, ".jsonl"))
			die("%s: name is not submit-RxC-latN.jsonl", g.gl_pathv[i]);
	}
	qsort(sf, g.gl_pathc, sizeof(*sf), cmp_subfile);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		size_t first = rp->subr.n;

		load_lines(sf[i].path, &rp->subr);
		for (size_t j = first; j < rp->subr.n; j++) {
			struct rec *x = rp->subr.r[j];

			set_str(x, "device_array", sf[i].array);
			set_int(x, "device_latency", sf[i].lat);
		}
	}
	globfree(&g);
	for (size_t i = 0; i < g.gl_pathc; i++)
		free(sf[i].array);
	free(sf);
}

static void recs_free(struct recs *rs, bool owner)
{
	if (owner)
		for (size_t i = 0; i < rs->n; i++)
			rec_free(rs->r[i]);
	free(rs->r);
}

/* ---- the design-space sweep (bench/sweep.sh) ---- */

/* One grid point: the runs of its bench_hw, by shape. */
struct point {
	const char *array;
	long bw, lat;
	int pes;
	struct recs runs;
	const struct rec **by_shape;	/* NULL where the shape did not run */
	int exit;			/* bench_hw's; -1 if it left no status */
	const char *status;		/* "ok", "wrong", "failed", "incomplete", "missing" */
};

struct sweep {
	struct report rp;
	double wall_s;
	char **arrays, **shapes;
	long *bws, *lats;
	size_t na, nb, nl, ns;
	struct point *pts;	/* (array * nb + bw) * nl + lat */
};

static struct point *point_at(const struct sweep *sw, size_t a, size_t b, size_t l)
{
	return &sw->pts[(a * sw->nb + b) * sw->nl + l];
}

/* The words after "key " on grid.txt's line for key, split at sep. */
static char **grid_words(const char *grid, const char *key, const char *sep, size_t *n)
{
	size_t kl = strlen(key);
	char **w = NULL;

	*n = 0;
	for (const char *line = grid; line && *line; line = strchr(line, '\n'),
	     line = line ? line + 1 : NULL) {
		char *copy, *save = NULL;

		if (strncmp(line, key, kl) || line[kl] != ' ')
			continue;
		copy = fmt("%.*s", (int)strcspn(line + kl + 1, "\n"), line + kl + 1);
		for (char *t = strtok_r(copy, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
			w = xrealloc(w, (*n + 1) * sizeof(*w));
			w[(*n)++] = xstrdup(t);
		}
		free(copy);
		break;
	}
	if (!*n)
		die("grid.txt has no \"%s\" values", key);
	return w;
}

static long *grid_numbers(const char *grid, const char *key, size_t *n)
{
	char **w = grid_words(grid, key, " ", n);
	long *v = xrealloc(NULL, *n * sizeof(*v));

	for (size_t i = 0; i < *n; i++) {
		char *end;

		v[i] = strtol(w[i], &end, 10);
		if (end == w[i] || *end)
			die("grid.txt: %s \"%s\" is not a number", key, w[i]);
		free(w[i]);
	}
	free(w);
	return v;
}

/* A point's records, checked against the point and the workload list. */
static void load_point(const struct sweep *sw, struct point *p)
{
	char *base = fmt("%s/runs/%s-bw%ld-lat%ld", sw->rp.out, p->array, p->bw, p->lat);
	char *path = fmt("%s.json", base), *st;
	bool wrong = false, incomplete = false;
	int rows, cols;

	load_list(path, &p->runs);
	free(path);
	path = fmt("%s.status", base);
	st = slurp(path);
	p->exit = st ? atoi(st) : -1;
	free(st);
	free(path);
	free(base);
	if (!array_dims(p->array, &rows, &cols))
		die("grid.txt: array \"%s\" is not RxC", p->array);
	p->pes = rows * cols;
	p->by_shape = xrealloc(NULL, sw->ns * sizeof(*p->by_shape));
	memset(p->by_shape, 0, sw->ns * sizeof(*p->by_shape));
	for (size_t i = 0; i < p->runs.n; i++) {
		const struct rec *x = p->runs.r[i];
		char *sh = shape(x);
		size_t s;

		if (strcmp(str(x, "array"), p->array) || inum(x, "bytes_per_cycle") != p->bw ||
		    inum(x, "latency") != p->lat)
			die("%s: a run of %s, %lld bytes/cycle, latency %lld in the file of "
			    "%s, %ld, %ld", x->where, str(x, "array"), inum(x, "bytes_per_cycle"),
			    inum(x, "latency"), p->array, p->bw, p->lat);
		for (s = 0; s < sw->ns && strcmp(sw->shapes[s], sh); s++)
			;
		if (s == sw->ns)
			die("%s: shape %s is not in the workload list", x->where, sh);
		free(sh);
		p->by_shape[s] = x;
		if (!get(x, "correct") || !truthy(get(x, "correct")))
			wrong = true;
	}
	for (size_t s = 0; s < sw->ns; s++)
		incomplete |= !p->by_shape[s];
	if (p->exit < 0 && !p->runs.n)
		p->status = "missing";
	else if (wrong)
		p->status = "wrong";
	else if (p->exit)
		p->status = "failed";
	else if (incomplete)
		p->status = "incomplete";
	else
		p->status = "ok";
}

static bool point_ok(const struct point *p)
{
	return !strcmp(p->status, "ok");
}

/* The whole workload list as one program: MACs / (cycles x PEs); NaN if a shape is missing. */
static double workload_util(const struct sweep *sw, const struct point *p)
{
	double macs = 0, cycles = 0;

	if (!point_ok(p))
		return NAN;
	for (size_t s = 0; s < sw->ns; s++) {
		macs += num(p->by_shape[s], "macs");
		cycles += num(p->by_shape[s], "cycles");
	}
	return cycles ? macs / (cycles * p->pes) : NAN;
}

static char *pct(double v)
{
	return isnan(v) ? xstrdup("-") : fmt("%.1f", 100 * v);
}

/* A row's cells: the first n1 fixed, then one per bandwidth. */
static void sweep_row(FILE *o, const struct sweep *sw, int n1, char **first, const double *v)
{
	fputc('|', o);
	for (int i = 0; i < n1; i++) {
		fprintf(o, " %s |", first[i]);
		free(first[i]);
	}
	for (size_t b = 0; b < sw->nb; b++) {
		char *c = pct(v[b]);

		fprintf(o, " %s |", c);
		free(c);
	}
	fputc('\n', o);
}

static void sweep_head(FILE *o, const struct sweep *sw, int n1, const char *const *first)
{
	fputc('|', o);
	for (int i = 0; i < n1; i++)
		fprintf(o, " %s |", first[i]);
	for (size_t b = 0; b < sw->nb; b++)
		fprintf(o, " %ld B/cycle |", sw->bws[b]);
	fputs("\n|", o);
	for (size_t i = 0; i < n1 + sw->nb; i++)
		fputs((int)i < n1 ? " --- |" : " ---: |", o);
	fputc('\n', o);
}

static char *sweep_summary(const struct sweep *sw, size_t *nbad)
{
	static const char *const h1[] = { "array", "latency" };
	static const char *const h2[] = { "M x N x K", "array", "latency" };
	double *v = xrealloc(NULL, sw->nb * sizeof(*v));
	size_t runs = 0, len;
	char *md;
	FILE *o = open_memstream(&md, &len);

	if (!o)
		die("open_memstream: %s", strerror(errno));
	for (size_t i = 0; i < sw->na * sw->nb * sw->nl; i++)
		runs += sw->pts[i].runs.n;
	fprintf(o, "# Design-space sweep\n\n`%s`, %s: %zu points (%zu arrays x %zu bandwidths x "
		"%zu latencies) x %zu shapes, %zu runs, %.0f s wall; %s, %ld cores.\n\n",
		sw->rp.command, sw->rp.date, sw->na * sw->nb * sw->nl, sw->na, sw->nb, sw->nl,
		sw->ns, runs, sw->wall_s, sw->rp.m.cpu, sw->rp.m.cores);

	fputs("## Utilization of the whole workload list, %\n\n"
	      "All shapes back to back: their MACs / (their cycles x PEs).\n\n", o);
	sweep_head(o, sw, 2, h1);
	for (size_t a = 0; a < sw->na; a++)
		for (size_t l = 0; l < sw->nl; l++) {
			char *first[] = { xstrdup(sw->arrays[a]), fmt("%ld", sw->lats[l]) };

			for (size_t b = 0; b < sw->nb; b++)
				v[b] = workload_util(sw, point_at(sw, a, b, l));
			sweep_row(o, sw, 2, first, v);
		}

	fputs("\n## Utilization per shape, %\n\n", o);
	sweep_head(o, sw, 3, h2);
	for (size_t s = 0; s < sw->ns; s++)
		for (size_t a = 0; a < sw->na; a++)
			for (size_t l = 0; l < sw->nl; l++) {
				char *first[] = { xstrdup(sw->shapes[s]), xstrdup(sw->arrays[a]),
						  fmt("%ld", sw->lats[l]) };

				for (size_t b = 0; b < sw->nb; b++) {
					const struct rec *x = point_at(sw, a, b, l)->by_shape[s];

					v[b] = x ? num(x, "utilization") : NAN;
				}
				sweep_row(o, sw, 3, first, v);
			}

	*nbad = 0;
	for (size_t i = 0; i < sw->na * sw->nb * sw->nl; i++)
		*nbad += !point_ok(&sw->pts[i]);
	if (*nbad) {
		fprintf(o, "\n## Failed points: %zu\n\n"
			"`wrong`: a result differed from the reference; `failed`: bench_hw "
			"exited non-zero (a hang, an AXI error, bad arguments); `incomplete`: "
			"a shape has no record; `missing`: the job left nothing (see "
			"`runs/*.err`, `joblog.txt`).\n\n"
			"| array | bytes/cycle | latency | status | exit | runs |\n"
			"| --- | ---: | ---: | --- | ---: | ---: |\n", *nbad);
		for (size_t i = 0; i < sw->na * sw->nb * sw->nl; i++) {
			const struct point *p = &sw->pts[i];

			if (!point_ok(p))
				fprintf(o, "| %s | %ld | %ld | %s | %d | %zu of %zu |\n", p->array,
					p->bw, p->lat, p->status, p->exit, p->runs.n, sw->ns);
		}
	} else {
		fputs("\nEvery point ran every shape; every result matched the reference.\n", o);
	}
	if (fclose(o))
		die("open_memstream: %s", strerror(errno));
	free(v);
	return md;
}

static json_t *json_strings(char **s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_string(s[i])))
			die("out of memory");
	return a;
}

static json_t *json_longs(const long *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		if (json_array_append_new(a, json_integer(v[i])))
			die("out of memory");
	return a;
}

/* sweep.json: the run's context, the grid, the points' status, every run. */
static void write_sweep_json(const struct sweep *sw)
{
	char *path = join(sw->rp.out, "sweep.json");
	json_t *points = json_array(), *runs = json_array();
	json_t *root = json_pack("{s:s, s:{s:s, s:s, s:I}, s:s, s:f, s:f,"
				 " s:{s:o, s:o, s:o, s:o}, s:o, s:o}",
				 "command", sw->rp.command,
				 "machine", "uname", sw->rp.m.uname, "cpu", sw->rp.m.cpu,
				 "cores", (json_int_t)sw->rp.m.cores,
				 "date", sw->rp.date, "wall_s", sw->wall_s,
				 "modeled_clock_hz", CLOCK_HZ,
				 "grid", "arrays", json_strings(sw->arrays, sw->na),
				 "bytes_per_cycle", json_longs(sw->bws, sw->nb),
				 "latencies", json_longs(sw->lats, sw->nl),
				 "shapes", json_strings(sw->shapes, sw->ns),
				 "points", points, "runs", runs);
	FILE *f;

	if (!root)
		die("out of memory");
	for (size_t i = 0; i < sw->na * sw->nb * sw->nl; i++) {
		const struct point *p = &sw->pts[i];

		if (json_array_append_new(points, json_pack("{s:s, s:I, s:I, s:s, s:i, s:I}",
				"array", p->array, "bytes_per_cycle", (json_int_t)p->bw,
				"latency", (json_int_t)p->lat, "status", p->status,
				"exit", p->exit, "runs", (json_int_t)p->runs.n)))
			die("out of memory");
		for (size_t r = 0; r < p->runs.n; r++)
			if (json_array_append(runs, p->runs.r[r]->o))
				die("out of memory");
	}
	f = xfopen(path);
	if (json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(17)))
		die("%s: write error", path);
	fputc('\n', f);
	xfclose(f, path);
	json_decref(root);
	free(path);
}

/* A gnuplot number: "?" (missing, with `set datafile missing "?"`) for NaN. */
static void gp_num(FILE *f, double v)
{
	if (isnan(v))
		fputs(" ?", f);
	else
		fprintf(f, " %.4f", v);
}

/*
 * sweep-util-bw.png: one panel per shape, utilization against bytes per
 * cycle, a line per array size (colour) and latency (dash and point).
 * Data: util-bw-RxC-latL.dat, a row per bandwidth, a column per shape.
 */
static void plot_sweep_util(const struct sweep *sw, FILE *gp)
{
	size_t cols = 1, rows;

	while (cols * cols < sw->ns)
		cols++;
	rows = (sw->ns + cols - 1) / cols;
	for (size_t a = 0; a < sw->na; a++)
		for (size_t l = 0; l < sw->nl; l++) {
			char *path = fmt("%s/util-bw-%s-lat%ld.dat", sw->rp.out, sw->arrays[a],
					 sw->lats[l]);
			FILE *f = xfopen(path);

			for (size_t b = 0; b < sw->nb; b++) {
				const struct point *p = point_at(sw, a, b, l);

				fprintf(f, "%ld", sw->bws[b]);
				for (size_t s = 0; s < sw->ns; s++)
					gp_num(f, p->by_shape[s] ?
					       100 * num(p->by_shape[s], "utilization") : NAN);
				fputc('\n', f);
			}
			xfclose(f, path);
			free(path);
		}
	fprintf(gp, "set output \"%s/sweep-util-bw.png\"\n", sw->rp.out);
	fprintf(gp, "set multiplot layout %zu,%zu title \"Utilization %% against memory "
		"bytes per cycle: colour = array, dash and point = latency (cycles)\"\n",
		rows, cols);
	fputs("set datafile missing \"?\"\nset logscale x 2\nset yrange [0:100]\n"
	      "set xlabel \"bytes/cycle\"\nset ylabel \"util %\"\nset bmargin 4\n", gp);
	fputs("set xtics (", gp);
	for (size_t b = 0; b < sw->nb; b++)
		fprintf(gp, "%s\"%ld\" %ld", b ? ", " : "", sw->bws[b], sw->bws[b]);
	fputs(")\n", gp);
	fprintf(gp, "set xrange [%g:%g]\n", sw->bws[0] / 1.3, sw->bws[sw->nb - 1] * 1.3);
	for (size_t s = 0; s < sw->ns; s++) {
		fprintf(gp, "set title \"%s\"\n", sw->shapes[s]);
		fputs(s ? "unset key\n" : "set key inside bottom right font \",7\"\n", gp);
		fputs("plot ", gp);
		for (size_t a = 0; a < sw->na; a++)
			for (size_t l = 0; l < sw->nl; l++)
				fprintf(gp, "%s\"%s/util-bw-%s-lat%ld.dat\" using 1:%zu with "
					"linespoints lc %zu dt %zu pt %zu title \"%s lat %ld\"",
					a || l ? ", \\\n  " : "", sw->rp.out, sw->arrays[a],
					sw->lats[l], s + 2, a + 1, l + 1, l + 4, sw->arrays[a],
					sw->lats[l]);
		fputc('\n', gp);
	}
	fputs("unset multiplot\nunset logscale\nset xrange [*:*]\nset yrange [*:*]\n"
	      "set xtics autofreq\nset key default\n", gp);
}

/*
 * sweep-heat.png: one heat map per array size, the whole workload list's
 * utilization over bandwidth (x) and latency (y), the value printed in each
 * cell (a box per point: an image needs 2 x 2 points at least).  Data:
 * heat-RxC.dat, "bandwidth index, latency index, util %".
 */
static void plot_sweep_heat(const struct sweep *sw, FILE *gp)
{
	for (size_t a = 0; a < sw->na; a++) {
		char *path = fmt("%s/heat-%s.dat", sw->rp.out, sw->arrays[a]);
		FILE *f = xfopen(path);

		for (size_t b = 0; b < sw->nb; b++) {
			for (size_t l = 0; l < sw->nl; l++) {
				fprintf(f, "%zu %zu", b, l);
				gp_num(f, 100 * workload_util(sw, point_at(sw, a, b, l)));
				fputc('\n', f);
			}
			fputc('\n', f);
		}
		xfclose(f, path);
		free(path);
	}
	fprintf(gp, "set output \"%s/sweep-heat.png\"\n", sw->rp.out);
	fprintf(gp, "set multiplot layout 1,%zu title \"Utilization %% of the whole workload "
		"list (%zu shapes back to back) over memory bandwidth and latency\"\n",
		sw->na, sw->ns);
	fputs("set datafile missing \"?\"\nset cbrange [0:100]\nunset key\nunset grid\n"
	      "set palette defined (0 \"#d73027\", 50 \"#fee08b\", 100 \"#1a9850\")\n"
	      "set xlabel \"bytes/cycle\"\nset ylabel \"latency (cycles)\"\nset bmargin 5\n", gp);
	fprintf(gp, "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\n", sw->nb - 1, sw->nl - 1);
	fputs("set xtics (", gp);
	for (size_t b = 0; b < sw->nb; b++)
		fprintf(gp, "%s\"%ld\" %zu", b ? ", " : "", sw->bws[b], b);
	fputs(")\nset ytics (", gp);
	for (size_t l = 0; l < sw->nl; l++)
		fprintf(gp, "%s\"%ld\" %zu", l ? ", " : "", sw->lats[l], l);
	fputs(")\n", gp);
	for (size_t a = 0; a < sw->na; a++) {
		fprintf(gp, "set title \"%s\"\n", sw->arrays[a]);
		fprintf(gp, "plot \"%s/heat-%s.dat\" using 1:2:(0.5):(0.5):3 with boxxyerror "
			"fs solid 1.0 noborder fc palette, \\\n"
			"  \"\" using 1:2:(sprintf(\"%%.0f\", $3)) with labels\n",
			sw->rp.out, sw->arrays[a]);
	}
	fputs("unset multiplot\nset grid\nset xrange [*:*]\nset yrange [*:*]\n"
	      "set xtics autofreq\nset ytics autofreq\n", gp);
}

static void sweep_plots(const struct sweep *sw)
{
	struct plotctx pc = { .rp = &sw->rp, .out = sw->rp.out };
	size_t cols = 1;
	char *gpath = join(sw->rp.out, "plots.gp");

	while (cols * cols < sw->ns)
		cols++;
	pc.gp = xfopen(gpath);
	plot_header(&pc, 420 * (int)cols, 320 * (int)((sw->ns + cols - 1) / cols) + 60);
	plot_sweep_util(sw, pc.gp);
	plot_header(&pc, 380 * (int)sw->na + 80, 420);
	plot_sweep_heat(sw, pc.gp);
	xfclose(pc.gp, gpath);
	run_gnuplot(gpath);
	free(gpath);
}

/*
 * bench_report --sweep OUTDIR COMMAND WALL_S: OUTDIR/grid.txt (the axes,
 * from bench/sweep.sh) and OUTDIR/runs/RxC-bwB-latL.{json,status} into
 * OUTDIR/sweep.json, summary.md (also on stdout) and the plots.  Exit 1 if
 * a point is not "ok".
 */
static int sweep_report(const char *out, const char *command, const char *wall)
{
	struct sweep sw = { .rp = { .out = out, .command = command } };
	char *gpath = join(out, "grid.txt"), *grid = slurp(gpath);
	time_t now = time(NULL);
	size_t nbad;

	if (!grid)
		die("%s: %s", gpath, strerror(ENOENT));
	sw.wall_s = atof(wall);
	sw.arrays = grid_words(grid, "arrays", " ", &sw.na);
	sw.bws = grid_numbers(grid, "bandwidths", &sw.nb);
	sw.lats = grid_numbers(grid, "latencies", &sw.nl);
	sw.shapes = grid_words(grid, "shapes", ",", &sw.ns);
	free(grid);
	free(gpath);
	machine_info(&sw.rp.m);
	strftime(sw.rp.date, sizeof(sw.rp.date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	sw.pts = xrealloc(NULL, sw.na * sw.nb * sw.nl * sizeof(*sw.pts));
	memset(sw.pts, 0, sw.na * sw.nb * sw.nl * sizeof(*sw.pts));
	for (size_t a = 0; a < sw.na; a++)
		for (size_t b = 0; b < sw.nb; b++)
			for (size_t l = 0; l < sw.nl; l++) {
				struct point *p = point_at(&sw, a, b, l);

				p->array = sw.arrays[a];
				p->bw = sw.bws[b];
				p->lat = sw.lats[l];
				load_point(&sw, p);
			}

	write_sweep_json(&sw);
	emit_summary(out, sweep_summary(&sw, &nbad));
	sweep_plots(&sw);

	for (size_t i = 0; i < sw.na * sw.nb * sw.nl; i++) {
		recs_free(&sw.pts[i].runs, true);
		free(sw.pts[i].by_shape);
	}
	free(sw.pts);
	for (size_t i = 0; i < sw.na; i++)
		free(sw.arrays[i]);
	for (size_t i = 0; i < sw.ns; i++)
		free(sw.shapes[i]);
	free(sw.arrays);
	free(sw.shapes);
	free(sw.bws);
	free(sw.lats);
	free(sw.rp.m.uname);
	free(sw.rp.m.cpu);
	if (nbad)
		fprintf(stderr, "bench_report: %zu of %zu sweep points failed (%s/summary.md)\n",
			nbad, sw.na * sw.nb * sw.nl, out);
	return nbad ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct report rp = { 0 };
	char *path;
	time_t now = time(NULL);

	if (argc == 5 && !strcmp(argv[1], "--sweep"))
		return sweep_report(argv[2], argv[3], argv[4]);
	if (argc != 3) {
		fprintf(stderr, "usage: %s OUTDIR COMMAND\n"
			"       %s --sweep OUTDIR COMMAND WALL_SECONDS\n", argv[0], argv[0]);
		return 2;
	}
	rp.out = argv[1];
	rp.command = argv[2];
	path = join(rp.out, "hw.json");
	load_list(path, &rp.hw);
	free(path);
	path = join(rp.out, "cpu.jsonl");
	load_lines(path, &rp.cpu);
	free(path);
	load_submit(&rp);
	for (size_t i = 0; i < rp.subr.n; i++) {
		if (get(rp.subr.r[i], "path"))
			recs_push(&rp.sub, rp.subr.r[i]);
		if (get(rp.subr.r[i], "uring_over_ioctl"))
			recs_push(&rp.ratios, rp.subr.r[i]);
	}
	machine_info(&rp.m);
	strftime(rp.date, sizeof(rp.date), "%Y-%m-%d %H:%M UTC", gmtime(&now));
	for (size_t i = 0; i < rp.hw.n; i++)
		set_str(rp.hw.r[i], "kind", "gemm-hw");
	for (size_t i = 0; i < rp.cpu.n; i++)
		set_str(rp.cpu.r[i], "kind", "gemm-cpu");
	for (size_t i = 0; i < rp.sub.n; i++)
		set_str(rp.sub.r[i], "kind", "submit");
	for (size_t i = 0; i < rp.ratios.n; i++)
		set_str(rp.ratios.r[i], "kind", "submit-ratio");

	write_results(&rp);
	emit_summary(rp.out, summary(&rp));
	plots(&rp);

	recs_free(&rp.hw, true);
	recs_free(&rp.cpu, true);
	recs_free(&rp.subr, true);
	recs_free(&rp.sub, false);
	recs_free(&rp.ratios, false);
	free(rp.m.uname);
	free(rp.m.cpu);
	return 0;
}
