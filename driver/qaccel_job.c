// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: jobs.
 *
 * A job arrives by DRM_IOCTL_QACCEL_SUBMIT or by an io_uring URING_CMD,
 * is validated by qaccel_job_create() whichever way it came, waits in the
 * queue's pending list, runs in a slot of the hardware submission ring and
 * completes from the interrupt thread.  Completion wakes ioctl waiters or
 * posts the io_uring CQE from task work.
 */

#include <linux/io_uring.h>
#include <linux/jiffies.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_gem.h"
#include "qaccel_hw.h"
#include "qaccel_job.h"

/* Most jobs one DRM_IOCTL_QACCEL_SUBMIT takes, as the uapi says. */
#define QACCEL_SUBMIT_MAX_JOBS	64
/* Submitted ioctl jobs a file may leave unwaited for. */
#define QACCEL_FILE_MAX_JOBS	4096
/* Jobs the device-wide pending list takes before io_uring gets -EBUSY. */
#define QACCEL_MAX_PENDING	65536

/* The uapi flags are the descriptor's flags. */
static_assert(DRM_QACCEL_GEMM_A_UINT8 == QACCEL_F_A_UINT8);
static_assert(DRM_QACCEL_GEMM_B_UINT8 == QACCEL_F_B_UINT8);
static_assert(DRM_QACCEL_GEMM_OUT_MASK == QACCEL_F_OUT_MASK);
static_assert(DRM_QACCEL_GEMM_OUT_INT8 == QACCEL_F_OUT_INT8);
static_assert(DRM_QACCEL_GEMM_OUT_UINT8 == QACCEL_F_OUT_UINT8);
static_assert(DRM_QACCEL_GEMM_BIAS == QACCEL_F_BIAS);
static_assert(DRM_QACCEL_GEMM_PER_CHANNEL == QACCEL_F_PER_CHANNEL);
static_assert(sizeof(struct drm_qaccel_gemm) == 80);
static_assert(sizeof(struct qaccel_job *) <= sizeof_field(struct io_uring_cmd, pdu));

static void qaccel_job_put_bos(struct qaccel_job *job)
{
	while (job->nr_bos)
		drm_gem_object_put(job->bos[--job->nr_bos]);
}

static void qaccel_job_free(struct kref *ref)
{
	struct qaccel_job *job = container_of(ref, struct qaccel_job, ref);

	qaccel_job_put_bos(job);
	kfree(job);
}

static void qaccel_job_put(struct qaccel_job *job)
{
	kref_put(&job->ref, qaccel_job_free);
}

/* An 8-bit zero point or clamp, as an element of its type. */
static s16 qaccel_elem(u8 bits, bool is_unsigned)
{
	return is_unsigned ? bits : (s8)bits;
}

static bool qaccel_dim_ok(struct qaccel_device *qdev, u32 dim)
{
	return dim >= 1 && dim <= qdev->hw.max_dim;
}

/*
 * Take a reference on the buffer behind @handle, check that @rows rows of
 * @row_bytes bytes, @stride apart from @offset, lie inside it, and point
 * @buf at it.
 */
static int qaccel_job_add_operand(struct qaccel_job *job, struct drm_file *file,
				  u32 handle, u32 offset, u32 rows, u32 stride,
				  u64 row_bytes, struct qaccel_hw_buf *buf)
{
	struct drm_gem_object *obj;
	dma_addr_t table;
	u64 end;
	int ret;

	obj = drm_gem_object_lookup(file, handle);
	if (!obj)
		return -ENOENT;
	job->bos[job->nr_bos++] = obj;

	if (check_mul_overflow((u64)rows - 1, (u64)stride, &end) ||
	    check_add_overflow(end, (u64)offset, &end) ||
	    check_add_overflow(end, row_bytes, &end) ||
	    end > obj->size)
		return -EINVAL;

	ret = qaccel_gem_map(to_qaccel_bo(obj), &table);
	if (ret)
		return ret;

	buf->table = table;
	buf->offset = offset;
	buf->size = obj->size;
	return 0;
}

/*
 * Every check a job passes before the device sees it, for the ioctl and
 * io_uring alike.  Values first (-EINVAL), then handles (-ENOENT) and
 * bounds.  Only addresses of this file's own buffers reach @job->desc.
 */
