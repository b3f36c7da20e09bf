// SPDX-License-Identifier: MIT
/*
 * libqaccel's two submission paths through its public API: the ioctl path
 * (QACCEL_OPEN_IOCTL) batches jobs per flush and reports a refused job in
 * its place; the default io_uring path queues in user space until a flush
 * or wait, keeps the queue limit and order, and agrees with the ioctl path.
 */
#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <xf86drm.h>

#include "kselftest_harness.h"
#include "lib_common.h"

#define IN_FLIGHT 64

FIXTURE(lib_ioctl) {
	struct qaccel_dev *dev;
	int fd;
};

FIXTURE_SETUP(lib_ioctl)
{
	ASSERT_EQ(0, qaccel_open(NULL, QACCEL_OPEN_IOCTL, &self->dev));
	self->fd = qaccel_fd(self->dev);
}

FIXTURE_TEARDOWN(lib_ioctl)
{
	qaccel_close(self->dev);
}

TEST_F(lib_ioctl, ioctl_path_runs_gemm)
{
	struct qaccel_completion done;
	struct gemm_case t;

	ASSERT_EQ(QACCEL_PATH_IOCTL, qaccel_get_path(self->dev));
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 33, 31, 35,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 20));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &done));
	EXPECT_EQ(0, done.status);
	EXPECT_GT(done.cycles, 0);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	gemm_case_free(&t);
}

TEST_F(lib_ioctl, ioctl_path_batches_and_reports_bad_job_in_place)
{
	struct qaccel_completion done[5];
	struct gemm_case t[4];
	int got = 0;

	for (int i = 0; i < 4; i++)
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 5, 6, 7,
					    QACCEL_GEMM_OUT_INT8, 30 + i));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[0].g, 100));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[1].g, 101));
	/* freed behind the library's back: the kernel refuses this one */
	{
		struct drm_gem_close cl = { .handle = qaccel_buf_handle(t[2].b) };

		ASSERT_EQ(0, ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &cl));
	}
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[2].g, 102));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 103));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t[3].g, 104));
	EXPECT_EQ(5, qaccel_inflight(self->dev));
	while (got < 5) {
		int n = qaccel_wait(self->dev, done + got, 5 - got, 1, 10000);

		ASSERT_GT(n, 0);
		got += n;
	}
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(100 + i, done[i].tag);
	EXPECT_EQ(0, done[0].status);
	EXPECT_EQ(0, done[1].status);
	EXPECT_EQ(-ENOENT, done[2].status);
	EXPECT_EQ(0, done[3].status);
	EXPECT_EQ(0, done[4].status);
	EXPECT_EQ(-1, gemm_case_mismatch(&t[0]));
	EXPECT_EQ(-1, gemm_case_mismatch(&t[1]));
	EXPECT_EQ(-1, gemm_case_mismatch(&t[3]));
	for (int i = 0; i < 4; i++)
		gemm_case_free(&t[i]);
}

FIXTURE(lib_uring) {
	struct qaccel_dev *dev;
};

FIXTURE_SETUP(lib_uring)
{
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));
}

FIXTURE_TEARDOWN(lib_uring)
{
	qaccel_close(self->dev);
}

TEST_F(lib_uring, gemm_run_matches_reference)
{
	struct qaccel_completion done;
	struct gemm_case t;

	ASSERT_EQ(QACCEL_PATH_URING, qaccel_get_path(self->dev));
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 64, 48, 80,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS |
				    QACCEL_GEMM_PER_CHANNEL, 300));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &done));
	EXPECT_EQ(0, done.tag);
	EXPECT_GT(done.cycles, 0);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	gemm_case_free(&t);
}

TEST_F_TIMEOUT(lib_uring, batch_completes_in_order_with_tags, 300)
{
	static struct gemm_case t[IN_FLIGHT];
	struct qaccel_completion done[2 * IN_FLIGHT];
	unsigned int got = 0;

	for (int i = 0; i < IN_FLIGHT; i++) {
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 9, 7, 11 + i % 3,
					    QACCEL_GEMM_OUT_INT8, 400 + i));
		ASSERT_EQ(0, qaccel_submit(self->dev, &t[i].g, 1000 + 2 * i));
		ASSERT_EQ(0, qaccel_submit_nop(self->dev, 1001 + 2 * i));
	}
	EXPECT_EQ(2 * IN_FLIGHT, qaccel_inflight(self->dev));
	while (got < 2 * IN_FLIGHT) {
		int n = qaccel_wait(self->dev, done + got, 2 * IN_FLIGHT - got,
				    1, 10000);

		ASSERT_GT(n, 0);
		got += n;
	}
	EXPECT_EQ(0, qaccel_inflight(self->dev));
	for (unsigned int i = 0; i < 2 * IN_FLIGHT; i++) {
		EXPECT_EQ(0, done[i].status);
		if (i % 2 == 0)
			EXPECT_GT(done[i].cycles, 0);
	}
	/* GEMMs complete in submission order among themselves. */
	for (unsigned int i = 0, last = 0; i < 2 * IN_FLIGHT; i++) {
		if (done[i].tag % 2)
			continue;
		EXPECT_GE(done[i].tag, last);
		last = (unsigned int)done[i].tag;
	}
	for (int i = 0; i < IN_FLIGHT; i++) {
		EXPECT_EQ(-1, gemm_case_mismatch(&t[i])) {
			TH_LOG("job %d", i);
		}
		gemm_case_free(&t[i]);
	}
}

