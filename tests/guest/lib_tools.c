// SPDX-License-Identifier: MIT
/*
 * The command-line tools on the device: qaccel-info (text, --json, --watch,
 * --help, errors), a short qaccel-bench run whose JSON records are
 * checked for their fields, and the copyable example examples/qaccel-batch.  The tools are found next to this program's
 * build directory (build/tests/guest/ -> build/tools/).
 */
#include <limits.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "lib_common.h"

/*
 * build/tools/NAME (or build/examples/NAME for names starting "examples/"),
 * from /proc/self/exe = build/tests/guest/lib_tools.
 */
static void tool_path(const char *name, char *out, size_t len)
{
	char build[PATH_MAX - 64] = "";

	gc_build_dir(build, sizeof(build));
	if (!strncmp(name, "examples/", 9))
		snprintf(out, len, "%s/%s", build, name);
	else
		snprintf(out, len, "%s/tools/%s", build, name);
}

/*
 * Run build/tools/argv[0] with argv, capturing stdout into out (at most
 * len - 1 bytes, NUL-terminated).  Returns its exit status, or -1.
 */
static int run_tool(char *const argv[], char *out, size_t len)
{
	char path[PATH_MAX];
	int pipefd[2], status;
	size_t got = 0;
	pid_t pid;

	tool_path(argv[0], path, sizeof(path));
	if (pipe(pipefd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		close(pipefd[1]);
		execv(path, argv);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], out + got, len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	out[got] = 0;
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char buf[65536];

TEST(info_json_has_every_key)
{
	static const char *const keys[] = {
		"\"devices\"", "\"path\": \"/dev/", "\"driver\"",
		"\"name\": \"qaccel\"", "\"version\"", "\"hw_version\"", "\"array\"",
		"\"rows\"", "\"cols\"", "\"caps\"", "\"caps_mask\"", "\"limits\"",
		"\"max_dim\"", "\"max_bo_size\"", "\"queue_depth\"", "\"counters\"",
		"\"cycles\"", "\"busy_cycles\"", "\"macs\"", "\"dma_read_bytes\"",
		"\"dma_write_bytes\"", "\"jobs\"", "\"utilization\"", "\"busy\"",
		"\"mac\"",
	};
	char *argv[] = { "qaccel-info", "--json", NULL };
	struct qaccel_dev *dev;
	struct qaccel_caps caps;
	char want[64];

	ASSERT_EQ(0, run_tool(argv, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		EXPECT_NE(NULL, strstr(buf, keys[i])) {
			TH_LOG("no %s in %s", keys[i], buf);
		}
	}
	/* The numbers are the library's. */
	ASSERT_EQ(0, qaccel_open(NULL, 0, &dev));
	ASSERT_EQ(0, qaccel_get_caps(dev, &caps));
	snprintf(want, sizeof(want), "\"rows\": %u, \"cols\": %u", caps.rows, caps.cols);
	EXPECT_NE(NULL, strstr(buf, want));
	snprintf(want, sizeof(want), "\"queue_depth\": %u", caps.queue_depth);
	EXPECT_NE(NULL, strstr(buf, want));
	qaccel_close(dev);
	/* Balanced braces and brackets: a cheap well-formedness check. */
	{
		int brace = 0, bracket = 0;

		for (char *p = buf; *p; p++) {
			brace += (*p == '{') - (*p == '}');
			bracket += (*p == '[') - (*p == ']');
		}
		EXPECT_EQ(0, brace);
		EXPECT_EQ(0, bracket);
	}
}

TEST(info_text_names_device_array_and_utilization)
{
	char *argv[] = { "qaccel-info", NULL };

	ASSERT_EQ(0, run_tool(argv, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "qaccel 0: /dev/"));
	EXPECT_NE(NULL, strstr(buf, "array"));
	EXPECT_NE(NULL, strstr(buf, "utilization"));
}

TEST(info_watch_prints_one_sample_per_interval)
{
	char *argv[] = { "qaccel-info", "-i", "0", "--json", "--watch", "1",
			 "--count", "2", NULL };

	ASSERT_EQ(0, run_tool(argv, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "\"devices\""));
	{
		int samples = 0;

		for (char *p = buf; (p = strstr(p, "\"interval_s\"")); p++)
			samples++;
		EXPECT_EQ(2, samples);
	}
}

TEST(info_help_and_errors_have_their_exit_status)
{
	char *help[] = { "qaccel-info", "--help", NULL };
	char *bad[] = { "qaccel-info", "--no-such-option", NULL };
	char *notdev[] = { "qaccel-info", "-d", "/dev/null", NULL };
	char *noidx[] = { "qaccel-info", "-i", "99", NULL };

	EXPECT_EQ(0, run_tool(help, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "usage: qaccel-info"));
	EXPECT_EQ(2, run_tool(bad, buf, sizeof(buf)));
	EXPECT_EQ(1, run_tool(notdev, buf, sizeof(buf)));
	EXPECT_EQ(1, run_tool(noidx, buf, sizeof(buf)));
}

/* The example a new user copies: 100 jobs, an epoll loop, all checked. */
TEST(example_batch_runs_and_every_result_is_right)
{
	char *argv[] = { "examples/qaccel-batch", "100", NULL };

	ASSERT_EQ(0, run_tool(argv, buf, sizeof(buf)));
	EXPECT_NE(NULL, strstr(buf, "100 jobs, 0 wrong")) {
		TH_LOG("%s", buf);
	}
	TH_LOG("%s", buf);
}

FIXTURE(bench) {
	int unused;
};

FIXTURE_SETUP(bench)
{
}

FIXTURE_TEARDOWN(bench)
{
}

/* A short run: every record has its fields; both paths and the ratio. */
TEST_F_TIMEOUT(bench, bench_json_records_have_their_fields, 300)
{
	char *argv[] = { "qaccel-bench", "--jobs", "40", "--depths", "1,8",
			 "--shapes", "nop,4x4x4", "--json", "-", NULL };
	static const char *const fields[] = {
		"\"path\": \"uring\"", "\"path\": \"ioctl\"", "\"job\": \"nop\"",
		"\"job\": \"4x4x4\"", "\"depth\": 8", "\"jobs_per_s\"", "\"p50_us\"",
		"\"p99_us\"", "\"uring_over_ioctl\"",
	};
	int records = 0;

	ASSERT_EQ(0, run_tool(argv, buf, sizeof(buf)));
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		EXPECT_NE(NULL, strstr(buf, fields[i])) {
			TH_LOG("no %s in %s", fields[i], buf);
		}
	}
	for (char *p = buf; (p = strstr(p, "\"jobs_per_s\"")); p++)
		records++;
	/* 2 kinds x 2 depths x 2 paths. */
	EXPECT_EQ(8, records);
}

TEST_HARNESS_MAIN