static int qaccel_job_validate(struct qaccel_device *qdev, struct drm_file *file,
			       const struct drm_qaccel_gemm *args, struct qaccel_job *job)
{
	struct qaccel_hw_desc *d = &job->desc;
	u32 out = args->flags & DRM_QACCEL_GEMM_OUT_MASK;
	bool requant = out != DRM_QACCEL_GEMM_OUT_INT32;
	bool per_channel = requant && (args->flags & DRM_QACCEL_GEMM_PER_CHANNEL);
	u64 c_row_bytes;
	int ret;

	/* A NOP ignores every other field (uapi). */
	if (args->op == DRM_QACCEL_OP_NOP) {
		d->opcode = QACCEL_OP_NOP;
		return 0;
	}
	if (args->op != DRM_QACCEL_OP_GEMM)
		return -EINVAL;
	if ((args->flags & ~QACCEL_F_ALL) || out == QACCEL_F_OUT_MASK)
		return -EINVAL;
	if (memchr_inv(args->pad, 0, sizeof(args->pad)))
		return -EINVAL;
	if (!qaccel_dim_ok(qdev, args->m) || !qaccel_dim_ok(qdev, args->n) ||
	    !qaccel_dim_ok(qdev, args->k))
		return -EINVAL;
	if (args->lda < args->k || args->ldb < args->k)
		return -EINVAL;
	c_row_bytes = (u64)args->n * (requant ? 1 : 4);
	if (args->ldc < c_row_bytes)
		return -EINVAL;

	d->opcode = QACCEL_OP_GEMM;
	/* Per-channel parameters mean nothing without requantization. */
	d->flags = per_channel ? args->flags : args->flags & ~DRM_QACCEL_GEMM_PER_CHANNEL;
	d->m = args->m;
	d->n = args->n;
	d->k = args->k;
	d->lda = args->lda;
	d->ldb = args->ldb;
	d->ldc = args->ldc;
	d->a_zero_point = qaccel_elem(args->a_zero_point, args->flags & DRM_QACCEL_GEMM_A_UINT8);
	d->b_zero_point = qaccel_elem(args->b_zero_point, args->flags & DRM_QACCEL_GEMM_B_UINT8);

	if (requant) {
		bool c_unsigned = out == DRM_QACCEL_GEMM_OUT_UINT8;

		if (!per_channel &&
		    (args->out_shift < QACCEL_SHIFT_MIN || args->out_shift > QACCEL_SHIFT_MAX))
			return -EINVAL;
		d->c_zero_point = qaccel_elem(args->c_zero_point, c_unsigned);
		d->clamp_min = qaccel_elem(args->clamp_min, c_unsigned);
		d->clamp_max = qaccel_elem(args->clamp_max, c_unsigned);
		if (d->clamp_min > d->clamp_max)
			return -EINVAL;
		if (!per_channel) {
			d->out_multiplier = args->out_multiplier;
			d->out_shift = args->out_shift;
		}
	}

	ret = qaccel_job_add_operand(job, file, args->a_handle, args->a_offset,
				     args->m, args->lda, args->k, &d->a);
	if (ret)
		return ret;
	ret = qaccel_job_add_operand(job, file, args->b_handle, args->b_offset,
				     args->n, args->ldb, args->k, &d->b);
	if (ret)
		return ret;
	ret = qaccel_job_add_operand(job, file, args->c_handle, args->c_offset,
				     args->m, args->ldc, c_row_bytes, &d->c);
	if (ret)
		return ret;
	if (args->flags & DRM_QACCEL_GEMM_BIAS) {
		ret = qaccel_job_add_operand(job, file, args->bias_handle, args->bias_offset,
					     1, 0, (u64)args->n * sizeof(s32), &d->bias);
		if (ret)
			return ret;
	}
	if (per_channel) {
		ret = qaccel_job_add_operand(job, file, args->quant_handle, args->quant_offset,
					     1, 0, (u64)args->n * sizeof(struct qaccel_hw_quant),
					     &d->quant);
		if (ret)
			return ret;
	}
	return 0;
}

static int qaccel_job_create(struct qaccel_device *qdev, struct drm_file *file,
			     const struct drm_qaccel_gemm *args, struct qaccel_job **out)
{
	struct qaccel_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	INIT_LIST_HEAD(&job->node);
	init_completion(&job->done);

	ret = qaccel_job_validate(qdev, file, args, job);
	if (ret) {
		qaccel_job_put(job);
		return ret;
	}
	*out = job;
	return 0;
}

