// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: jobs.
 *
 * A job arrives by DRM_IOCTL_QACCEL_SUBMIT or by an io_uring URING_CMD,
 * is validated by qaccel_job_create() whichever way it came, waits in the
 * queue's pending list, runs in a slot of the hardware submission ring and
 * completes from the interrupt thread.  Completion wakes ioctl waiters or
 * posts the io_uring CQE from task work.
 *
 * The device runs jobs in order.  If it completes nothing for
 * job_timeout_ms while it holds jobs, the oldest of them is declared hung:
 * it fails with -ETIMEDOUT, the device is reset and every other job it held
 * is given to it again, in order.
 */

#include <linux/blkdev.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/io_uring.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_gem.h"
#include "qaccel_hw.h"
#include "qaccel_job.h"

#define CREATE_TRACE_POINTS
#include "qaccel_trace.h"

/*
 * Simulated hardware is slow and shares the CPU with the guest: a 512^3
 * GEMM on a 4x4 array is ~46M cycles, ~35 s at ~1.3M simulated cycles/s.
 * The default must stay well above the longest legal job.
 */
static unsigned int job_timeout_ms = 120000;
module_param(job_timeout_ms, uint, 0644);
MODULE_PARM_DESC(job_timeout_ms,
		 "Reset the device when it completes no job for this long while busy (ms, default 120000: a simulated 512^3 GEMM takes ~35 s)");

/* Most jobs one DRM_IOCTL_QACCEL_SUBMIT takes, as the uapi says. */
#define QACCEL_SUBMIT_MAX_JOBS	64
/* Submitted ioctl jobs a file may leave unwaited for. */
#define QACCEL_FILE_MAX_JOBS	4096
/* Jobs the device-wide pending list takes before io_uring gets -EBUSY. */
#define QACCEL_MAX_PENDING	65536
/* Syncobjs one job may wait for. */
#define QACCEL_MAX_IN_SYNCOBJS	16
/* In-fences are waited for in the ioctl, at most this many job timeouts. */
#define QACCEL_IN_FENCE_TIMEOUTS	8

static unsigned long qaccel_job_timeout(void)
{
	return msecs_to_jiffies(max(READ_ONCE(job_timeout_ms), 1u));
}

/* Each job fence is its own timeline: jobs with in-fences may overtake. */
struct qaccel_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence's */
};

static const char *qaccel_fence_driver_name(struct dma_fence *fence)
{
	return QACCEL_DRIVER_NAME;
}

static const char *qaccel_fence_timeline_name(struct dma_fence *fence)
{
	return "qaccel-job";
}

/*
 * The fence ops live in this module, and a fence can outlive every file
 * and device (in a syncobj, a sync_file, or another driver's buffer that a
 * job used): each fence holds a module reference until it is released.
 */
static void qaccel_fence_release(struct dma_fence *fence)
{
	dma_fence_free(fence);
	module_put(THIS_MODULE);
}

static const struct dma_fence_ops qaccel_fence_ops = {
	.get_driver_name = qaccel_fence_driver_name,
	.get_timeline_name = qaccel_fence_timeline_name,
	.release = qaccel_fence_release,
};

/* dma_fence_free() frees the fence through its first member. */
static_assert(offsetof(struct qaccel_fence, base) == 0);

/* The next fence of @qfile's timeline; called with its submit_lock held. */
static struct dma_fence *qaccel_fence_create(struct qaccel_file *qfile)
{
	struct qaccel_fence *f = kzalloc(sizeof(*f), GFP_KERNEL);

	lockdep_assert_held(&qfile->submit_lock);
	if (!f)
		return NULL;
	/* Called from an ioctl or io_uring command, which hold the module. */
	__module_get(THIS_MODULE);
	spin_lock_init(&f->lock);
	dma_fence_init(&f->base, &qaccel_fence_ops, &f->lock, qfile->fence_context,
		       ++qfile->fence_seqno);
	return &f->base;
}

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
	if (job->fence) {
		/*
		 * A job dropped before it was queued (a later job of its
		 * SUBMIT failed) may have its fence in its buffers'
		 * reservation objects already: it must not stay pending.
		 */
		if (!dma_fence_is_signaled(job->fence)) {
			dma_fence_set_error(job->fence, -ECANCELED);
			dma_fence_signal(job->fence);
		}
		dma_fence_put(job->fence);
	}
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

