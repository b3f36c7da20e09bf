// SPDX-License-Identifier: MIT
/*
 * Jobs: encoding a GEMM for the kernel, queueing, handing over in batches
 * and reaping completions, through io_uring (the default) or the ioctls.
 *
 * Both paths keep the same promises: a job the kernel refuses still yields
 * a completion carrying the error, completions come in submission order,
 * and at most QACCEL_MAX_INFLIGHT jobs are outstanding, so the io_uring CQ
 * (twice the SQ) can never overflow.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <xf86drm.h>

#include "qaccel_internal.h"

/* -------- encoding --------------------------------------------------- */

/* Does [offset, offset + rows-1 strides + row bytes) fit in buf? */
static bool operand_fits(const struct qaccel_dev *dev,
			 const struct qaccel_operand *op, uint64_t rows,
			 uint64_t stride, uint64_t row_bytes)
{
	uint64_t extent = (rows - 1) * stride + row_bytes;

	if (!op->buf || op->buf->dev != dev)
		return false;
	/* rows, stride < 2^32: extent cannot wrap a u64. */
	return extent <= op->buf->size && op->offset <= op->buf->size - extent;
}

int qa_gemm_encode(const struct qaccel_dev *dev, const struct qaccel_gemm *g,
		   struct drm_qaccel_gemm *out)
{
	const struct qaccel_gemm_params *p;
	uint32_t out_type;
	bool requant, per_channel, bias;

	if (!dev || !g || !out)
		return -EINVAL;
	p = &g->params;
	if (qaccel_gemm_params_check(p))
		return -EINVAL;
	out_type = p->flags & QACCEL_GEMM_OUT_MASK;
	requant = out_type != QACCEL_GEMM_OUT_INT32;
	per_channel = requant && (p->flags & QACCEL_GEMM_PER_CHANNEL);
	bias = p->flags & QACCEL_GEMM_BIAS;

	if (!operand_fits(dev, &g->a, p->m, p->lda, p->k) ||
	    !operand_fits(dev, &g->b, p->n, p->ldb, p->k) ||
	    !operand_fits(dev, &g->c, p->m, p->ldc,
			  (uint64_t)p->n * (requant ? 1 : 4)))
		return -EINVAL;
	if (bias && !operand_fits(dev, &g->bias, 1, 0, (uint64_t)p->n * 4))
		return -EINVAL;
	if (per_channel &&
	    !operand_fits(dev, &g->quant, 1, 0,
			  (uint64_t)p->n * sizeof(struct qaccel_quant)))
		return -EINVAL;

	memset(out, 0, sizeof(*out));
	out->op = DRM_QACCEL_OP_GEMM;
	/* A per-channel flag is meaningless for int32 output: drop it. */
	out->flags = (uint16_t)(per_channel ? p->flags
				: p->flags & ~QACCEL_GEMM_PER_CHANNEL);
	out->m = p->m;
	out->n = p->n;
	out->k = p->k;
	out->lda = p->lda;
	out->ldb = p->ldb;
	out->ldc = p->ldc;
	out->a_handle = g->a.buf->handle;
	out->a_offset = g->a.offset;
	out->b_handle = g->b.buf->handle;
	out->b_offset = g->b.offset;
	out->c_handle = g->c.buf->handle;
	out->c_offset = g->c.offset;
	if (bias) {
		out->bias_handle = g->bias.buf->handle;
		out->bias_offset = g->bias.offset;
	}
	if (per_channel) {
		out->quant_handle = g->quant.buf->handle;
		out->quant_offset = g->quant.offset;
	}
	/* Zero points and clamps travel as their element's 8 bits. */
	out->a_zero_point = (uint8_t)p->a_zero_point;
	out->b_zero_point = (uint8_t)p->b_zero_point;
	if (requant) {
		if (!per_channel) {
			out->out_multiplier = p->out_multiplier;
			out->out_shift = (int8_t)p->out_shift;
		}
		out->c_zero_point = (uint8_t)p->c_zero_point;
		out->clamp_min = (uint8_t)p->clamp_min;
		out->clamp_max = (uint8_t)p->clamp_max;
	}
	return 0;
}