static int qaccel_hw_status_errno(u32 hw_status)
{
	switch (hw_status) {
	case QACCEL_ERR_OK:
		return 0;
	case QACCEL_ERR_DMA_BOUNDS:
	case QACCEL_ERR_DMA_FAULT:
		return -EFAULT;
	case QACCEL_ERR_BAD_OPCODE:
	case QACCEL_ERR_BAD_DIM:
	case QACCEL_ERR_BAD_FLAGS:
	case QACCEL_ERR_BAD_PARAM:
		return -EINVAL;
	case QACCEL_ERR_UNSUPPORTED:
		return -EOPNOTSUPP;
	default:
		return -EIO;
	}
}

/*
 * io_uring runs task work newest first (6.1), so queueing every CQE at
 * once would post a batch of completions in reverse.  Instead a file's
 * finished io_uring jobs wait in order and only the oldest has task work
 * queued; posting its CQE queues the next.  In-flight commands hold the
 * file, so @qfile lives while its list is not empty.
 */
static void qaccel_uring_cmd_done(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct qaccel_job *job = *(struct qaccel_job **)cmd->pdu;
	struct qaccel_file *qfile = job->qfile;
	struct qaccel_job *next;

	spin_lock(&qfile->uring_lock);
	list_del_init(&job->node);
	next = list_first_entry_or_null(&qfile->uring_done, struct qaccel_job, node);
	qfile->uring_posting = !!next;
	spin_unlock(&qfile->uring_lock);

	/* May drop the last reference to the file when next is NULL. */
	io_uring_cmd_done(cmd, job->status, job->cycles, issue_flags);
	qaccel_job_put(job);
	if (next)
		io_uring_cmd_complete_in_task(next->cmd, qaccel_uring_cmd_done);
}

static void qaccel_uring_post(struct qaccel_job *job)
{
	struct qaccel_file *qfile = job->qfile;
	bool first;

	spin_lock(&qfile->uring_lock);
	list_add_tail(&job->node, &qfile->uring_done);
	first = !qfile->uring_posting;
	qfile->uring_posting = true;
	spin_unlock(&qfile->uring_lock);

	if (first)
		io_uring_cmd_complete_in_task(job->cmd, qaccel_uring_cmd_done);
}

/* Tell the submitter; consumes the queue's reference.  Sleeps. */
static void qaccel_job_finish(struct qaccel_job *job)
{
	/* The buffers may be freed now; the device is done with them. */
	qaccel_job_put_bos(job);
	if (job->cmd) {
		/* The reference moves to the CQE. */
		qaccel_uring_post(job);
		return;
	}
	complete_all(&job->done);
	qaccel_job_put(job);
}

static void qaccel_job_finish_list(struct list_head *done)
{
	struct qaccel_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, done, node) {
		list_del_init(&job->node);
		qaccel_job_finish(job);
	}
}

static void qaccel_job_fail(struct qaccel_job *job, int err, struct list_head *done)
{
	job->status = err;
	job->hw_status = QACCEL_ERR_OK;
	list_add_tail(&job->node, done);
}

/* Fail everything in the ring (not pending jobs) with @err. */
static void qaccel_queue_fail_running_locked(struct qaccel_device *qdev, int err,
					     struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	unsigned int i;

	for (i = 0; i < QACCEL_RING_ENTRIES; i++) {
		if (q->running[i]) {
			qaccel_job_fail(q->running[i], err, done);
			q->running[i] = NULL;
		}
	}
	q->nr_running = 0;
}

/* The device cannot run jobs any more: fail them all, now and later. */
static void qaccel_queue_kill_locked(struct qaccel_device *qdev, int err,
				     struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_job *job, *tmp;

	q->dead = err;
	qaccel_queue_fail_running_locked(qdev, err, done);
	list_for_each_entry_safe(job, tmp, &q->pending, node) {
		list_del(&job->node);
		qaccel_job_fail(job, err, done);
	}
	q->nr_pending = 0;
}

