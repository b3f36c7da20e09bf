// SPDX-License-Identifier: MIT
/*
 * ONNX models on the device, byte for byte against ONNX Runtime
 * (docs/models.md).  Every case under build/onnx/cases/ (ONNX's
 * conformance cases and random ones, tests/onnx/gen_cases.py, with ONNX
 * Runtime's outputs in CASE/ort/, tests/onnx/ort_run.js) is run through
 * build/onnx/qaccel-run --compare CASE/ort.  On the RTL device only the
 * first case of each combination of ops runs, to keep make check short;
 * the functional device runs them all.  A case with an "expect" file (a
 * QDQ graph ONNX Runtime runs in float) must be refused at load.  Per-op
 * counts are printed as comments.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib_common.h"

#define MAX_CASES	512
#define MAX_TALLIES	48

/* snprintf into an array; false when the path did not fit. */
#define PATHF(buf, ...) (snprintf(buf, sizeof(buf), __VA_ARGS__) < (int)sizeof(buf))

struct case_run {
	int status;		/* qaccel-run's exit status, -1 if it died */
	char err[2048];		/* its stderr */
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case directories' names, sorted; returns how many. */
static int list_cases(const char *dir, char **names)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < MAX_CASES)
		if (e->d_name[0] != '.')
			names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, (size_t)n, sizeof(*names), cmp_str);
	return n;
}

static void read_small(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t got = 0;

	if (f) {
		got = fread(out, 1, len - 1, f);
		fclose(f);
	}
	out[got] = 0;
	if (got && out[got - 1] == '\n')
		out[got - 1] = 0;
}

static void run_case(const char *build, const char *cdir, struct case_run *r)
{
	char qrun[PATH_MAX], model[PATH_MAX], ort[PATH_MAX];
	char inputs[8][PATH_MAX + 8];
	char *argv[24];
	int argc = 0, pipefd[2], st;
	size_t got = 0;
	pid_t pid;

	r->status = -1;
	r->err[0] = 0;
	if (!PATHF(qrun, "%s/onnx/qaccel-run", build) || !PATHF(model, "%s/model.onnx", cdir) ||
	    !PATHF(ort, "%s/ort", cdir))
		return;
	argv[argc++] = "qaccel-run";
	argv[argc++] = model;
	for (int i = 0; i < 8; i++) {
		if (!PATHF(inputs[i], "%s/test_data_set_0/input_%d.pb", cdir, i) ||
		    access(inputs[i], R_OK))
			break;
		argv[argc++] = "--input";
		argv[argc++] = inputs[i];
	}
	argv[argc++] = "--compare";
	argv[argc++] = ort;
	argv[argc] = NULL;
	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(qrun, argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], r->err + got, sizeof(r->err) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(r->err) - 1)
			break;
	}
	r->err[got] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &st, 0) == pid && WIFEXITED(st))
		r->status = WEXITSTATUS(st);
}

/* Per-op tallies of one test. */
struct tally {
	char op[64];
	int compared, mismatched, rejected, failed;
};

/* Has a case of these ops run in this test already? */
static bool tally_seen(const struct tally *t, int n, const char *ops)
{
	for (int i = 0; i < n; i++)
		if (!strncmp(t[i].op, ops, sizeof(t[i].op) - 1))
			return true;
	return false;
}

static struct tally *tally_of(struct tally *t, int *n, const char *op)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(t[i].op, op))
			return &t[i];
	if (*n == MAX_TALLIES)	/* the last one collects the rest */
		return &t[*n - 1];
	memset(&t[*n], 0, sizeof(t[*n]));
	snprintf(t[*n].op, sizeof(t[*n].op), "%s", op);
	return &t[(*n)++];
}

/*
 * Run the cases whose ops file satisfies want(); returns the number of
 * failures: a difference, a crash, or (when must_run) a rejection; with
 * name_op, a rejection must name the case's op.
 */
