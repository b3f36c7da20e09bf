// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: job timeout, device reset and recovery.
 *
 * The device runs jobs in order.  If it completes nothing for
 * job_timeout_ms while it holds jobs, the oldest of them is declared hung:
 * it fails with -ETIMEDOUT, the device is reset and every other job it held
 * is given to it again, in order.  A fatal device error fails what the
 * device held and resets it; a device that stops answering fails every job.
 */

#include <linux/jiffies.h>
#include <linux/moduleparam.h>

#include <drm/drm_print.h>

#include "qaccel_drv.h"
#include "qaccel_hw.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"
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

/**
 * qaccel_job_timeout() - the job timeout in jiffies, at least one
 *
 * Return: job_timeout_ms as jiffies.
 */
unsigned long qaccel_job_timeout(void)
{
	return msecs_to_jiffies(max(READ_ONCE(job_timeout_ms), 1u));
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
void qaccel_queue_kill_locked(struct qaccel_device *qdev, int err,
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
void qaccel_queue_recover_locked(struct qaccel_device *qdev, struct list_head *done)
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
void qaccel_queue_fail_oldest_locked(struct qaccel_device *qdev, int err,
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

void qaccel_queue_timeout_work(struct work_struct *work)
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