/* Move pending jobs into free ring slots and tell the device. */
static void qaccel_queue_kick_locked(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;
	struct qaccel_job *job;
	bool pushed = false;

	while (!list_empty(&q->pending) && q->nr_running < QACCEL_RING_ENTRIES - 1) {
		u32 slot = q->next_tag % QACCEL_RING_ENTRIES;

		job = list_first_entry(&q->pending, struct qaccel_job, node);
		list_del_init(&job->node);
		q->nr_pending--;

		job->desc.tag = q->next_tag++;
		hw->sq[slot] = job->desc;
		q->running[slot] = job;
		q->nr_running++;
		pushed = true;
	}
	/* The mailbox write orders after the descriptor stores (writel). */
	if (pushed && qaccel_reg_write(hw, QACCEL_REG_SQ_TAIL,
				       q->next_tag % QACCEL_RING_ENTRIES))
		qaccel_queue_kill_locked(qdev, -EIO, done);
}

/* Queue jobs in order; each fails at once if the device is gone. */
static void qaccel_queue_push(struct qaccel_device *qdev, struct qaccel_job **jobs,
			      unsigned int count)
{
	struct qaccel_queue *q = &qdev->queue;
	LIST_HEAD(done);
	unsigned int i;

	mutex_lock(&q->lock);
	for (i = 0; i < count; i++) {
		if (q->dead) {
			qaccel_job_fail(jobs[i], q->dead, &done);
		} else {
			list_add_tail(&jobs[i]->node, &q->pending);
			q->nr_pending++;
		}
	}
	qaccel_queue_kick_locked(qdev, &done);
	mutex_unlock(&q->lock);

	qaccel_job_finish_list(&done);
}

/* Collect every completion record the device has written. */
static void qaccel_queue_reap_locked(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;
	struct qaccel_hw_cqe *cqe;
	unsigned int reaped = 0;

	while ((cqe = qaccel_hw_cq_next(hw))) {
		u32 slot = cqe->tag % QACCEL_RING_ENTRIES;
		struct qaccel_job *job = q->running[slot];

		if (job && job->desc.tag == cqe->tag) {
			job->hw_status = cqe->status;
			job->status = qaccel_hw_status_errno(cqe->status);
			job->cycles = cqe->cycles;
			job->macs = cqe->macs;
			q->running[slot] = NULL;
			q->nr_running--;
			list_add_tail(&job->node, done);
		} else {
			dev_err_ratelimited(qdev->drm.dev, "completion for unknown tag %u\n",
					    cqe->tag);
		}
		qaccel_hw_cq_pop(hw);
		reaped++;
	}
	if (reaped && qaccel_reg_write(hw, QACCEL_REG_CQ_HEAD, hw->cq_head))
		qaccel_queue_kill_locked(qdev, -EIO, done);
}

/*
 * The device stopped on a fatal error: fail what it was running, reset it
 * and carry on with the pending jobs.
 */
static void qaccel_queue_recover_locked(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;

	dev_err(qdev->drm.dev, "device error %u at 0x%llx, resetting\n",
		qaccel_reg_read(hw, QACCEL_REG_ERR_CODE),
		(u64)qaccel_reg_read(hw, QACCEL_REG_ERR_ADDR_HI) << 32 |
		qaccel_reg_read(hw, QACCEL_REG_ERR_ADDR_LO));

	qaccel_queue_reap_locked(qdev, done);
	qaccel_queue_fail_running_locked(qdev, -EIO, done);
	q->next_tag = 0;
	if (qaccel_hw_start(qdev))
		qaccel_queue_kill_locked(qdev, -EIO, done);
}

/**
 * qaccel_job_irq() - the interrupt thread's work
 * @qdev: the device
 *
 * Interrupts coalesce, so this never counts them: it acknowledges first,
 * then takes every record the device has written.  A record written after
 * the acknowledge was applied raises a new interrupt, so none is missed.
 */
void qaccel_job_irq(struct qaccel_device *qdev)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;
	LIST_HEAD(done);
	u32 status;
	int ret;

	status = qaccel_reg_read(hw, QACCEL_REG_INT_STATUS);
	ret = qaccel_reg_write_sync(hw, QACCEL_REG_INT_STATUS, status | QACCEL_INT_CQ);

	mutex_lock(&q->lock);
	if (q->dead)
		goto out;
	if (ret)
		qaccel_queue_kill_locked(qdev, -EIO, &done);
	else if (status & QACCEL_INT_FATAL)
		qaccel_queue_recover_locked(qdev, &done);
	else
		qaccel_queue_reap_locked(qdev, &done);
	if (!q->dead)
		qaccel_queue_kick_locked(qdev, &done);