static int run_group(struct __test_metadata *_metadata, bool (*want)(const char *ops),
		     bool must_run, bool name_op)
{
	char build[PATH_MAX - 64] = "", dir[PATH_MAX], cdir[PATH_MAX], ops[256];
	char *names[MAX_CASES];
	struct tally tallies[MAX_TALLIES];
	struct qaccel_dev *dev;
	struct qaccel_caps caps;
	int n, ran = 0, fails = 0, nt = 0;
	bool rtl;

	ASSERT_EQ(0, gc_build_dir(build, sizeof(build)));
	ASSERT_EQ(0, qaccel_open(NULL, 0, &dev));
	ASSERT_EQ(0, qaccel_get_caps(dev, &caps));
	qaccel_close(dev);
	rtl = !(caps.caps & QACCEL_CAP_FUNCTIONAL);
	ASSERT_TRUE(PATHF(dir, "%s/onnx/cases", build));
	n = list_cases(dir, names);
	ASSERT_GT(n, 0) TH_LOG("no cases in %s (make onnx-cases)", dir);
	for (int i = 0; i < n; i++) {
		struct case_run r;
		struct tally *t;
		char ort_err[PATH_MAX + 8], opsf[PATH_MAX + 8], expect[PATH_MAX + 8];
		bool refuse;

		if (!PATHF(cdir, "%s/%s", dir, names[i]) || !PATHF(ort_err, "%s/ort/ERROR", cdir) ||
		    !PATHF(opsf, "%s/ops", cdir)) {
			free(names[i]);
			fails++;
			continue;
		}
		read_small(opsf, ops, sizeof(ops));
		if (!want(ops) || !access(ort_err, F_OK) || (rtl && tally_seen(tallies, nt, ops))) {
			free(names[i]);
			continue;
		}
		/* A case whose graph ONNX Runtime runs in float must be refused at load. */
		refuse = PATHF(expect, "%s/expect", cdir) && !access(expect, F_OK);
		ran++;
		run_case(build, cdir, &r);
		t = tally_of(tallies, &nt, ops);
		if (refuse) {
			if (r.status == 3) {
				t->rejected++;
				ksft_print_msg("%s refused as expected: %s", names[i], r.err);
			} else {
				t->failed++;
				fails++;
				TH_LOG("%s: should be refused at load, qaccel-run exit %d: %s",
				       names[i], r.status, r.err);
			}
		} else if (r.status == 0) {
			t->compared++;
		} else if (r.status == 1) {
			t->compared++;
			t->mismatched++;
			fails++;
			TH_LOG("%s: differs from ONNX Runtime: %s", names[i], r.err);
		} else if (r.status == 3 && !must_run &&
			   (!name_op || strstr(r.err, ops))) {
			t->rejected++;
			ksft_print_msg("%s rejected: %s", names[i], r.err);
		} else {
			t->failed++;
			fails++;
			TH_LOG("%s: qaccel-run exit %d: %s", names[i], r.status, r.err);
		}
		free(names[i]);
	}
	for (int i = 0; i < nt; i++)
		ksft_print_msg("op %s: %d compared, %d mismatches, %d rejected, %d failed\n",
			       tallies[i].op, tallies[i].compared, tallies[i].mismatched,
			       tallies[i].rejected, tallies[i].failed);
	/* The harness's child leaves by _exit(): flush what it printed. */
	fflush(stdout);
	EXPECT_GT(ran, 0);
	return fails;
}

static bool integer_gemm(const char *ops)
{
	return strstr(ops, "Integer") != NULL;
}

/* The quantized ops with their own scales: QLinear*, QGemm. */
static bool qlinear(const char *ops)
{
	return !strncmp(ops, "QLinear", 7) || !strcmp(ops, "QGemm");
}

/*
 * Graphs with values the loader folds into constants (Constant, Shape,
 * ConstantOfShape, Cast nodes: PyTorch's export and its patterns).
 */
static bool folded(const char *ops)
{
	return strstr(ops, "Constant") || strstr(ops, "Shape") || strstr(ops, "Cast");
}

/* Graphs in the QDQ format: Q and DQ around float ops. */
static bool qdq(const char *ops)
{
	return strstr(ops, "QuantizeLinear+") && strstr(ops, "DequantizeLinear") && !folded(ops);
}

/* Data movement, standalone Q / DQ, float Add, Relu, Clip. */
static bool host_ops(const char *ops)
{
	return !integer_gemm(ops) && !qlinear(ops) && !qdq(ops) && !folded(ops);
}

/* Each case costs about half a second in the TCG guest. */
FIXTURE(onnx) {};
FIXTURE_SETUP(onnx) {}
FIXTURE_TEARDOWN(onnx) {}

