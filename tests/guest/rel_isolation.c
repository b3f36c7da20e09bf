// SPDX-License-Identifier: MIT
/*
 * Isolation: one process cannot reach another's buffers through the
 * device, and a job cannot reach memory outside its own operands.
 * - handles are per open file: another file, and a forked child with its
 *   own fd, get -ENOENT for the parent's handle numbers (ioctl, io_uring,
 *   mmap offset, dma-buf export), and the parent's buffers stay untouched;
 * - an operand that would end one byte past its buffer (offset or stride)
 *   is -EINVAL, for every operand;
 * - a job with maximal legal offsets and strides (every operand ends at the
 *   last byte of its buffer, odd gaps between C's rows) writes exactly its
 *   C elements: C's gaps, its inputs and neighbouring buffers holding a
 *   secret pattern are unchanged byte for byte;
 * - a dma-buf fd the process was not given cannot be imported (-EBADF for
 *   a number that is not open here, -EINVAL for an fd that is no dma-buf);
 * - an importer's buffer stays valid after the exporter closed its handle.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "guest_common.h"

#define SECRET(i)	((uint8_t)(0xc3 ^ ((i) * 7)))
#define GAP		0xa5

static uint64_t seed = 0x1234567;

static void fill_rand(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = (uint8_t)(gc_rand(&seed) >> 56);
}

static void fill_secret(void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)p)[i] = SECRET(i);
}

static long secret_broken(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != SECRET(i))
			return (long)i;
	return -1;
}

/* A raw int32 GEMM m x n x k with packed operands from offset 0. */
static struct drm_qaccel_gemm raw_gemm(uint32_t m, uint32_t n, uint32_t k,
				       uint32_t a, uint32_t b, uint32_t c)
{
	return (struct drm_qaccel_gemm){
		.op = DRM_QACCEL_OP_GEMM, .m = m, .n = n, .k = k,
		.lda = k, .ldb = k, .ldc = n * 4,
		.a_handle = a, .b_handle = b, .c_handle = c,
	};
}

FIXTURE(iso) {
	struct qaccel_dev *dev;
	int fd;
};

FIXTURE_SETUP(iso)
{
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));
	self->fd = qaccel_fd(self->dev);
}

FIXTURE_TEARDOWN(iso)
{
	qaccel_close(self->dev);
}

/* Every way of naming a handle, from fd; 0 if each one said -ENOENT. */
static int handles_refused(int fd, uint32_t a, uint32_t b, uint32_t c)
{
	struct drm_qaccel_gemm g = raw_gemm(4, 4, 16, a, b, c);
	struct drm_qaccel_bo_mmap_offset mo = { .handle = a };
	struct drm_qaccel_bo_info bi = { .handle = c };
	struct drm_prime_handle ph = { .handle = b, .flags = DRM_CLOEXEC };
	struct io_uring ring;
	int ret;

	if (raw_run(fd, &g, NULL) != -ENOENT)
		return 1;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_MMAP_OFFSET, &mo) == 0 || errno != ENOENT)
		return 2;
	if (ioctl(fd, DRM_IOCTL_QACCEL_BO_INFO, &bi) == 0 || errno != ENOENT)
		return 3;
	if (ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &ph) == 0 || errno != ENOENT)
		return 4;
	if (raw_ring(&ring, 4, true))
		return 5;
	ret = raw_uring_run(&ring, fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL);
	io_uring_queue_exit(&ring);
	return ret == -ENOENT ? 0 : 6;
}

