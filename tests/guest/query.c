// SPDX-License-Identifier: MIT
/*
 * DRM_IOCTL_QACCEL_GET_PARAM: capabilities, limits, counters, bad params;
 * and that libqaccel reports the same.
 */
#include <stdio.h>

#include "kselftest_harness.h"
#include "guest_common.h"

FIXTURE(query) {
	struct qaccel_dev *dev;
	int fd;
};

FIXTURE_SETUP(query)
{
	ASSERT_EQ(0, qaccel_open(NULL, QACCEL_OPEN_IOCTL, &self->dev));
	self->fd = qaccel_fd(self->dev);
}

FIXTURE_TEARDOWN(query)
{
	qaccel_close(self->dev);
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

TEST_F(query, library_caps_match_the_ioctl)
{
	struct qaccel_caps caps;
	uint64_t v;

	ASSERT_EQ(0, qaccel_get_caps(self->dev, &caps));
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_ARRAY_ROWS, 0, &v));
	EXPECT_EQ(v, caps.rows);
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_ARRAY_COLS, 0, &v));
	EXPECT_EQ(v, caps.cols);
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_MAX_DIM, 0, &v));
	EXPECT_EQ(v, caps.max_dim);
	ASSERT_EQ(0, get_param(self->fd, DRM_QACCEL_PARAM_MAX_BO_SIZE, 0, &v));
	EXPECT_EQ(v, caps.max_bo_size);
	EXPECT_STREQ("qaccel", caps.driver);
}

TEST_F(query, cycle_counter_advances_and_counters_read)
{
	struct qaccel_counters c1, c2;
	struct qaccel_completion done;
	struct gemm_case t;

	ASSERT_EQ(0, qaccel_get_counters(self->dev, &c1));
	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 8, 8, 8, QACCEL_GEMM_OUT_INT32, 1));
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, &done));
	ASSERT_EQ(0, qaccel_get_counters(self->dev, &c2));
	EXPECT_GT(c2.cycles, c1.cycles);
	EXPECT_GT(c2.jobs, c1.jobs);
	EXPECT_GE(c2.macs - c1.macs, 8 * 8 * 8);
	EXPECT_GT(c2.dma_read_bytes, c1.dma_read_bytes);
	EXPECT_GT(c2.dma_write_bytes, c1.dma_write_bytes);
	EXPECT_GE(c2.busy_cycles - c1.busy_cycles, done.cycles / 2);
	gemm_case_free(&t);
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
