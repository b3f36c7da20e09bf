// SPDX-License-Identifier: MIT
/*
 * libqaccel argument checking and GEMM encoding, on the host without a
 * device.  Links the static library so that it can build a stand-in
 * qaccel_dev (its fd is -1: anything that reached the kernel would fail
 * with -EBADF, which the tests would see) and call the one encoder,
 * qa_gemm_encode(), directly.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "qaccel_internal.h"

FIXTURE(fake_dev) {
	struct qaccel_dev dev, other;
	struct qaccel_buf a, b, c, bias, quant, foreign;
	struct qaccel_gemm g;
};

static void init_buf(struct qaccel_buf *buf, struct qaccel_dev *dev,
		     uint32_t handle, size_t size)
{
	memset(buf, 0, sizeof(*buf));
	buf->dev = dev;
	buf->handle = handle;
	buf->size = size;
}

/* A 4x8 (int8) times 8x3 job with int8 output; every buffer exactly fits. */
FIXTURE_SETUP(fake_dev)
{
	memset(&self->dev, 0, sizeof(self->dev));
	self->dev.fd = -1;
	self->dev.path = QACCEL_PATH_IOCTL;
	self->dev.caps.max_bo_size = 1 << 20;
	self->other = self->dev;
	init_buf(&self->a, &self->dev, 1, 4 * 8);
	init_buf(&self->b, &self->dev, 2, 3 * 8);
	init_buf(&self->c, &self->dev, 3, 4 * 3);
	init_buf(&self->bias, &self->dev, 4, 3 * 4);
	init_buf(&self->quant, &self->dev, 5, 3 * 8);
	init_buf(&self->foreign, &self->other, 6, 4096);
	memset(&self->g, 0, sizeof(self->g));
	self->g.params = (struct qaccel_gemm_params) {
		.m = 4, .n = 3, .k = 8, .lda = 8, .ldb = 8, .ldc = 3,
		.flags = QACCEL_GEMM_OUT_INT8,
		.a_zero_point = -128, .b_zero_point = 127, .c_zero_point = -5,
		.clamp_min = -100, .clamp_max = 100,
		.out_multiplier = 1 << 30, .out_shift = -3,
	};
	self->g.a.buf = &self->a;
	self->g.b.buf = &self->b;
	self->g.c.buf = &self->c;
}

FIXTURE_TEARDOWN(fake_dev)
{
}

TEST_F(fake_dev, encode_fills_every_field)
{
	struct drm_qaccel_gemm j;

	memset(&j, 0xa5, sizeof(j));
	ASSERT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(DRM_QACCEL_OP_GEMM, j.op);
	EXPECT_EQ(DRM_QACCEL_GEMM_OUT_INT8, j.flags);
	EXPECT_EQ(4, j.m);
	EXPECT_EQ(3, j.n);
	EXPECT_EQ(8, j.k);
	EXPECT_EQ(8, j.lda);
	EXPECT_EQ(8, j.ldb);
	EXPECT_EQ(3, j.ldc);
	EXPECT_EQ(1, j.a_handle);
	EXPECT_EQ(2, j.b_handle);
	EXPECT_EQ(3, j.c_handle);
	EXPECT_EQ(0, j.bias_handle);
	EXPECT_EQ(0, j.quant_handle);
	EXPECT_EQ(1 << 30, j.out_multiplier);
	EXPECT_EQ(-3, j.out_shift);
	EXPECT_EQ(0, j.pad[0] | j.pad[1] | j.pad[2]);
}

TEST_F(fake_dev, encode_zero_points_and_clamps_as_u8_bits)
{
	struct drm_qaccel_gemm j;

	ASSERT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(0x80, j.a_zero_point);
	EXPECT_EQ(0x7f, j.b_zero_point);
	EXPECT_EQ(0xfb, j.c_zero_point);
	EXPECT_EQ(0x9c, j.clamp_min);
	EXPECT_EQ(0x64, j.clamp_max);

	self->g.params.flags = QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
			       QACCEL_GEMM_B_UINT8;
	self->g.params.a_zero_point = 255;
	self->g.params.b_zero_point = 0;
	self->g.params.c_zero_point = 128;
	self->g.params.clamp_min = 0;
	self->g.params.clamp_max = 255;
	ASSERT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(0xff, j.a_zero_point);
	EXPECT_EQ(0x00, j.b_zero_point);
	EXPECT_EQ(0x80, j.c_zero_point);
	EXPECT_EQ(0x00, j.clamp_min);
	EXPECT_EQ(0xff, j.clamp_max);
}