TEST_F(iso, other_files_and_processes_get_enoent_for_our_handles)
{
	struct gemm_case t;
	uint32_t ha, hb, hc;
	struct qaccel_dev *other;
	size_t csize;
	uint8_t *csave;
	pid_t pid;
	int status;

	ASSERT_EQ(0, gemm_case_init(self->dev, &t, 4, 4, 16,
				    QACCEL_GEMM_OUT_INT32, 1));
	ha = qaccel_buf_handle(t.a);
	hb = qaccel_buf_handle(t.b);
	hc = qaccel_buf_handle(t.c);
	csize = qaccel_buf_size(t.c);
	csave = malloc(csize);
	ASSERT_NE(NULL, csave);
	memcpy(csave, t.pc, csize);

	/* A second file of this process: a separate handle space. */
	ASSERT_EQ(0, qaccel_open(NULL, 0, &other));
	EXPECT_EQ(0, handles_refused(qaccel_fd(other), ha, hb, hc));
	qaccel_close(other);

	/*
	 * A child with its own fd (it also inherits ours, which is the same
	 * open file and so legitimately shares its handles: not tested).
	 */
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int fd = open(qaccel_dev_path(self->dev), O_RDWR | O_CLOEXEC);
		int r;

		if (fd < 0)
			_exit(100);
		r = handles_refused(fd, ha, hb, hc);
		/* Every small handle number too: the child owns none. */
		for (uint32_t h = 1; !r && h < 64; h++)
			r = handles_refused(fd, h, h, h) ? 10 : 0;
		close(fd);
		_exit(r);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, memcmp(csave, t.pc, csize));

	/* Our own handles still work, and C was only written by us. */
	ASSERT_EQ(0, qaccel_gemm_run(self->dev, &t.g, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	free(csave);
	gemm_case_free(&t);
}

TEST_F(iso, operand_one_byte_past_its_buffer_is_einval)
{
	struct qaccel_buf *buf[5];
	void *p;
	uint32_t h[5];
	const uint32_t sz = 4096;

	for (int i = 0; i < 5; i++) {
		ASSERT_EQ(0, gc_alloc(self->dev, sz, &buf[i], &p));
		h[i] = qaccel_buf_handle(buf[i]);
	}
	/* m = n = 4, k = 16: a row of A/B 16 bytes, of C 16 (int32). */
	struct drm_qaccel_gemm ok = raw_gemm(4, 4, 16, h[0], h[1], h[2]);
	struct drm_qaccel_gemm g;

	ok.flags = DRM_QACCEL_GEMM_BIAS;
	ok.bias_handle = h[3];
	/* The largest legal offsets and strides: each operand ends at sz. */
	ok.lda = ok.ldb = ok.ldc = (sz - 16 - 1) / 3;
	ok.a_offset = sz - 3 * ok.lda - 16;
	ok.b_offset = ok.a_offset;
	ok.c_offset = ok.a_offset;
	ok.bias_offset = sz - 16;
	EXPECT_EQ(0, raw_run(self->fd, &ok, NULL));

	g = ok; g.a_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.b_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.c_offset++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.bias_offset++;	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.lda++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldb++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldc++;		EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.a_offset = UINT32_MAX; EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.ldc = UINT32_MAX;	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g = ok; g.lda = UINT32_MAX; g.a_offset = UINT32_MAX;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));

	/* Per-channel records: int8 output, n records of 8 bytes at the end. */
	g = ok;
	g.flags = DRM_QACCEL_GEMM_OUT_INT8 | DRM_QACCEL_GEMM_PER_CHANNEL;
	g.ldc = ok.lda;
	g.clamp_min = 0x80;
	g.clamp_max = 0x7f;
	g.quant_handle = h[4];
	g.quant_offset = sz - 4 * 8 + 1;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));
	g.quant_offset = UINT32_MAX;
	EXPECT_EQ(-EINVAL, raw_run(self->fd, &g, NULL));

	/* The same bounds through io_uring. */
	struct io_uring ring;

	ASSERT_EQ(0, raw_ring(&ring, 4, true));
	g = ok; g.c_offset++;
	EXPECT_EQ(-EINVAL, raw_uring_run(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL));
	g = ok; g.ldb++;
	EXPECT_EQ(-EINVAL, raw_uring_run(&ring, self->fd, DRM_QACCEL_URING_CMD_GEMM, &g, NULL));
	io_uring_queue_exit(&ring);

	for (int i = 0; i < 5; i++)
		qaccel_buf_free(buf[i]);
}

struct edge_shape {
	uint32_t m, n, k, flags;
	uint32_t gap_a, gap_b, gap_c;	/* bytes between rows beyond the row */
	uint32_t pages;			/* of each operand buffer */
};

/*
 * Operands placed at the very end of their buffers with odd row gaps, each
 * buffer between secret-filled neighbours (allocated before and after it).
 */
