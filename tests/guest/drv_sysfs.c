// SPDX-License-Identifier: MIT
/*
 * Introspection: the driver's sysfs group (capabilities, statistics) and
 * its tracepoints.
 */
#include <fcntl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "drv_common.h"

static const char *const files[] = {
	"version", "caps", "array", "max_dim", "submitted", "completed", "failed",
	"timeouts", "resets", "busy_cycles", "macs", "utilization", "queued",
};

TEST(sysfs_files_exist_and_read)
{
	char dir[512], path[600], buf[64];

	ASSERT_EQ(0, drv_sysfs_dir(dir, sizeof(dir)));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		EXPECT_EQ(0, drv_read_str(path, buf, sizeof(buf))) TH_LOG("%s", path);
	}
	snprintf(path, sizeof(path), "%s/array", dir);
	ASSERT_EQ(0, drv_read_str(path, buf, sizeof(buf)));
	EXPECT_NE(NULL, strchr(buf, 'x'));
}

TEST(sysfs_counts_move_with_jobs)
{
	long long sub = drv_stat("submitted"), done = drv_stat("completed");
	long long macs = drv_stat("macs"), busy = drv_stat("busy_cycles");
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd;

	ASSERT_GE(sub, 0);
	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, 12, 10, 14, QACCEL_GEMM_OUT_INT32, 9));
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run(fd, &job, NULL));
	EXPECT_EQ(sub + 1, drv_stat("submitted"));
	EXPECT_EQ(done + 1, drv_stat("completed"));
	EXPECT_GE(drv_stat("macs"), macs + 12 * 10 * 14);
	EXPECT_GT(drv_stat("busy_cycles"), busy);
	EXPECT_GE(drv_stat("utilization"), 0);
	EXPECT_LE(drv_stat("utilization"), 1000);
	uj_case_free(&t);
	close(fd);
}

static const char *const events[] = {
	"qaccel_job_submit", "qaccel_job_start", "qaccel_job_complete",
	"qaccel_job_timeout", "qaccel_reset",
};

TEST(tracepoints_record_a_job)
{
	const char *tr = "/sys/kernel/tracing";
	char path[256], *log;
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd;
	ssize_t n;

	if (access("/sys/kernel/tracing/events", F_OK))
		mount("tracefs", tr, "tracefs", 0, NULL);
	if (access("/sys/kernel/tracing/events", F_OK))
		SKIP(return, "no tracefs");
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		snprintf(path, sizeof(path), "%s/events/qaccel/%s/enable", tr, events[i]);
		ASSERT_EQ(0, access(path, F_OK)) TH_LOG("%s", path);
	}
	ASSERT_EQ(0, drv_write_str("/sys/kernel/tracing/trace", ""));
	ASSERT_EQ(0, drv_write_str("/sys/kernel/tracing/events/qaccel/enable", "1"));

	fd = uj_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, uj_case_init(fd, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 10));
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run(fd, &job, NULL));
	uj_case_free(&t);
	close(fd);

	drv_write_str("/sys/kernel/tracing/events/qaccel/enable", "0");
	log = calloc(1, 1 << 16);
	ASSERT_NE(NULL, log);
	fd = open("/sys/kernel/tracing/trace", O_RDONLY);
	ASSERT_GE(fd, 0);
	n = read(fd, log, (1 << 16) - 1);
	close(fd);
	ASSERT_GT(n, 0);
	EXPECT_NE(NULL, strstr(log, "qaccel_job_submit: job="));
	EXPECT_NE(NULL, strstr(log, "qaccel_job_start: job="));
	EXPECT_NE(NULL, strstr(log, "qaccel_job_complete: job="));
	free(log);
}

TEST_HARNESS_MAIN
