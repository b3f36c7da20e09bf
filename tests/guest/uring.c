// SPDX-License-Identifier: MIT
/*
 * Jobs through io_uring URING_CMD (SQE128 command, CQE32 cycles): single
 * GEMMs, 64 in flight at once, NOPs in between; then the same through
 * libqaccel's default path.
 */
#include <poll.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest_common.h"

#define IN_FLIGHT 64

FIXTURE(uring) {
	struct qaccel_dev *dev;
	struct io_uring ring;
	int fd;
};

FIXTURE_SETUP(uring)
{
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));
	self->fd = qaccel_fd(self->dev);
	ASSERT_EQ(0, raw_ring(&self->ring, 2 * IN_FLIGHT, true));
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	qaccel_close(self->dev);
}

TEST_F(uring, gemm_matches_reference_and_cqe32_has_cycles)
{
	struct drm_qaccel_gemm job;
	struct gemm_case t;
	uint64_t cycles = 0;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 31, 27, 45,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 1));
	ASSERT_EQ(0, qa_gemm_encode(self->dev, &t.g, &job));
	ASSERT_EQ(0, raw_uring_run(&self->ring, self->fd,
				   DRM_QACCEL_URING_CMD_GEMM, &job, &cycles));
	EXPECT_GT(cycles, 0);
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	TH_LOG("31x27x45: %llu cycles", (unsigned long long)cycles);
	gemm_case_free(&t);
}

TEST_F(uring, cqe_user_data_is_the_sqe_user_data)
{
	struct drm_qaccel_gemm nop = { .op = DRM_QACCEL_OP_NOP };
	struct io_uring_cqe *cqe;

	ASSERT_NE(NULL, raw_prep_cmd(&self->ring, self->fd,
				     DRM_QACCEL_URING_CMD_GEMM, &nop,
				     0xfedcba9876543210ull));
	ASSERT_EQ(1, io_uring_submit_and_wait(&self->ring, 1));
	ASSERT_EQ(0, io_uring_peek_cqe(&self->ring, &cqe));
	EXPECT_EQ(0xfedcba9876543210ull, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	io_uring_cqe_seen(&self->ring, cqe);
}

TEST_F_TIMEOUT(uring, sixty_four_gemms_in_flight_all_correct, 300)
{
	static struct gemm_case t[IN_FLIGHT];
	bool seen[IN_FLIGHT] = { false };
	struct drm_qaccel_gemm job;
	unsigned int done = 0;

	for (int i = 0; i < IN_FLIGHT; i++) {
		uint32_t flags = (uint32_t[]){
			QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS,
			QACCEL_GEMM_OUT_INT32,
			QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
				QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_PER_CHANNEL,
			QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_B_UINT8,
		}[i % 4];

		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 8 + i % 9,
					    8 + i % 5, 16 + i % 7, flags, 100 + i));
		ASSERT_EQ(0, qa_gemm_encode(self->dev, &t[i].g, &job));
		ASSERT_NE(NULL, raw_prep_cmd(&self->ring, self->fd,
					     DRM_QACCEL_URING_CMD_GEMM, &job, i));
	}
	/* One io_uring_enter hands all 64 to the kernel. */
	ASSERT_EQ(IN_FLIGHT, io_uring_submit(&self->ring));
	while (done < IN_FLIGHT) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		ASSERT_LT(cqe->user_data, IN_FLIGHT);
		EXPECT_FALSE(seen[cqe->user_data]);
		seen[cqe->user_data] = true;
		EXPECT_EQ(0, cqe->res) {
			TH_LOG("job %llu", (unsigned long long)cqe->user_data);
		}
		EXPECT_GT(cqe->big_cqe[0], 0);
		io_uring_cqe_seen(&self->ring, cqe);
		done++;
	}
	for (int i = 0; i < IN_FLIGHT; i++) {
		EXPECT_EQ(-1, gemm_case_mismatch(&t[i])) {
			TH_LOG("job %d", i);
		}
		gemm_case_free(&t[i]);
	}
}

TEST_F(uring, nops_interleaved_with_gemms_all_complete)
{
	struct gemm_case t[8];
	struct drm_qaccel_gemm job, nop = { .op = DRM_QACCEL_OP_NOP };
	unsigned int seen = 0;

	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, gemm_case_init(self->dev, &t[i], 12, 10, 20,
					    QACCEL_GEMM_OUT_INT8, 200 + i));
		ASSERT_EQ(0, qa_gemm_encode(self->dev, &t[i].g, &job));
		ASSERT_NE(NULL, raw_prep_cmd(&self->ring, self->fd,
					     DRM_QACCEL_URING_CMD_GEMM, &job, i));
		ASSERT_NE(NULL, raw_prep_cmd(&self->ring, self->fd,
					     DRM_QACCEL_URING_CMD_GEMM, &nop, 8 + i));
	}
	ASSERT_EQ(16, io_uring_submit(&self->ring));
	for (int i = 0; i < 16; i++) {
		struct io_uring_cqe *cqe;

		ASSERT_EQ(0, io_uring_wait_cqe(&self->ring, &cqe));
		ASSERT_LT(cqe->user_data, 16);
		seen |= 1u << cqe->user_data;
		EXPECT_EQ(0, cqe->res);
		io_uring_cqe_seen(&self->ring, cqe);
	}
	EXPECT_EQ(0xffff, seen);
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(-1, gemm_case_mismatch(&t[i])) {
			TH_LOG("job %d", i);
		}
		gemm_case_free(&t[i]);
	}
}

TEST_F(uring, library_gemm_run_matches_reference)
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

TEST_F_TIMEOUT(uring, library_batch_completes_in_order_with_tags, 300)
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

TEST_F(uring, library_wait_with_zero_timeout_does_not_block)
{
	struct qaccel_completion done[1];

	EXPECT_EQ(0, qaccel_wait(self->dev, done, 1, 1, 0));
	ASSERT_EQ(0, qaccel_submit_nop(self->dev, 7));
	EXPECT_EQ(1, qaccel_wait(self->dev, done, 1, 1, 10000));
	EXPECT_EQ(7, done[0].tag);
}

TEST_F(uring, library_uring_and_ioctl_paths_agree)
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
TEST_F_TIMEOUT(uring, library_queue_limit_and_order_on_both_paths, 300)
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

TEST_F(uring, library_poll_fd_becomes_readable_on_completion)
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

TEST_F(uring, library_submit_stays_in_user_space_until_flush)
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