static int edge_job(struct __test_metadata *_metadata, struct qaccel_dev *dev,
		    const struct edge_shape *s)
{
	enum { SA, SB, SC, SD, A, B, C, BIAS, QUANT, NBUF };
	static const int order[NBUF] = { SA, A, SB, B, SC, C, SD, BIAS, QUANT };
	struct qaccel_buf *buf[NBUF];
	uint8_t *p[NBUF], *want, *in_a, *in_b;
	struct qaccel_gemm g = { 0 };
	struct qaccel_gemm_params *q = &g.params;
	uint32_t esz = gc_out_size(s->flags);
	size_t size = (size_t)s->pages * 4096, sec = 2 * 4096;
	uint64_t end;
	int ret;

	for (int i = 0; i < NBUF; i++) {
		int b = order[i];
		size_t bs = b < A ? sec : b >= BIAS ? 4096 : size;

		ASSERT_EQ(0, gc_alloc(dev, bs, &buf[b], (void **)&p[b]));
		if (b < A)
			fill_secret(p[b], bs);
		else
			fill_rand(p[b], bs);
	}
	*q = (struct qaccel_gemm_params){
		.m = s->m, .n = s->n, .k = s->k,
		.lda = s->k + s->gap_a, .ldb = s->k + s->gap_b,
		.ldc = s->n * esz + s->gap_c, .flags = s->flags,
		.a_zero_point = s->flags & QACCEL_GEMM_A_UINT8 ? 130 : -5,
		.b_zero_point = s->flags & QACCEL_GEMM_B_UINT8 ? 125 : 3,
		.c_zero_point = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 128 : 1,
		.clamp_min = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 0 : -128,
		.clamp_max = (s->flags & QACCEL_GEMM_OUT_MASK) == QACCEL_GEMM_OUT_UINT8 ? 255 : 127,
		.out_multiplier = 1518500250, .out_shift = -10,
	};
	end = (uint64_t)(q->m - 1) * q->lda + q->k;
	g.a = (struct qaccel_operand){ buf[A], (uint32_t)(size - end) };
	end = (uint64_t)(q->n - 1) * q->ldb + q->k;
	g.b = (struct qaccel_operand){ buf[B], (uint32_t)(size - end) };
	end = (uint64_t)(q->m - 1) * q->ldc + (uint64_t)q->n * esz;
	g.c = (struct qaccel_operand){ buf[C], (uint32_t)(size - end) };
	g.bias = (struct qaccel_operand){ buf[BIAS], 4096 - q->n * 4 };
	g.quant = (struct qaccel_operand){ buf[QUANT], 4096 - q->n * 8 };
	for (uint32_t j = 0; j < q->n; j++) {
		struct qaccel_quant *r = (struct qaccel_quant *)(p[QUANT] + g.quant.offset) + j;

		r->multiplier = 0x40000000 + (int32_t)(gc_rand(&seed) % 0x3fffffff);
		r->shift = -(int32_t)(8 + gc_rand(&seed) % 4);
		((int32_t *)(p[BIAS] + g.bias.offset))[j] =
			(int32_t)(gc_rand(&seed) % 4001) - 2000;
	}
	memset(p[C], GAP, size);
	want = malloc(size);
	in_a = malloc(size);
	in_b = malloc(size);
	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, in_a);
	ASSERT_NE(NULL, in_b);
	memcpy(want, p[C], size);
	memcpy(in_a, p[A], size);
	memcpy(in_b, p[B], size);
	ASSERT_EQ(0, qaccel_ref_gemm(q, p[A] + g.a.offset, p[B] + g.b.offset,
				     (int32_t *)(p[BIAS] + g.bias.offset),
				     (struct qaccel_quant *)(p[QUANT] + g.quant.offset),
				     want + g.c.offset));

	ret = qaccel_gemm_run(dev, &g, NULL);
	EXPECT_EQ(0, ret);
	for (size_t i = 0; i < size; i++) {
		if (p[C][i] != want[i]) {
			TH_LOG("%ux%ux%u flags %#x: C byte %zu (offset %u) is %#x, want %#x",
			       s->m, s->n, s->k, s->flags, i, g.c.offset, p[C][i], want[i]);
			ret = -1;
			break;
		}
	}
	EXPECT_EQ(0, memcmp(in_a, p[A], size));
	EXPECT_EQ(0, memcmp(in_b, p[B], size));
	for (int b = SA; b <= SD; b++) {
		long bad = secret_broken(p[b], sec);

		if (bad >= 0)
			TH_LOG("secret buffer %d changed at byte %ld", b, bad);
		EXPECT_EQ(-1, bad);
	}
	free(want);
	free(in_a);
	free(in_b);
	for (int b = 0; b < NBUF; b++)
		qaccel_buf_free(buf[b]);
	return ret;
}