TEST_F(lib_uring, wait_with_zero_timeout_does_not_block)
{
	struct qaccel_completion done[1];

	EXPECT_EQ(0, qaccel_wait(self->dev, done, 1, 1, 0));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 7));
	EXPECT_EQ(1, qaccel_wait(self->dev, done, 1, 1, 10000));
	EXPECT_EQ(7, done[0].tag);
}

TEST_F(lib_uring, uring_and_ioctl_paths_agree)
{
	struct qaccel_completion d1, d2;
	struct gemm_case t;
	uint8_t *first;
	size_t bytes;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 20, 20, 20,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 500));
	bytes = (size_t)20 * 20;
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &d1));
	first = malloc(bytes);
	ASSERT_NE(NULL, first);
	memcpy(first, t.pc, bytes);
	memset(t.pc, 0, bytes);
	ASSERT_EQ(0, qaccel_set_path(self->dev, QACCEL_PATH_IOCTL));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &d2));
	EXPECT_EQ(0, memcmp(first, t.pc, bytes));
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	free(first);
	gemm_case_free(&t);
}

/* Both paths: more jobs than the SQ (or one ioctl) holds, the limit, wrap-around. */
TEST_F_TIMEOUT(lib_uring, queue_limit_and_order_on_both_paths, 300)
{
	static struct qaccel_completion done[QACCEL_MAX_INFLIGHT];

	for (int round = 0; round < 4; round++) {
		unsigned int got = 0;

		ASSERT_EQ(0, qaccel_set_path(self->dev, round % 2 ? QACCEL_PATH_IOCTL
							      : QACCEL_PATH_URING));
		for (unsigned int i = 0; i < QACCEL_MAX_INFLIGHT; i++)
			ASSERT_EQ(0, qaccel_submit_nop(self->dev, round * 1000 + i));
		EXPECT_EQ(-EBUSY, qaccel_submit_nop(self->dev, 99999));
		EXPECT_EQ(-EBUSY, qaccel_set_path(self->dev, round % 2 ? QACCEL_PATH_URING
								       : QACCEL_PATH_IOCTL));
		while (got < QACCEL_MAX_INFLIGHT) {
			int n = qaccel_wait(self->dev, done + got,
					    QACCEL_MAX_INFLIGHT - got, 1, 10000);

			ASSERT_GT(n, 0);
			got += n;
		}
		for (unsigned int i = 0; i < QACCEL_MAX_INFLIGHT; i++) {
			EXPECT_EQ(round * 1000 + i, done[i].tag);
			EXPECT_EQ(0, done[i].status);
		}
		EXPECT_EQ(0, qaccel_inflight(self->dev));
	}
}

TEST_F(lib_uring, poll_fd_becomes_readable_on_completion)
{
	struct qaccel_completion done;
	struct pollfd pfd = { .events = POLLIN };

	pfd.fd = qaccel_poll_fd(self->dev);
	ASSERT_GE(pfd.fd, 0);
	EXPECT_EQ(0, poll(&pfd, 1, 0));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 5));
	ASSERT_EQ(1, qaccel_flush(self->dev));
	EXPECT_EQ(1, poll(&pfd, 1, 10000));
	EXPECT_TRUE(pfd.revents & POLLIN);
	EXPECT_EQ(1, qaccel_wait(self->dev, &done, 1, 0, 0));
	EXPECT_EQ(5, done.tag);
	ASSERT_EQ(0, qaccel_set_path(self->dev, QACCEL_PATH_IOCTL));
	EXPECT_EQ(-EOPNOTSUPP, qaccel_poll_fd(self->dev));
}

TEST_F(lib_uring, submit_stays_in_user_space_until_flush)
{
	struct qaccel_completion done;
	struct gemm_case t;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT8, 600));
	ASSERT_EQ(0, qaccel_submit(self->dev, &t.g, 1));
	usleep(200 * 1000);
	/* not handed to the kernel: C is still the fill pattern */
	EXPECT_EQ(0x5a, ((uint8_t *)t.pc)[0]);
	EXPECT_EQ(0x5a, ((uint8_t *)t.pc)[63]);
	EXPECT_EQ(1, qaccel_wait(self->dev, &done, 1, 1, 10000));
	EXPECT_EQ(0, done.status);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	gemm_case_free(&t);
}

TEST_HARNESS_MAIN