out:
	mutex_unlock(&q->lock);

	qaccel_job_finish_list(&done);
}

/**
 * qaccel_queue_init() - set up an empty job queue
 * @qdev: the device
 */
void qaccel_queue_init(struct qaccel_device *qdev)
{
	struct qaccel_queue *q = &qdev->queue;

	mutex_init(&q->lock);
	INIT_LIST_HEAD(&q->pending);
}

/**
 * qaccel_queue_stop() - give the device no more jobs
 * @qdev: the device
 *
 * Jobs submitted from now on fail with -ENODEV; jobs already queued wait
 * for qaccel_queue_fini().
 */
void qaccel_queue_stop(struct qaccel_device *qdev)
{
	mutex_lock(&qdev->queue.lock);
	qdev->queue.dead = -ENODEV;
	mutex_unlock(&qdev->queue.lock);
}

/**
 * qaccel_queue_fini() - fail every job left; the device is stopped
 * @qdev: the device
 *
 * Called once the device can no longer touch memory and its interrupt is
 * gone; buffers still in use by jobs are released here.
 */
void qaccel_queue_fini(struct qaccel_device *qdev)
{
	struct qaccel_queue *q = &qdev->queue;
	LIST_HEAD(done);

	mutex_lock(&q->lock);
	qaccel_queue_kill_locked(qdev, -ENODEV, &done);
	mutex_unlock(&q->lock);
	qaccel_job_finish_list(&done);
	mutex_destroy(&q->lock);
}

/**
 * qaccel_job_file_init() - a file has no jobs yet
 * @qfile: the file
 */
void qaccel_job_file_init(struct qaccel_file *qfile)
{
	mutex_init(&qfile->lock);
	xa_init(&qfile->jobs);
	qfile->next_seqno = 1;
	spin_lock_init(&qfile->uring_lock);
	INIT_LIST_HEAD(&qfile->uring_done);
}

/**
 * qaccel_job_file_fini() - drop the records of a closing file
 * @qfile: the file
 *
 * Jobs still running keep their buffers and complete normally; only the
 * results nobody can ask for any more go.
 */
void qaccel_job_file_fini(struct qaccel_file *qfile)
{
	struct qaccel_job *job;
	unsigned long seqno;

	xa_for_each(&qfile->jobs, seqno, job) {
		xa_erase(&qfile->jobs, seqno);
		qaccel_job_put(job);
	}
	xa_destroy(&qfile->jobs);
	mutex_destroy(&qfile->lock);
}

/* Give each job a seqno and a record in the file, or none of them. */
static int qaccel_file_add_jobs(struct qaccel_file *qfile, struct qaccel_job **jobs,
				struct drm_qaccel_job __user *ujobs, unsigned int count)
{
	unsigned int i, added = 0;
	u64 seqno;
	int ret = 0;

	mutex_lock(&qfile->lock);
	if (qfile->nr_jobs + count > QACCEL_FILE_MAX_JOBS) {
		ret = -EBUSY;
		goto out;
	}
	seqno = qfile->next_seqno;
	for (added = 0; added < count; added++) {
		ret = xa_insert(&qfile->jobs, seqno + added, jobs[added], GFP_KERNEL);
		if (ret)
			goto undo;
		if (put_user(seqno + added, &ujobs[added].seqno)) {
			xa_erase(&qfile->jobs, seqno + added);
			ret = -EFAULT;
			goto undo;
		}
	}
	for (i = 0; i < count; i++)
		kref_get(&jobs[i]->ref);
	qfile->next_seqno += count;
	qfile->nr_jobs += count;
	goto out;
undo:
	for (i = 0; i < added; i++)
		xa_erase(&qfile->jobs, seqno + i);
out:
	mutex_unlock(&qfile->lock);
	return ret;
}