TEST_F(iso, maximal_offsets_and_strides_touch_only_c_elements)
{
	static const struct edge_shape shapes[] = {
		{ 5, 7, 13, QACCEL_GEMM_OUT_INT32, 1, 3, 3, 1 },
		{ 5, 7, 13, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 0, 0, 1, 1 },
		{ 33, 19, 129, QACCEL_GEMM_OUT_INT32 | QACCEL_GEMM_BIAS, 3, 1, 5, 3 },
		{ 33, 19, 129, QACCEL_GEMM_OUT_UINT8 | QACCEL_GEMM_A_UINT8 |
		  QACCEL_GEMM_B_UINT8 | QACCEL_GEMM_PER_CHANNEL, 7, 0, 3, 3 },
		{ 17, 64, 70, QACCEL_GEMM_OUT_INT32, 0, 0, 1, 2 },
		{ 1, 1, 1, QACCEL_GEMM_OUT_INT32, 0, 0, 0, 1 },
		{ 64, 3, 4, QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_PER_CHANNEL, 59, 1, 9, 1 },
	};

	for (int path = 0; path < 2; path++) {
		ASSERT_EQ(0, qaccel_set_path(self->dev, path));
		for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
			EXPECT_EQ(0, edge_job(_metadata, self->dev, &shapes[i]));
	}
}

TEST_F(iso, dmabuf_fds_not_given_cannot_be_imported)
{
	struct drm_prime_handle imp = { 0 };
	int ready[2], go[2], pfd[2];
	const int slot = 900;
	pid_t pid;
	char c;
	int status;

	/* A pipe and the render node itself are no dma-bufs. */
	ASSERT_EQ(0, pipe(pfd));
	imp.fd = pfd[0];
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EINVAL, errno);
	imp.fd = self->fd;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EINVAL, errno);
	imp.fd = -1;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EBADF, errno);
	close(pfd[0]);
	close(pfd[1]);

	/*
	 * A child exports a buffer holding a secret as dma-buf fd `slot` and
	 * keeps it open; the same number in the parent is no open fd, so the
	 * parent cannot import it.
	 */
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		struct qaccel_dev *dev;
		struct qaccel_buf *b;
		void *p;
		int fd;

		close(ready[0]);
		close(go[1]);
		if (qaccel_open(NULL, 0, &dev) || gc_alloc(dev, 4096, &b, &p))
			_exit(1);
		fill_secret(p, 4096);
		if (qaccel_buf_export(b, &fd) || dup2(fd, slot) != slot)
			_exit(2);
		close(fd);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		close(slot);
		qaccel_close(dev);
		_exit(0);
	}
	close(ready[1]);
	close(go[0]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	ASSERT_EQ(-1, fcntl(slot, F_GETFD));
	imp.fd = slot;
	imp.handle = 0;
	EXPECT_EQ(-1, ioctl(self->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &imp));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(0, imp.handle);
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ready[0]);
	close(go[1]);
}

TEST_F(iso, import_outlives_the_exporters_handle)
{
	struct qaccel_dev *imp_dev;
	struct qaccel_buf *exp_a, *imp_a;
	struct gemm_case t;
	void *pe, *pi;
	int fd;

	ASSERT_EQ(0, qaccel_open(NULL, 0, &imp_dev));
	ASSERT_EQ(0, gemm_case_init(imp_dev, &t, 9, 6, 40,
				    QACCEL_GEMM_OUT_INT8 | QACCEL_GEMM_BIAS, 3));
	/* A lives in the exporter's file and comes to the importer by dma-buf. */
	ASSERT_EQ(0, gc_alloc(self->dev, 9 * 40, &exp_a, &pe));
	memcpy(pe, t.pa, 9 * 40);
	ASSERT_EQ(0, qaccel_buf_export(exp_a, &fd));
	ASSERT_EQ(0, qaccel_buf_import(imp_dev, fd, &imp_a));
	close(fd);
	/* The exporter lets go of everything: handle, mapping, file. */
	qaccel_buf_free(exp_a);
	qaccel_close(self->dev);
	self->dev = NULL;
	ASSERT_EQ(0, qaccel_open(NULL, 0, &self->dev));

	ASSERT_EQ(0, qaccel_buf_map(imp_a, &pi));
	EXPECT_EQ(0, memcmp(pi, t.pa, 9 * 40));
	t.g.a.buf = imp_a;
	ASSERT_EQ(0, qaccel_gemm_run(imp_dev, &t.g, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	ASSERT_EQ(0, qaccel_set_path(imp_dev, QACCEL_PATH_IOCTL));
	memset(t.pc, 0x5a, qaccel_buf_size(t.c));
	ASSERT_EQ(0, qaccel_gemm_run(imp_dev, &t.g, NULL));
	EXPECT_EQ(-1, gemm_case_mismatch(&t));
	qaccel_buf_free(imp_a);
	gemm_case_free(&t);
	qaccel_close(imp_dev);
}

TEST_HARNESS_MAIN