TEST_F(fake_dev, encode_int32_output_clears_requant_fields)
{
	struct drm_qaccel_gemm j;

	self->g.params.flags = QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_PER_CHANNEL;
	self->g.params.ldc = 12;
	self->c.size = 4 * 12;
	ASSERT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(DRM_QACCEL_GEMM_OUT_INT32, j.flags);
	EXPECT_EQ(0, j.out_multiplier);
	EXPECT_EQ(0, j.out_shift);
	EXPECT_EQ(0, j.c_zero_point);
	EXPECT_EQ(0, j.clamp_min);
	EXPECT_EQ(0, j.clamp_max);
	EXPECT_EQ(0, j.quant_handle);
}

TEST_F(fake_dev, encode_bias_and_per_channel_buffers)
{
	struct drm_qaccel_gemm j;

	self->g.params.flags |= QACCEL_GEMM_BIAS | QACCEL_GEMM_PER_CHANNEL;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->g.bias.buf = &self->bias;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->g.quant.buf = &self->quant;
	ASSERT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(4, j.bias_handle);
	EXPECT_EQ(5, j.quant_handle);
	/* per-tensor requant fields are not sent with per-channel records */
	EXPECT_EQ(0, j.out_multiplier);
	/* one record short */
	self->quant.size = 2 * 8 + 7;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
}

TEST_F(fake_dev, encode_rejects_operand_past_buffer_end)
{
	struct drm_qaccel_gemm j;

	self->a.size = 4 * 8 - 1;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->a.size = 4 * 8;
	self->g.c.offset = 1;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->g.c.offset = 0;
	self->g.b.offset = UINT32_MAX;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
}

TEST_F(fake_dev, encode_last_row_needs_only_its_own_bytes)
{
	struct drm_qaccel_gemm j;

	/* lda 100: A spans 3 * 100 + 8 bytes, not 4 * 100 */
	self->g.params.lda = 100;
	self->a.size = 308;
	EXPECT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	self->a.size = 307;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
}

TEST_F(fake_dev, encode_huge_strides_do_not_wrap)
{
	struct drm_qaccel_gemm j;

	self->g.params.m = 65535;
	self->g.params.lda = 0xffffffff;
	self->a.size = SIZE_MAX;
	self->c.size = SIZE_MAX;
	EXPECT_EQ(0, qa_gemm_encode(&self->dev, &self->g, &j));
	self->a.size = (size_t)65534 * 0xffffffff + 7;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
}

TEST_F(fake_dev, encode_rejects_missing_or_foreign_buffers)
{
	struct drm_qaccel_gemm j;

	self->g.a.buf = NULL;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->g.a.buf = &self->foreign;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
}

TEST_F(fake_dev, encode_rejects_invalid_params)
{
	struct drm_qaccel_gemm j;

	self->g.params.k = 0;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	self->g.params.k = 8;
	self->g.params.clamp_min = 101;
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, &j));
	EXPECT_EQ(-EINVAL, qa_gemm_encode(NULL, &self->g, &j));
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, NULL, &j));
	EXPECT_EQ(-EINVAL, qa_gemm_encode(&self->dev, &self->g, NULL));
}

TEST_F(fake_dev, submit_rejects_bad_job_without_queueing)
{
	self->g.params.m = 65536;
	EXPECT_EQ(-EINVAL, qaccel_submit(&self->dev, &self->g, 1));
	EXPECT_EQ(0, qaccel_inflight(&self->dev));
	EXPECT_EQ(-EINVAL, qaccel_submit(&self->dev, NULL, 1));
	EXPECT_EQ(-EINVAL, qaccel_submit(NULL, &self->g, 1));
	EXPECT_EQ(-EINVAL, qaccel_submit_nop(NULL, 1));
	EXPECT_EQ(-EINVAL, qaccel_gemm_run(&self->dev, NULL, NULL));
}

TEST_F(fake_dev, submit_refuses_beyond_max_inflight)
{
	self->dev.outstanding = QACCEL_MAX_INFLIGHT;
	EXPECT_EQ(-EBUSY, qaccel_submit(&self->dev, &self->g, 1));
	EXPECT_EQ(-EBUSY, qaccel_submit_nop(&self->dev, 1));
	EXPECT_EQ(-EBUSY, qaccel_gemm_run(&self->dev, &self->g, NULL));
	EXPECT_EQ(-EBUSY, qaccel_set_path(&self->dev, QACCEL_PATH_URING));
	self->dev.outstanding = 0;
}

