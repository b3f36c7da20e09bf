// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: the job queue and the hardware rings.
 *
 * Jobs enter a device-wide pending list in submission order and move into
 * the submission ring while it has room; the tag a job runs under is a
 * device-wide counter whose value modulo the ring size is its slot.
 * SQ_TAIL is written once per batch (a SUBMIT call, or the URING_CMDs of
 * one io_uring_enter() under its block plug).  The interrupt thread reaps
 * completion records in order and refills the ring.  Timeouts, resets and
 * recovery are in qaccel_recovery.c.
 */

#include <linux/blkdev.h>
#include <linux/jiffies.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>

#include "qaccel_drv.h"
#include "qaccel_fence.h"
#include "qaccel_hw.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"

#define CREATE_TRACE_POINTS
#include "qaccel_trace.h"

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
 * Files whose oldest pending job waits for a dependency, found by one walk
 * of the pending list; a walk that finds more stops there.
 */
#define QACCEL_KICK_MAX_BLOCKED	16

static bool qaccel_context_blocked(const u64 *blocked, unsigned int nr, u64 context)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (blocked[i] == context)
			return true;
	return false;
}

/*
 * Whether the device may get @job now.  A job that has waited for its
 * dependencies for too long stops waiting: it runs as a NOP, in its place,
 * and fails with -ETIME, so its file's order (and its fence's place in the
 * file's timeline) holds.  Otherwise the earliest deadline of a waiting job
 * goes to @deadline.
 */
static bool qaccel_queue_job_ready(struct qaccel_job *job, unsigned long *deadline,
				   bool *waiting)
{
	if (qaccel_job_deps_ready(job))
		return true;
	if (time_after_eq(jiffies, job->dep_deadline)) {
		job->dep_error = -ETIME;
		job->desc = (struct qaccel_hw_desc){ .opcode = QACCEL_OP_NOP };
		return true;
	}
	if (!*waiting || time_before(job->dep_deadline, *deadline))
		*deadline = job->dep_deadline;
	*waiting = true;
	return false;
}

/*
 * Move pending jobs into free ring slots and tell the device.  Jobs of one
 * file are moved in their order, and none while an older one waits for its
 * dependencies; other files' jobs pass a waiting one.
 */
void qaccel_queue_kick_locked(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_queue *q = &qdev->queue;
	struct qaccel_hw *hw = &qdev->hw;
	u64 blocked[QACCEL_KICK_MAX_BLOCKED];
	unsigned int nr_blocked = 0;
	struct qaccel_job *job, *tmp;
	bool idle = !q->nr_running;
	unsigned long deadline = 0;
	bool waiting = false;
	bool pushed = false;

	list_for_each_entry_safe(job, tmp, &q->pending, node) {
		u32 slot = q->next_tag % QACCEL_RING_ENTRIES;

		if (q->nr_running >= QACCEL_RING_ENTRIES - 1)
			break;
		if (qaccel_context_blocked(blocked, nr_blocked, job->context))
			continue;
		if (!qaccel_queue_job_ready(job, &deadline, &waiting)) {
			if (nr_blocked == QACCEL_KICK_MAX_BLOCKED)
				break;
			blocked[nr_blocked++] = job->context;
			continue;
		}
		qaccel_job_drop_deps(job);
		list_del_init(&job->node);
		q->nr_pending--;

		job->desc.tag = q->next_tag++;
		hw->sq[slot] = job->desc;
		q->running[slot] = job;
		q->nr_running++;
		pushed = true;
		trace_qaccel_job_start(job);
	}
	/* A dependency that never signals must not hold its file for ever. */
	if (waiting)
		mod_delayed_work(system_wq, &q->dep_timeout_work,
				 time_after(deadline, jiffies) ? deadline - jiffies : 0);
	if (!pushed)
		return;
	/* The timeout counts from when an idle device gets work. */
	if (idle) {
		q->progress = jiffies;
		mod_delayed_work(system_wq, &q->timeout_work, qaccel_job_timeout());
	}
	/* The mailbox write orders after the descriptor stores (writel). */
	if (qaccel_reg_write(hw, QACCEL_REG_SQ_TAIL, q->next_tag % QACCEL_RING_ENTRIES))
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

static void qaccel_queue_dep_timeout_work(struct work_struct *work)
{
	struct qaccel_device *qdev = container_of(to_delayed_work(work), struct qaccel_device,
						  queue.dep_timeout_work);
	int idx;

	if (!drm_dev_enter(&qdev->drm, &idx))
		return;
	qaccel_queue_kick(qdev);
	drm_dev_exit(idx);
}

/**
 * qaccel_queue_kick_async() - look at the pending jobs again, soon
 * @qdev: the device
 *
 * For a dependency's fence callback, which may run in any context.  Jobs
 * with armed callbacks are pending, so the queue is not torn down yet.
 */
void qaccel_queue_kick_async(struct qaccel_device *qdev)
{
	queue_work(system_highpri_wq, &qdev->queue.kick_work);
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
		qaccel_queue_kick_async(qdev);
	else
		qaccel_queue_kick(qdev);
	drm_dev_exit(idx);
}

/*
 * Queue jobs in order; each fails at once if the device is gone.  With
 * @batched, the device sees them when the submitter's plug is flushed (if
 * it has one), else at once.
 */
void qaccel_queue_push(struct qaccel_device *qdev, struct qaccel_job **jobs,
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

/*
 * Collect every completion record the device has written; return how many.
 * Records come in submission order, so each must carry the tag of the
 * oldest job in the ring.  One that does not is corrupt: the oldest job's
 * result cannot be trusted, so it fails with -EIO, the others run again
 * after a device reset.
 */
unsigned int qaccel_queue_reap_locked(struct qaccel_device *qdev,
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
		job->status = job->dep_error ?: qaccel_hw_status_errno(cqe->status);
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
	INIT_DELAYED_WORK(&q->dep_timeout_work, qaccel_queue_dep_timeout_work);
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
	cancel_delayed_work_sync(&qdev->queue.dep_timeout_work);
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
	cancel_delayed_work_sync(&q->dep_timeout_work);
	qaccel_job_finish_list(qdev, &done);
	mutex_destroy(&q->lock);
}