/*
 * Implicit sync: the job's fence goes into the reservation object of every
 * buffer it uses, as a write fence for C and a read fence for the others,
 * so that another driver importing one of them as a dma-buf (or user space
 * through DMA_BUF_IOCTL_EXPORT_SYNC_FILE, or poll() on the dma-buf) can
 * wait for the job.  A buffer named twice is locked and fenced once (write
 * wins).  Interruptible.
 */
static int qaccel_job_attach_fences(struct qaccel_job *job)
{
	struct drm_gem_object *objs[QACCEL_JOB_MAX_BOS];
	bool write[QACCEL_JOB_MAX_BOS] = { };
	struct ww_acquire_ctx ctx;
	unsigned int i, j, n = 0;
	int ret;

	for (i = 0; i < job->nr_bos; i++) {
		for (j = 0; j < n; j++)
			if (objs[j]->resv == job->bos[i]->resv)
				break;
		if (j == n)
			objs[n++] = job->bos[i];
		if (i == QACCEL_JOB_BO_C)
			write[j] = true;
	}
	if (!n)
		return 0;

	ret = drm_gem_lock_reservations(objs, n, &ctx);
	if (ret)
		return ret;
	for (j = 0; j < n; j++) {
		ret = dma_resv_reserve_fences(objs[j]->resv, 1);
		if (ret)
			goto out;
	}
	for (j = 0; j < n; j++)
		dma_resv_add_fence(objs[j]->resv, job->fence,
				   write[j] ? DMA_RESV_USAGE_WRITE : DMA_RESV_USAGE_READ);
out:
	drm_gem_unlock_reservations(objs, n, &ctx);
	return ret;
}

/*
 * Implicit sync with other drivers: a job waits for the writers of its
 * buffers, and for the readers too of the one it writes (C).  Fences of
 * qaccel jobs need no wait: the device runs jobs in submission order.
 */
static enum dma_resv_usage qaccel_foreign_usage(bool write)
{
	return write ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE;
}

static bool qaccel_fence_is_foreign(struct dma_fence *fence)
{
	return fence->ops != &qaccel_fence_ops;
}

/*
 * Whether another driver's fence is pending on one of the job's buffers
 * (one it would have to wait for before running).  Lock-free; a fence
 * added after the check is not seen.
 */
static bool qaccel_job_has_foreign_fences(struct qaccel_job *job)
{
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	bool found = false;
	unsigned int i;

	for (i = 0; i < job->nr_bos && !found; i++) {
		dma_resv_iter_begin(&cursor, job->bos[i]->resv,
				    qaccel_foreign_usage(i == QACCEL_JOB_BO_C));
		dma_resv_for_each_fence_unlocked(&cursor, fence) {
			if (qaccel_fence_is_foreign(fence)) {
				found = true;
				break;
			}
		}
		dma_resv_iter_end(&cursor);
	}
	return found;
}

/*
 * Build a job from @args: validate, take its buffers, give it the next
 * fence of the file's timeline and put that in the buffers' reservation
 * objects.  With @nowait_foreign, a job that would have to wait for another
 * driver's fence is not built: -EAGAIN (io_uring's non-blocking attempt,
 * which then retries from its worker through qaccel_job_wait_implicit()).
 * A job without buffers (a NOP) gets a fence only if @need_fence (an
 * out-syncobj wants it): nothing else could ever see it.
 */
static int qaccel_job_create(struct qaccel_device *qdev, struct drm_file *file,
			     const struct drm_qaccel_gemm *args, bool nowait_foreign,
			     bool need_fence, struct qaccel_job **out)
{
	struct qaccel_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	INIT_LIST_HEAD(&job->node);
	init_completion(&job->done);
	job->id = atomic64_inc_return(&qdev->queue.next_id);

	ret = qaccel_job_validate(qdev, file, args, job);
	if (!ret && nowait_foreign && qaccel_job_has_foreign_fences(job))
		ret = -EAGAIN;
	if (!ret && (job->nr_bos || need_fence)) {
		job->fence = qaccel_fence_create(file->driver_priv);
		if (!job->fence)
			ret = -ENOMEM;
	}
	if (!ret)
		ret = qaccel_job_attach_fences(job);
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
static void qaccel_job_finish(struct qaccel_device *qdev, struct qaccel_job *job)
{
	struct qaccel_stats *st = &qdev->queue.stats;

	trace_qaccel_job_complete(job);
	if (job->status) {
		atomic64_inc(&st->failed);
	} else {
		atomic64_inc(&st->completed);
		atomic64_add(job->cycles, &st->busy_cycles);
		atomic64_add(job->macs, &st->macs);
	}
	/* The buffers may be freed now; the device is done with them. */
	qaccel_job_put_bos(job);
	if (job->fence) {
		if (job->status)
			dma_fence_set_error(job->fence, job->status);
		dma_fence_signal(job->fence);
	}
	if (job->cmd) {
		/* The reference moves to the CQE. */
		qaccel_uring_post(job);
		return;
	}
	complete_all(&job->done);
	qaccel_job_put(job);
}

static void qaccel_job_finish_list(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, done, node) {
		list_del_init(&job->node);
		qaccel_job_finish(qdev, job);
	}
}