int qaccel_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct qaccel_device *qdev = to_qaccel_device(drm);
	struct qaccel_file *qfile = file->driver_priv;
	struct drm_qaccel_submit *args = data;
	struct drm_qaccel_job __user *ujobs = u64_to_user_ptr(args->jobs);
	struct qaccel_job **jobs;
	unsigned int i, created = 0;
	int ret, idx;

	if (args->flags || args->pad || args->job_size != sizeof(struct drm_qaccel_job) ||
	    !args->job_count)
		return -EINVAL;
	if (args->job_count > QACCEL_SUBMIT_MAX_JOBS)
		return -E2BIG;

	/* Validation pins buffers for the device: it must still be there. */
	if (!drm_dev_enter(drm, &idx))
		return -ENODEV;
	jobs = kcalloc(args->job_count, sizeof(*jobs), GFP_KERNEL);
	if (!jobs) {
		ret = -ENOMEM;
		goto out;
	}

	for (created = 0; created < args->job_count; created++) {
		struct drm_qaccel_job ujob;

		if (copy_from_user(&ujob, &ujobs[created], sizeof(ujob))) {
			ret = -EFAULT;
			goto err;
		}
		if (ujob.in_syncobjs || ujob.in_syncobj_count || ujob.out_syncobj) {
			ret = -EINVAL;
			goto err;
		}
		ret = qaccel_job_create(qdev, file, &ujob.gemm, &jobs[created]);
		if (ret)
			goto err;
	}

	ret = qaccel_file_add_jobs(qfile, jobs, ujobs, args->job_count);
	if (ret)
		goto err;
	/* The queue takes the creation references. */
	qaccel_queue_push(qdev, jobs, args->job_count);
	goto out;

err:
	for (i = 0; i < created; i++)
		qaccel_job_put(jobs[i]);
out:
	kfree(jobs);
	drm_dev_exit(idx);
	return ret;
}

int qaccel_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct qaccel_file *qfile = file->driver_priv;
	struct drm_qaccel_wait *args = data;
	struct qaccel_job *job;
	bool forget = false;
	long ret;

	xa_lock(&qfile->jobs);
	job = xa_load(&qfile->jobs, args->seqno);
	if (job)
		kref_get(&job->ref);
	xa_unlock(&qfile->jobs);
	if (!job)
		return -EINVAL;

	if (!args->timeout_ns) {
		ret = completion_done(&job->done);
	} else {
		unsigned long timeout = MAX_SCHEDULE_TIMEOUT;

		if (args->timeout_ns > 0)
			timeout = clamp_t(u64, nsecs_to_jiffies64(args->timeout_ns), 1,
					  MAX_SCHEDULE_TIMEOUT - 1);
		ret = wait_for_completion_interruptible_timeout(&job->done, timeout);
	}
	if (ret <= 0) {
		qaccel_job_put(job);
		return ret ? ret : -ETIME;
	}

	args->status = job->status;
	args->hw_status = job->hw_status;
	args->cycles = job->cycles;
	args->macs = job->macs;

	/* A concurrent waiter for the same seqno may have taken the record. */
	mutex_lock(&qfile->lock);
	if (xa_cmpxchg(&qfile->jobs, args->seqno, job, NULL, GFP_KERNEL) == job) {
		qfile->nr_jobs--;
		forget = true;
	}
	mutex_unlock(&qfile->lock);
	if (forget)
		qaccel_job_put(job);
	qaccel_job_put(job);
	return 0;
}

/**
 * qaccel_uring_cmd() - &file_operations.uring_cmd of the render node
 * @cmd: the command; @cmd->cmd holds a struct drm_qaccel_gemm
 * @issue_flags: IO_URING_F_*
 *
 * Return: -EIOCBQUEUED once the job is queued (the CQE follows when it
 * completes), or a negative errno for a job that was not queued.
 */
int qaccel_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct drm_file *file = cmd->file->private_data;
	struct qaccel_device *qdev = to_qaccel_device(file->minor->dev);
	struct drm_qaccel_gemm args;
	struct qaccel_job *job;
	int ret, idx;

	if (cmd->cmd_op != DRM_QACCEL_URING_CMD_GEMM)
		return -ENOTTY;
	/* Without SQE128 the command area is 16 bytes, not a whole job. */
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* The SQE is shared with user space and reused: validate a copy. */
	memcpy(&args, cmd->cmd, sizeof(args));

	if (READ_ONCE(qdev->queue.nr_pending) >= QACCEL_MAX_PENDING)
		return -EBUSY;

	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	ret = qaccel_job_create(qdev, file, &args, &job);
	if (!ret) {
		job->cmd = cmd;
		job->qfile = file->driver_priv;
		*(struct qaccel_job **)cmd->pdu = job;
		qaccel_queue_push(qdev, &job, 1);
		ret = -EIOCBQUEUED;
	}
	drm_dev_exit(idx);
	return ret;
}