/* MatMulInteger / ConvInteger cases (and chains through them) all run and match. */
TEST_F_TIMEOUT(onnx, integer_gemm_cases_match_onnxruntime, 600)
{
	EXPECT_EQ(0, run_group(_metadata, integer_gemm, true, false));
}

/*
 * Host-side cases (data movement, QuantizeLinear, DequantizeLinear, float
 * Add / Relu / Clip) match, or are rejected at load with a reason (a type
 * or variant this version does not do, e.g. 3-D MaxPool, int8 Clip).
 */
TEST_F_TIMEOUT(onnx, host_op_cases_match_or_are_rejected, 600)
{
	EXPECT_EQ(0, run_group(_metadata, host_ops, false, false));
}

/*
 * QLinearMatMul / QLinearConv / QGemm (device GEMM with the FP32
 * requantization on the device) and QLinearAdd match, or are rejected at
 * load naming the op (e.g. a batched B).
 */
TEST_F_TIMEOUT(onnx, qlinear_cases_match_onnxruntime_or_are_rejected, 600)
{
	EXPECT_EQ(0, run_group(_metadata, qlinear, false, true));
}

/*
 * QDQ graphs: the units ONNX Runtime fuses run fused (on the device) and
 * match; the ones it runs in float (marked by the generator) are refused
 * at load; nothing else may be refused.
 */
TEST_F_TIMEOUT(onnx, qdq_cases_match_onnxruntime_or_are_refused_as_expected, 600)
{
	EXPECT_EQ(0, run_group(_metadata, qdq, true, false));
}

/*
 * Exported graphs (PyTorch's, and the generator's in its style): constants
 * folded at load, Casts removed or run, QDQ units fused; all match, but
 * the ones marked to be refused (a float to int8 Cast, constants into an
 * op without a kernel), which must be.
 */
TEST_F_TIMEOUT(onnx, folded_graph_cases_match_onnxruntime_or_are_refused_as_expected, 600)
{
	EXPECT_EQ(0, run_group(_metadata, folded, true, false));
}

/*
 * The comparison can fail: one byte changed in ONNX Runtime's output makes
 * qaccel-run exit 1 naming the output and the element.
 */
TEST_F_TIMEOUT(onnx, compare_names_the_first_differing_element, 120)
{
	char build[PATH_MAX - 64] = "", cdir[PATH_MAX], src[PATH_MAX + 16], dst[PATH_MAX + 16];
	char tmp[] = "/tmp/onnx_cmp.XXXXXX", qrun[PATH_MAX], model[PATH_MAX + 16];
	char input[PATH_MAX + 32], err[2048];
	unsigned char data[1 << 16];
	int pipefd[2], st, out_fd;
	size_t len, got = 0;
	FILE *f;
	pid_t pid;

	ASSERT_EQ(0, gc_build_dir(build, sizeof(build)));
	ASSERT_TRUE(PATHF(cdir, "%s/onnx/cases/random_matmulinteger_0", build));
	ASSERT_TRUE(PATHF(src, "%s/ort/Y.pb", cdir));
	ASSERT_NE(NULL, mkdtemp(tmp));
	ASSERT_TRUE(PATHF(dst, "%s/Y.pb", tmp));
	f = fopen(src, "rb");
	ASSERT_NE(NULL, f);
	len = fread(data, 1, sizeof(data), f);
	fclose(f);
	ASSERT_GT(len, 8);
	/* raw_data is the last field: this is the last element's top byte. */
	data[len - 1] ^= 0x40;
	out_fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ASSERT_EQ((ssize_t)len, write(out_fd, data, len));
	close(out_fd);

	ASSERT_TRUE(PATHF(qrun, "%s/onnx/qaccel-run", build));
	ASSERT_TRUE(PATHF(model, "%s/model.onnx", cdir));
	ASSERT_TRUE(PATHF(input, "%s/test_data_set_0/input_0.pb", cdir));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execl(qrun, "qaccel-run", model, "--input", input, "--compare", tmp, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], err + got, sizeof(err) - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(err) - 1)
			break;
	}
	err[got] = 0;
	close(pipefd[0]);
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	unlink(dst);
	rmdir(tmp);
	ASSERT_TRUE(WIFEXITED(st));
	EXPECT_EQ(1, WEXITSTATUS(st)) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "output 'Y' differs from")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, "at element ")) TH_LOG("%s", err);
}

TEST_HARNESS_MAIN