static void qaccel_job_fail(struct qaccel_job *job, int err, struct list_head *done)
{
	job->status = err;
	job->hw_status = QACCEL_ERR_OK;
	list_add_tail(&job->node, done);
}

/*
 * Take every job out of the ring onto @list, oldest first.  The slot of
 * next_tag is always free (the ring holds one less than its size), so the
 * slots after it, in ring order, hold the jobs in the order they were given.
 */
static void qaccel_queue_take_running_locked(struct qaccel_queue *q, struct list_head *list)
{
	unsigned int i;

	for (i = 1; i <= QACCEL_RING_ENTRIES; i++) {
		u32 slot = (q->next_tag + i) % QACCEL_RING_ENTRIES;

		if (q->running[slot]) {
			list_add_tail(&q->running[slot]->node, list);
			q->running[slot] = NULL;
		}
	}
	q->nr_running = 0;
}

/* Fail everything in the ring (not pending jobs) with @err, oldest first. */
static void qaccel_queue_fail_running_locked(struct qaccel_device *qdev, int err,
					     struct list_head *done)
{
	struct qaccel_job *job, *tmp;
	LIST_HEAD(running);

	qaccel_queue_take_running_locked(&qdev->queue, &running);
	list_for_each_entry_safe(job, tmp, &running, node) {
		list_del_init(&job->node);
		qaccel_job_fail(job, err, done);
	}
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

	/* The timeout counts from when an idle device gets work. */
	if (!q->nr_running && !list_empty(&q->pending)) {
		q->progress = jiffies;
		mod_delayed_work(system_wq, &q->timeout_work, qaccel_job_timeout());
	}
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
		trace_qaccel_job_start(job);
	}
	/* The mailbox write orders after the descriptor stores (writel). */
	if (pushed && qaccel_reg_write(hw, QACCEL_REG_SQ_TAIL,
				       q->next_tag % QACCEL_RING_ENTRIES))
		qaccel_queue_kill_locked(qdev, -EIO, done);
}

/* Hand the pending jobs to the device. */
static void qaccel_queue_kick(struct qaccel_device *qdev)
{
	struct qaccel_queue *q = &qdev->queue;
	LIST_HEAD(done);

	mutex_lock(&q->lock);
	if (!q->dead)
		qaccel_queue_kick_locked(qdev, &done);
	mutex_unlock(&q->lock);
	qaccel_job_finish_list(qdev, &done);
}

static void qaccel_queue_kick_work(struct work_struct *work)
{
	struct qaccel_device *qdev = container_of(work, struct qaccel_device, queue.kick_work);
	int idx;

	if (!drm_dev_enter(&qdev->drm, &idx))
		return;
	qaccel_queue_kick(qdev);
	drm_dev_exit(idx);
}

/*
 * io_uring submits the URING_CMDs of one io_uring_enter() under a block
 * plug (the opcode is marked .plug, and a batch of more than two SQEs
 * starts one) and flushes the plug once the batch is in.  Jobs queued while
 * a plug is active are handed to the device here, at the flush: one SQ_TAIL
 * write, i.e. one mailbox entry and one doorbell, per batch instead of one
 * per job.  Called from schedule() (@from_schedule) when the submitter
 * sleeps mid-batch, where the queue's mutex cannot be taken: a work item
 * kicks then.  The file the commands hold keeps @cb->data alive;
 * drm_dev_enter() keeps the queue from being torn down meanwhile.
 */