/* -------- io_uring path ------------------------------------------------ */

int qa_uring_init(struct qaccel_dev *dev)
{
	struct io_uring_params params = {
		.flags = IORING_SETUP_SQE128 | IORING_SETUP_CQE32 |
			 IORING_SETUP_SUBMIT_ALL,
	};
	int ret;

	_Static_assert(sizeof(struct drm_qaccel_gemm) == 80,
		       "the job must be exactly the SQE128 command area");
	ret = io_uring_queue_init_params(QA_URING_ENTRIES, &dev->ring, &params);
	if (ret)
		return ret;
	dev->ring_ready = true;
	return 0;
}

/* SQEs written but not yet consumed by the kernel. */
static unsigned int uring_queued(struct qaccel_dev *dev)
{
	return io_uring_sq_ready(&dev->ring);
}

/* Without SQPOLL, io_uring_submit() is exactly one io_uring_enter. */
static int uring_flush(struct qaccel_dev *dev)
{
	if (!uring_queued(dev))
		return 0;
	dev->stats.enters++;
	return io_uring_submit(&dev->ring);
}

static int uring_queue(struct qaccel_dev *dev, const struct drm_qaccel_gemm *job,
		       uint64_t tag)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&dev->ring);

	if (!sqe) {
		int ret = uring_flush(dev);

		if (ret < 0)
			return ret;
		sqe = io_uring_get_sqe(&dev->ring);
		if (!sqe)
			return -EBUSY;
	}
	io_uring_prep_rw(IORING_OP_URING_CMD, sqe, dev->fd, NULL, 0, 0);
	sqe->cmd_op = DRM_QACCEL_URING_CMD_GEMM;
	memcpy(qa_sqe_cmd(sqe), job, sizeof(*job));
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

/* Take what the CQ already holds, without entering the kernel. */
static unsigned int uring_reap(struct qaccel_dev *dev,
			       struct qaccel_completion *out, unsigned int max)
{
	struct io_uring_cqe *cqe;
	unsigned int head, n = 0;

