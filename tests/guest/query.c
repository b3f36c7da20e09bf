// SPDX-License-Identifier: MIT
/*
 * DRM_IOCTL_QACCEL_GET_PARAM: capabilities, limits, counters, bad params.
 * (That libqaccel reports the same is lib_api.c's.)
 */
#include <stdio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "uapi_job.h"

FIXTURE(query) {
	int fd;
};

FIXTURE_SETUP(query)
{
	self->fd = uj_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(query)
{
	close(self->fd);
}

static int get_param(int fd, uint32_t param, uint32_t pad, uint64_t *value)
{
	struct drm_qaccel_get_param req = { .param = param, .pad = pad };

	*value = 0;
	if (ioctl(fd, DRM_IOCTL_QACCEL_GET_PARAM, &req))
		return -errno;
	*value = req.value;
	return 0;
}

TEST_F(query, driver_name_is_qaccel)
{
	drmVersionPtr v = drmGetVersion(self->fd);

	ASSERT_NE(NULL, v);
	EXPECT_STREQ("qaccel", v->name);
	drmFreeVersion(v);
}

TEST_F(query, hw_version_is_nonzero)
{
	uint64_t v;

	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_HW_VERSION, 0, &v));
	EXPECT_NE(0, v);
	EXPECT_GE(0xffffffffull, v);
	TH_LOG("hardware version %llu.%llu", (unsigned long long)v >> 16,
	       (unsigned long long)v & 0xffff);
}

TEST_F(query, array_rows_and_cols_are_nonzero_and_square)
{
	uint64_t rows, cols;
	const char *want = getenv("QACCEL_ARRAY");

	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_ARRAY_ROWS, 0, &rows));
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_ARRAY_COLS, 0, &cols));
	EXPECT_NE(0, rows);
	EXPECT_NE(0, cols);
	EXPECT_EQ(rows, cols);
	if (want) {
		char got[32];

		snprintf(got, sizeof(got), "%llux%llu", (unsigned long long)rows,
			 (unsigned long long)cols);
		EXPECT_STREQ(want, got);
	}
}

TEST_F(query, max_dim_is_65535)
{
	uint64_t v;

	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_MAX_DIM, 0, &v));
	EXPECT_EQ(65535, v);
}

TEST_F(query, queue_depth_and_max_bo_size_are_usable)
{
	uint64_t depth, max_bo;

	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_QUEUE_DEPTH, 0, &depth));
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_MAX_BO_SIZE, 0, &max_bo));
	EXPECT_GE(depth, 2);
	EXPECT_GE(max_bo, 1 << 20);
}

TEST_F(query, caps_include_every_gemm_feature)
{
	uint64_t caps;

	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_CAPS, 0, &caps));
	EXPECT_EQ(DRM_QACCEL_CAP_GEMM_I32 | DRM_QACCEL_CAP_REQUANT |
		  DRM_QACCEL_CAP_PER_CHANNEL | DRM_QACCEL_CAP_BIAS |
		  DRM_QACCEL_CAP_UINT8_IN, caps & 0x1f);
}

TEST_F(query, cycle_counter_advances_and_counters_read)
{
	enum { CYC, BUSY, MACS, RD, WR, JOBS, NCNT };
	static const uint32_t param[NCNT] = {
		DRM_QACCEL_PARAM_CNT_CYCLES, DRM_QACCEL_PARAM_CNT_BUSY,
		DRM_QACCEL_PARAM_CNT_MACS, DRM_QACCEL_PARAM_CNT_DMA_RD,
		DRM_QACCEL_PARAM_CNT_DMA_WR, DRM_QACCEL_PARAM_CNT_JOBS,
	};
	uint64_t c1[NCNT], c2[NCNT];
	struct drm_qaccel_gemm job;
	struct drm_qaccel_wait w;
	struct uj_case t;

	for (int i = 0; i < NCNT; i++)
		ASSERT_EQ(0, get_param(self->fd, param[i], 0, &c1[i]));
	ASSERT_EQ(0, uj_case_init(self->fd, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 1));
	uj_case_job(&t, &job);
	ASSERT_EQ(0, raw_run(self->fd, &job, &w));
	for (int i = 0; i < NCNT; i++)
		ASSERT_EQ(0, get_param(self->fd, param[i], 0, &c2[i]));
	EXPECT_GT(c2[CYC], c1[CYC]);
	EXPECT_GT(c2[JOBS], c1[JOBS]);
	EXPECT_GE(c2[MACS] - c1[MACS], 8 * 8 * 8);
	EXPECT_GT(c2[RD], c1[RD]);
	EXPECT_GT(c2[WR], c1[WR]);
	EXPECT_GE(c2[BUSY] - c1[BUSY], w.cycles / 2);
	uj_case_free(&t);
}

TEST_F(query, unknown_param_is_einval)
{
	static const uint32_t bad[] = { 7, 8, 15, 22, 100, 0xffffffff };
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, get_param(self->fd, bad[i], 0, &v)) {
			TH_LOG("param %u", bad[i]);
		}
	}
}

TEST_F(query, nonzero_pad_is_einval)
{
	uint64_t v;

	EXPECT_EQ(-EINVAL, get_param(self->fd, DRM_QACCEL_PARAM_MAX_DIM, 1, &v));
}

TEST_HARNESS_MAIN
