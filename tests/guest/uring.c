// SPDX-License-Identifier: MIT
/*
 * What only the io_uring path has (URING_CMD SQEs built from the uapi,
 * uapi_job.h): user_data carried to the CQE, 64 GEMMs handed over by one
 * io_uring_enter, NOPs in between.  Single jobs on both paths are in
 * submit.c.
 */
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

#define IN_FLIGHT 64

FIXTURE(uring) {
	struct io_uring ring;
	int fd;
};

FIXTURE_SETUP(uring)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, raw_ring(&self->ring, 2 * IN_FLIGHT, true));
}

FIXTURE_TEARDOWN(uring)
{
	io_uring_queue_exit(&self->ring);
	close(self->fd);
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
	static struct uj_case t[IN_FLIGHT];
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

		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 8 + i % 9,
					    8 + i % 5, 16 + i % 7, flags, 100 + i));
		uj_case_job(&t[i], &job);
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
		EXPECT_EQ(-1, uj_case_mismatch(&t[i])) {
			TH_LOG("job %d", i);
		}
		uj_case_free(&t[i]);
	}
}

TEST_F(uring, nops_interleaved_with_gemms_all_complete)
{
	struct uj_case t[8];
	struct drm_qaccel_gemm job, nop = { .op = DRM_QACCEL_OP_NOP };
	unsigned int seen = 0;

	for (int i = 0; i < 8; i++) {
		ASSERT_EQ(0, uj_case_init(self->fd, &t[i], 12, 10, 20,
					    QACCEL_GEMM_OUT_INT8, 200 + i));
		uj_case_job(&t[i], &job);
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
		EXPECT_EQ(-1, uj_case_mismatch(&t[i])) {
			TH_LOG("job %d", i);
		}
		uj_case_free(&t[i]);
	}
}

TEST_HARNESS_MAIN