	io_uring_for_each_cqe(&dev->ring, head, cqe) {
		if (n == max)
			break;
		out[n].tag = cqe->user_data;
		out[n].status = cqe->res;
		out[n].cycles = cqe->big_cqe[0];
		n++;
	}
	io_uring_cq_advance(&dev->ring, n);
	dev->outstanding -= n;
	return n;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Nanoseconds left until deadline, never negative. */
static int64_t time_left(int64_t deadline)
{
	int64_t left = deadline - now_ns();

	return left > 0 ? left : 0;
}

/*
 * Longest single sleep of a wait without a deadline.  Every sleep carries a
 * timeout so that liburing makes exactly one io_uring_enter per call (with
 * a timeout it never loops), which keeps stats.enters exact.
 */
#define QA_WAIT_SLICE_NS	(10ll * 1000 * 1000 * 1000)

static int uring_wait(struct qaccel_dev *dev, struct qaccel_completion *out,
		      unsigned int max, unsigned int min_wait, int64_t deadline)
{
	/* First what the CQ ring already holds: no system call. */
	unsigned int got = uring_reap(dev, out, max);
	int ret;

	dev->stats.reaped_without_syscall += got;
	if (got >= min_wait) {
		ret = uring_flush(dev);
		if (ret < 0 && ret != -EINTR && ret != -EAGAIN && !got)
			return ret;
		return (int)got;
	}
	while (got < min_wait) {
		struct __kernel_timespec ts;
		struct io_uring_cqe *cqe;
		int64_t left = QA_WAIT_SLICE_NS;

		if (deadline >= 0) {
			left = time_left(deadline);
			if (!left)
				break;
			if (left > QA_WAIT_SLICE_NS)
				left = QA_WAIT_SLICE_NS;
		}
		ts.tv_sec = left / 1000000000;
		ts.tv_nsec = left % 1000000000;
		/*
		 * The CQ is empty here.  One io_uring_enter hands over every
		 * queued job and sleeps until min_wait - got more complete.
		 */
		dev->stats.enters++;
		ret = io_uring_submit_and_wait_timeout(&dev->ring, &cqe,
						       min_wait - got, &ts, NULL);
		if (ret < 0 && ret != -ETIME && ret != -EINTR)
			return got ? (int)got : ret;
		got += uring_reap(dev, out + got, max - got);
	}
	return (int)got;
}

/* -------- ioctl path ------------------------------------------------- */

static struct qa_ioctl_job *fifo_at(struct qaccel_dev *dev, unsigned int i)
{
	return &dev->fifo[(dev->fifo_head + i) % QACCEL_MAX_INFLIGHT];
}

static int submit_ioctl(struct qaccel_dev *dev, struct drm_qaccel_job *jobs,
			unsigned int count)
{
	struct drm_qaccel_submit req = {
		.jobs = (uintptr_t)jobs,
		.job_count = count,
		.job_size = sizeof(*jobs),
	};

	dev->stats.ioctls++;
	return drmIoctl(dev->fd, DRM_IOCTL_QACCEL_SUBMIT, &req) ? -errno : 0;
}

static int ioctl_flush(struct qaccel_dev *dev)
{
	unsigned int count = dev->ioctl_queued;
	int ret;

	if (!count)
		return 0;
	ret = submit_ioctl(dev, dev->pending, count);
	if (ret == -EINVAL || ret == -ENOENT || ret == -EFAULT) {
		/*
		 * The kernel takes all or none: resubmit one by one so that the
		 * bad job alone fails, like a CQE with an error on io_uring.
		 */
		for (unsigned int i = 0; i < count; i++) {
			struct qa_ioctl_job *j = fifo_at(dev, dev->fifo_count);
			int err = submit_ioctl(dev, &dev->pending[i], 1);

			if (err == -EINTR || err == -EAGAIN || err == -ENOMEM) {
				memmove(dev->pending, dev->pending + i,
					(count - i) * sizeof(dev->pending[0]));
				memmove(dev->pending_tag, dev->pending_tag + i,
					(count - i) * sizeof(dev->pending_tag[0]));
				dev->ioctl_queued = count - i;
				return err;
			}
			j->tag = dev->pending_tag[i];
			j->seqno = dev->pending[i].seqno;
			j->refused = err != 0;
			j->status = err;
			dev->fifo_count++;
		}
	} else if (ret) {
		return ret;
	} else {
		for (unsigned int i = 0; i < count; i++) {
			struct qa_ioctl_job *j = fifo_at(dev, dev->fifo_count);

			j->tag = dev->pending_tag[i];
			j->seqno = dev->pending[i].seqno;
			j->refused = false;
			j->status = 0;
			dev->fifo_count++;
		}
	}
	dev->ioctl_queued = 0;
	return (int)count;
}

static int ioctl_queue(struct qaccel_dev *dev, const struct drm_qaccel_gemm *job,
		       uint64_t tag)
{
	if (dev->ioctl_queued == QA_IOCTL_BATCH) {
		int ret = ioctl_flush(dev);

		if (ret < 0)
			return ret;
	}
	memset(&dev->pending[dev->ioctl_queued], 0, sizeof(dev->pending[0]));
	dev->pending[dev->ioctl_queued].gemm = *job;
	dev->pending_tag[dev->ioctl_queued] = tag;
	dev->ioctl_queued++;
	return 0;
}

static int ioctl_wait(struct qaccel_dev *dev, struct qaccel_completion *out,
		      unsigned int max, unsigned int min_wait, int64_t deadline)
{
	unsigned int got = 0;
	int ret = ioctl_flush(dev);

	if (ret < 0)
		return ret;
	while (got < max && dev->fifo_count) {
		struct qa_ioctl_job *j = fifo_at(dev, 0);
		struct drm_qaccel_wait w = { .seqno = j->seqno };

		if (j->refused) {
			w.status = j->status;
		} else {
			if (got >= min_wait)
				w.timeout_ns = 0;
			else if (deadline < 0)
				w.timeout_ns = -1;
			else
				w.timeout_ns = time_left(deadline);
			dev->stats.ioctls++;
			if (drmIoctl(dev->fd, DRM_IOCTL_QACCEL_WAIT, &w)) {
				ret = -errno;
				if (ret == -ETIME)
					break;
				return got ? (int)got : ret;
			}
		}
		out[got].tag = j->tag;
		out[got].status = w.status;
		out[got].cycles = w.cycles;
		got++;
		dev->fifo_head = (dev->fifo_head + 1) % QACCEL_MAX_INFLIGHT;
		dev->fifo_count--;
		dev->outstanding--;
	}
	return (int)got;
}

/* -------- public entry points ---------------------------------------- */

static int queue_job(struct qaccel_dev *dev, const struct drm_qaccel_gemm *job,
		     uint64_t tag)
{
	int ret;

	if (dev->outstanding >= QACCEL_MAX_INFLIGHT)
		return -EBUSY;
	if (dev->path == QACCEL_PATH_URING)
		ret = uring_queue(dev, job, tag);
	else
		ret = ioctl_queue(dev, job, tag);
	if (!ret) {
		dev->outstanding++;
		dev->stats.submitted++;
	}
	return ret;
}

int qaccel_submit(struct qaccel_dev *dev, const struct qaccel_gemm *gemm,
		  uint64_t user_tag)
{
	struct drm_qaccel_gemm job;
	int ret;

	if (!dev || !gemm)
		return -EINVAL;
	ret = qa_gemm_encode(dev, gemm, &job);
	if (ret)
		return ret;
	return queue_job(dev, &job, user_tag);
}

int qaccel_submit_nop(struct qaccel_dev *dev, uint64_t user_tag)
{
	struct drm_qaccel_gemm job = { .op = DRM_QACCEL_OP_NOP };

	if (!dev)
		return -EINVAL;
	return queue_job(dev, &job, user_tag);
}

int qaccel_flush(struct qaccel_dev *dev)
{
	if (!dev)
		return -EINVAL;
	return dev->path == QACCEL_PATH_URING ? uring_flush(dev)
					      : ioctl_flush(dev);
}

int qaccel_wait(struct qaccel_dev *dev, struct qaccel_completion *out,
		unsigned int max, unsigned int min_wait, int timeout_ms)
{
	int64_t deadline = -1;
	int ret;

	if (!dev || !out || !max || min_wait > max)
		return -EINVAL;
	if (min_wait > dev->outstanding)
		min_wait = dev->outstanding;
	if (timeout_ms >= 0)
		deadline = now_ns() + (int64_t)timeout_ms * 1000000;
	if (dev->path == QACCEL_PATH_URING)
		ret = uring_wait(dev, out, max, min_wait, deadline);
	else
		ret = ioctl_wait(dev, out, max, min_wait, deadline);
	if (ret > 0)
		dev->stats.completed += (unsigned int)ret;
	return ret;
}

unsigned int qaccel_inflight(const struct qaccel_dev *dev)
{
	return dev ? dev->outstanding : 0;
}

int qaccel_gemm_run(struct qaccel_dev *dev, const struct qaccel_gemm *gemm,
		    struct qaccel_completion *out)
{
	struct qaccel_completion c;
	int ret;

	if (!dev || !gemm)
		return -EINVAL;
	if (dev->outstanding)
		return -EBUSY;
	ret = qaccel_submit(dev, gemm, 0);
	if (ret)
		return ret;
	ret = qaccel_wait(dev, &c, 1, 1, -1);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return -EIO;
	if (out)
		*out = c;
	return c.status;
}