TEST_F(fake_dev, wait_checks_its_arguments)
{
	struct qaccel_completion c[2];

	EXPECT_EQ(-EINVAL, qaccel_wait(NULL, c, 2, 1, 0));
	EXPECT_EQ(-EINVAL, qaccel_wait(&self->dev, NULL, 2, 1, 0));
	EXPECT_EQ(-EINVAL, qaccel_wait(&self->dev, c, 0, 0, 0));
	EXPECT_EQ(-EINVAL, qaccel_wait(&self->dev, c, 1, 2, 0));
	/* nothing outstanding: min_wait is capped, nothing to reap */
	EXPECT_EQ(0, qaccel_wait(&self->dev, c, 2, 2, -1));
}

TEST_F(fake_dev, buf_alloc_rejects_bad_sizes_before_the_kernel)
{
	struct qaccel_buf *buf = (struct qaccel_buf *)1;

	EXPECT_EQ(-EINVAL, qaccel_buf_alloc(&self->dev, 0, &buf));
	EXPECT_EQ(NULL, buf);
	EXPECT_EQ(-EINVAL, qaccel_buf_alloc(&self->dev, (1 << 20) + 1, &buf));
	EXPECT_EQ(-EINVAL, qaccel_buf_alloc(&self->dev, SIZE_MAX, &buf));
	EXPECT_EQ(-EINVAL, qaccel_buf_alloc(&self->dev, 4096, NULL));
	EXPECT_EQ(-EINVAL, qaccel_buf_alloc(NULL, 4096, &buf));
	/* a valid size reaches the (absent) kernel */
	EXPECT_EQ(-EBADF, qaccel_buf_alloc(&self->dev, 4096, &buf));
}

TEST_F(fake_dev, set_path_rejects_unknown_path)
{
	EXPECT_EQ(-EINVAL, qaccel_set_path(&self->dev, (enum qaccel_path)7));
	EXPECT_EQ(-EINVAL, qaccel_set_path(NULL, QACCEL_PATH_IOCTL));
	EXPECT_EQ(0, qaccel_set_path(&self->dev, QACCEL_PATH_IOCTL));
	EXPECT_EQ(QACCEL_PATH_IOCTL, qaccel_get_path(&self->dev));
}

TEST(open_checks_its_arguments)
{
	struct qaccel_dev *dev = (struct qaccel_dev *)1;

	EXPECT_EQ(-EINVAL, qaccel_open(NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, qaccel_open(NULL, 0x80, &dev));
	EXPECT_EQ(NULL, dev);
}

TEST(open_missing_path_is_enoent)
{
	struct qaccel_dev *dev;

	EXPECT_EQ(-ENOENT, qaccel_open("/nonexistent/renderD128", 0, &dev));
}

TEST(open_non_drm_file_is_enodev)
{
	struct qaccel_dev *dev;

	EXPECT_EQ(-ENODEV, qaccel_open("/dev/null", 0, &dev));
}

TEST(null_objects_are_harmless)
{
	struct qaccel_caps caps;
	struct qaccel_counters cnt;
	void *p;
	int fd;

	qaccel_close(NULL);
	qaccel_buf_free(NULL);
	EXPECT_EQ(-EINVAL, qaccel_fd(NULL));
	EXPECT_EQ(-EINVAL, qaccel_poll_fd(NULL));
	EXPECT_EQ(-EINVAL, qaccel_get_caps(NULL, &caps));
	EXPECT_EQ(-EINVAL, qaccel_get_counters(NULL, &cnt));
	EXPECT_EQ(-EINVAL, qaccel_buf_map(NULL, &p));
	EXPECT_EQ(0, qaccel_buf_size(NULL));
	EXPECT_EQ(0, qaccel_buf_handle(NULL));
	EXPECT_EQ(-EINVAL, qaccel_buf_export(NULL, &fd));
	EXPECT_EQ(-EINVAL, qaccel_buf_import(NULL, 0, NULL));
	EXPECT_EQ(-EINVAL, qaccel_flush(NULL));
	EXPECT_EQ(0, qaccel_inflight(NULL));
}

TEST(strerror_names_errors_of_either_sign)
{
	EXPECT_STREQ("invalid argument", qaccel_strerror(-EINVAL));
	EXPECT_STREQ("invalid argument", qaccel_strerror(EINVAL));
	EXPECT_STREQ("no qaccel device", qaccel_strerror(-ENODEV));
	EXPECT_STREQ("success", qaccel_strerror(0));
	EXPECT_STREQ("unknown error", qaccel_strerror(-99999));
	EXPECT_STREQ("unknown error", qaccel_strerror(INT32_MIN));
	EXPECT_NE(NULL, qaccel_strerror(-ETIMEDOUT));
}

TEST_HARNESS_MAIN