static void qaccel_queue_unplug(struct blk_plug_cb *cb, bool from_schedule)
{
	struct qaccel_device *qdev = cb->data;
	int idx;

	kfree(cb);
	if (!drm_dev_enter(&qdev->drm, &idx))
		return;
	if (from_schedule)
		queue_work(system_highpri_wq, &qdev->queue.kick_work);
	else
		qaccel_queue_kick(qdev);
	drm_dev_exit(idx);
}

/*
 * Queue jobs in order; each fails at once if the device is gone.  With
 * @batched, the device sees them when the submitter's plug is flushed (if
 * it has one), else at once.
 */
static void qaccel_queue_push(struct qaccel_device *qdev, struct qaccel_job **jobs,
			      unsigned int count, bool batched)
{
	struct qaccel_queue *q = &qdev->queue;
	LIST_HEAD(done);
	unsigned int i;

	atomic64_add(count, &q->stats.submitted);
	mutex_lock(&q->lock);
	for (i = 0; i < count; i++) {
		trace_qaccel_job_submit(jobs[i]);
		if (q->dead) {
			qaccel_job_fail(jobs[i], q->dead, &done);
		} else {
			list_add_tail(&jobs[i]->node, &q->pending);
			q->nr_pending++;
		}
	}
	if (!batched || q->dead ||
	    !blk_check_plugged(qaccel_queue_unplug, qdev, sizeof(struct blk_plug_cb)))
		qaccel_queue_kick_locked(qdev, &done);
	mutex_unlock(&q->lock);

	qaccel_job_finish_list(qdev, &done);
}

static void qaccel_queue_fail_oldest_locked(struct qaccel_device *qdev, int err,
					    const char *why, struct list_head *done);

/*
 * Collect every completion record the device has written; return how many.
 * Records come in submission order, so each must carry the tag of the
 * oldest job in the ring.  One that does not is corrupt: the oldest job's
 * result cannot be trusted, so it fails with -EIO, the others run again
 * after a device reset.
 */
static unsigned int qaccel_queue_reap_locked(struct qaccel_device *qdev,
					     struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;
	struct qaccel_hw_cqe *cqe;
	unsigned int reaped = 0;

	while ((cqe = qaccel_hw_cq_next(hw))) {
		u32 tag = READ_ONCE(cqe->tag);
		u32 slot = tag % QACCEL_RING_ENTRIES;
		struct qaccel_job *job = q->running[slot];

		if (!q->nr_running || tag != q->next_tag - q->nr_running ||
		    !job || job->desc.tag != tag) {
			dev_err_ratelimited(qdev->drm.dev,
					    "bad completion record (tag %u, expected %u)\n",
					    tag, q->next_tag - q->nr_running);
			qaccel_hw_cq_pop(hw);
			if (q->nr_running)
				qaccel_queue_fail_oldest_locked(qdev, -EIO, "bad completion",
								done);
			/* The reset started the completion ring afresh. */
			q->progress = jiffies;
			return reaped + 1;
		}
		job->hw_status = cqe->status;
		job->status = qaccel_hw_status_errno(cqe->status);
		job->cycles = cqe->cycles;
		job->macs = cqe->macs;
		q->running[slot] = NULL;
		q->nr_running--;
		list_add_tail(&job->node, done);
		qaccel_hw_cq_pop(hw);
		reaped++;
	}
	if (!reaped)
		return 0;
	q->progress = jiffies;
	if (q->nr_running)
		mod_delayed_work(system_wq, &q->timeout_work, qaccel_job_timeout());
	if (qaccel_reg_write(hw, QACCEL_REG_CQ_HEAD, hw->cq_head))
		qaccel_queue_kill_locked(qdev, -EIO, done);
	return reaped;
}

/* Start the device afresh; the caller has emptied the ring. */
static void qaccel_queue_reset_locked(struct qaccel_device *qdev, const char *why,
				      unsigned int requeued, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;

	atomic64_inc(&q->stats.resets);
	trace_qaccel_reset(why, requeued);
	q->next_tag = 0;
	if (qaccel_hw_start(qdev))
		qaccel_queue_kill_locked(qdev, -EIO, done);
}

/*
 * The device stopped on a fatal error: fail what it was running, reset it
 * and carry on with the pending jobs.
 */
static void qaccel_queue_recover_locked(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_hw *hw = &qdev->hw;

	dev_err(qdev->drm.dev, "device error %u at 0x%llx, resetting\n",
		qaccel_reg_read(hw, QACCEL_REG_ERR_CODE),
		(u64)qaccel_reg_read(hw, QACCEL_REG_ERR_ADDR_HI) << 32 |
		qaccel_reg_read(hw, QACCEL_REG_ERR_ADDR_LO));

	qaccel_queue_reap_locked(qdev, done);
	qaccel_queue_fail_running_locked(qdev, -EIO, done);
	qaccel_queue_reset_locked(qdev, "fatal error", 0, done);
}

/*
 * The device has completed nothing for a whole timeout: the oldest job it
 * holds is hung.  Fail it, give the others back to the pending list in
 * their order, and reset the device.  A job that was partly done runs
 * again from the start; a GEMM only writes its output, so that is safe.
 */
static void qaccel_queue_fail_oldest_locked(struct qaccel_device *qdev, int err,
					    const char *why, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_job *hung;
	unsigned int requeued = q->nr_running - 1;
	LIST_HEAD(running);

	qaccel_queue_take_running_locked(q, &running);
	hung = list_first_entry(&running, struct qaccel_job, node);
	list_del_init(&hung->node);
	if (err == -ETIMEDOUT) {
		drm_err(&qdev->drm,
			"job %llu (tag %u) timed out after %u ms, resetting the device\n",
			hung->id, hung->desc.tag, jiffies_to_msecs(jiffies - q->progress));
		atomic64_inc(&q->stats.timeouts);
		trace_qaccel_job_timeout(hung);
	} else {
		drm_err(&qdev->drm, "job %llu (tag %u) failed: %s, resetting the device\n",
			hung->id, hung->desc.tag, why);
	}
	qaccel_job_fail(hung, err, done);

	list_splice(&running, &q->pending);
	q->nr_pending += requeued;
	qaccel_queue_reset_locked(qdev, why, requeued, done);
}

static void qaccel_queue_hang_locked(struct qaccel_device *qdev, struct list_head *done)
{
	qaccel_queue_fail_oldest_locked(qdev, -ETIMEDOUT, "job timeout", done);
}

static void qaccel_queue_timeout_work(struct work_struct *work)
{
	struct qaccel_queue *q = container_of(to_delayed_work(work), struct qaccel_queue,
					      timeout_work);
	struct qaccel_device *qdev = container_of(q, struct qaccel_device, queue);
	unsigned long deadline;
	LIST_HEAD(done);

	/*
	 * An interrupt may have been lost: do the interrupt thread's work
	 * (acknowledge, so that the line can rise again; reap; refill).  A
	 * completion it takes is progress, not a hang; a device that no longer
	 * takes register writes is gone and fails every job with -EIO.
	 */
	qaccel_job_irq(qdev);

	mutex_lock(&q->lock);
	if (q->dead || !q->nr_running)
		goto out;
	deadline = q->progress + qaccel_job_timeout();
	if (time_before(jiffies, deadline)) {
		mod_delayed_work(system_wq, &q->timeout_work, deadline - jiffies);
		goto out;
	}
	qaccel_queue_hang_locked(qdev, &done);
	if (!q->dead)
		qaccel_queue_kick_locked(qdev, &done);
out:
	mutex_unlock(&q->lock);
	qaccel_job_finish_list(qdev, &done);
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

	qaccel_job_finish_list(qdev, &done);
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
	INIT_DELAYED_WORK(&q->timeout_work, qaccel_queue_timeout_work);
	INIT_WORK(&q->kick_work, qaccel_queue_kick_work);
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
	/* Nothing re-arms them once the queue is dead (and the device unplugged). */
	cancel_delayed_work_sync(&qdev->queue.timeout_work);
	cancel_work_sync(&qdev->queue.kick_work);
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
	cancel_delayed_work_sync(&q->timeout_work);
	cancel_work_sync(&q->kick_work);
	qaccel_job_finish_list(qdev, &done);
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
	mutex_init(&qfile->submit_lock);
	qfile->fence_context = dma_fence_context_alloc(1);
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
	mutex_destroy(&qfile->submit_lock);
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

/*
 * Wait until every syncobj @ujob names has signalled.  The fences are taken
 * when the call starts, so a job cannot wait for another of the same call.
 */
static int qaccel_job_wait_in_syncobjs(struct drm_file *file, const struct drm_qaccel_job *ujob)
{
	u32 __user *handles = u64_to_user_ptr(ujob->in_syncobjs);
	unsigned long left = qaccel_job_timeout() * QACCEL_IN_FENCE_TIMEOUTS;
	unsigned int i;
	int ret;

	for (i = 0; i < ujob->in_syncobj_count; i++) {
		struct dma_fence *fence;
		u32 handle;
		long t;

		if (get_user(handle, &handles[i]))
			return -EFAULT;
		ret = drm_syncobj_find_fence(file, handle, 0, 0, &fence);
		if (ret)
			return ret;
		t = dma_fence_wait_timeout(fence, true, left);
		dma_fence_put(fence);
		if (t < 0)
			return t;
		if (!t)
			return -ETIME;
		left = t;
	}
	return 0;
}

/*
 * Wait for the fences other drivers put on the buffer behind @handle: its
 * writers, and also its readers when the job writes it (@write).  Fences of
 * qaccel jobs need no wait: the device runs jobs in submission order.  An
 * unknown handle is left for validation to report.
 */
static int qaccel_wait_foreign(struct drm_file *file, u32 handle, bool write, long *left)
{
	struct drm_gem_object *obj = drm_gem_object_lookup(file, handle);
	struct dma_resv_iter cursor;
	struct dma_fence *fence;
	int ret = 0;

	if (!obj)
		return 0;
restart:
	/* The unlocked walk skips signalled fences, so each restart progresses. */
	dma_resv_iter_begin(&cursor, obj->resv, qaccel_foreign_usage(write));
	dma_resv_for_each_fence_unlocked(&cursor, fence) {
		long t;

		if (!qaccel_fence_is_foreign(fence))
			continue;
		dma_fence_get(fence);
		dma_resv_iter_end(&cursor);
		t = dma_fence_wait_timeout(fence, true, *left);
		dma_fence_put(fence);
		if (t <= 0) {
			ret = t ? t : -ETIME;
			goto out;
		}
		*left = t;
		goto restart;
	}
	dma_resv_iter_end(&cursor);
out:
	drm_gem_object_put(obj);
	return ret;
}

/*
 * Implicit sync with other drivers: before a job is queued, wait for their
 * fences on its buffers (at most 8 job timeouts, -ETIME).  A fence added
 * after this check is not waited for.
 */
static int qaccel_job_wait_implicit(struct drm_file *file, const struct drm_qaccel_gemm *g)
{
	long left = qaccel_job_timeout() * QACCEL_IN_FENCE_TIMEOUTS;
	int ret;

	if (g->op != DRM_QACCEL_OP_GEMM)
		return 0;
	ret = qaccel_wait_foreign(file, g->a_handle, false, &left);
	if (!ret)
		ret = qaccel_wait_foreign(file, g->b_handle, false, &left);
	if (!ret)
		ret = qaccel_wait_foreign(file, g->c_handle, true, &left);
	if (!ret && (g->flags & DRM_QACCEL_GEMM_BIAS))
		ret = qaccel_wait_foreign(file, g->bias_handle, false, &left);
	if (!ret && (g->flags & DRM_QACCEL_GEMM_PER_CHANNEL))
		ret = qaccel_wait_foreign(file, g->quant_handle, false, &left);
	return ret;
}

int qaccel_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct qaccel_device *qdev = to_qaccel_device(drm);
	struct qaccel_file *qfile = file->driver_priv;
	struct drm_qaccel_submit *args = data;
	struct drm_qaccel_job __user *ujobs = u64_to_user_ptr(args->jobs);
	struct drm_syncobj **syncobjs;
	struct qaccel_job **jobs;
	unsigned int i, created = 0;
	int ret, idx;

	if (args->flags || args->pad || args->job_size != sizeof(struct drm_qaccel_job) ||
	    !args->job_count)
		return -EINVAL;
	if (args->job_count > QACCEL_SUBMIT_MAX_JOBS)
		return -E2BIG;

	jobs = kcalloc(args->job_count, sizeof(*jobs), GFP_KERNEL);
	syncobjs = kcalloc(args->job_count, sizeof(*syncobjs), GFP_KERNEL);
	if (!jobs || !syncobjs) {
		ret = -ENOMEM;
		goto out_free;
	}

	/*
	 * In-fences first, outside drm_dev_enter(): the wait may be long and
	 * must not hold up unplug.  Nothing is queued yet, so an error or a
	 * signal leaves no trace.
	 */
	for (i = 0; i < args->job_count; i++) {
		struct drm_qaccel_job ujob;

		if (copy_from_user(&ujob, &ujobs[i], sizeof(ujob))) {
			ret = -EFAULT;
			goto out_free;
		}
		if (ujob.in_syncobj_count > QACCEL_MAX_IN_SYNCOBJS ||
		    !ujob.in_syncobj_count != !ujob.in_syncobjs) {
			ret = -EINVAL;
			goto out_free;
		}
		ret = qaccel_job_wait_in_syncobjs(file, &ujob);
		if (!ret)
			ret = qaccel_job_wait_implicit(file, &ujob.gemm);
		if (ret)
			goto out_free;
	}

	/* Validation pins buffers for the device: it must still be there. */
	if (!drm_dev_enter(drm, &idx)) {
		ret = -ENODEV;
		goto out_free;
	}
	/* Fence seqnos in queue order (struct qaccel_file). */
	ret = mutex_lock_interruptible(&qfile->submit_lock);
	if (ret) {
		drm_dev_exit(idx);
		goto out_free;
	}
	for (created = 0; created < args->job_count; created++) {
		struct drm_qaccel_job ujob;

		if (copy_from_user(&ujob, &ujobs[created], sizeof(ujob))) {
			ret = -EFAULT;
			goto err;
		}
		if (ujob.out_syncobj) {
			syncobjs[created] = drm_syncobj_find(file, ujob.out_syncobj);
			if (!syncobjs[created]) {
				ret = -ENOENT;
				goto err;
			}
		}
		ret = qaccel_job_create(qdev, file, &ujob.gemm, false, ujob.out_syncobj,
					&jobs[created]);
		if (ret)
			goto err;
	}

	ret = qaccel_file_add_jobs(qfile, jobs, ujobs, args->job_count);
	if (ret)
		goto err;
	/* Nothing fails from here: the syncobjs get their fences, the queue the jobs. */
	for (i = 0; i < args->job_count; i++)
		if (syncobjs[i])
			drm_syncobj_replace_fence(syncobjs[i], jobs[i]->fence);
	/* The queue takes the creation references. */
	qaccel_queue_push(qdev, jobs, args->job_count, false);
	goto out;

err:
	for (i = 0; i < created; i++)
		qaccel_job_put(jobs[i]);
out:
	mutex_unlock(&qfile->submit_lock);
	drm_dev_exit(idx);
out_free:
	for (i = 0; syncobjs && i < args->job_count; i++)
		if (syncobjs[i])
			drm_syncobj_put(syncobjs[i]);
	kfree(syncobjs);
	kfree(jobs);
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
	struct qaccel_file *qfile = file->driver_priv;
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
	/*
	 * Another driver's fence on a buffer: io_uring retries the command
	 * from its worker thread without IO_URING_F_NONBLOCK, where we wait
	 * here; the non-blocking attempt checks the buffers it has looked up
	 * anyway, in qaccel_job_create().
	 */
	if (!(issue_flags & IO_URING_F_NONBLOCK)) {
		ret = qaccel_job_wait_implicit(file, &args);
		/* A signal (ring teardown cancels the worker) cannot restart a CQE. */
		if (ret == -ERESTARTSYS)
			ret = -EINTR;
		if (ret)
			return ret;
	}

	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	/*
	 * Fence seqnos in queue order (struct qaccel_file).  Contended while
	 * io_uring must not block: it retries from its worker thread.
	 */
	if (!(issue_flags & IO_URING_F_NONBLOCK)) {
		mutex_lock(&qfile->submit_lock);
	} else if (!mutex_trylock(&qfile->submit_lock)) {
		drm_dev_exit(idx);
		return -EAGAIN;
	}
	ret = qaccel_job_create(qdev, file, &args, issue_flags & IO_URING_F_NONBLOCK, false,
				&job);
	if (!ret) {
		job->cmd = cmd;
		job->qfile = qfile;
		*(struct qaccel_job **)cmd->pdu = job;
		qaccel_queue_push(qdev, &job, 1, true);
		ret = -EIOCBQUEUED;
	}
	mutex_unlock(&qfile->submit_lock);
	drm_dev_exit(idx);
	return ret;
}
