/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: the job queue, the hardware rings, and their timeout and
 * recovery.
 */
#ifndef QACCEL_QUEUE_H
#define QACCEL_QUEUE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "qaccel_hw.h"

struct qaccel_device;
struct qaccel_job;

/**
 * struct qaccel_stats - what the driver counted since probe
 * @submitted: jobs queued
 * @completed: jobs that finished with status 0
 * @failed: jobs that finished with an error (timeouts included)
 * @timeouts: jobs that hung and were failed with -ETIMEDOUT
 * @resets: device resets after a hang or a fatal error
 * @busy_cycles: device cycles of the completed jobs
 * @macs: multiply-accumulates of the completed jobs
 */
struct qaccel_stats {
	atomic64_t submitted;
	atomic64_t completed;
	atomic64_t failed;
	atomic64_t timeouts;
	atomic64_t resets;
	atomic64_t busy_cycles;
	atomic64_t macs;
};

/**
 * struct qaccel_queue - jobs of one device, in submission order
 * @lock: protects this structure and the hardware rings
 * @pending: validated jobs, in submission order, waiting for their
 *	dependencies and a free ring slot
 * @nr_pending: entries in @pending
 * @running: jobs in the hardware ring, by slot
 * @nr_running: entries in @running; at most QACCEL_RING_ENTRIES - 1
 * @next_tag: tag of the next job given to the device; also, modulo the
 *	ring size, the next submission slot
 * @dead: 0, or the errno every new job fails with (device gone or broken)
 * @timeout_work: declares the oldest running job hung when the device has
 *	made no progress for job_timeout_ms
 * @kick_work: a kick deferred from where the queue's lock cannot be taken
 *	(a plug flushed from schedule(), a dependency's fence callback)
 * @dep_timeout_work: kicks when the first pending job's wait for its
 *	dependencies expires
 * @progress: jiffies of the last completion, or of the first job given to
 *	an idle device
 * @next_id: source of &qaccel_job.id
 * @stats: counters for sysfs
 */
struct qaccel_queue {
	struct mutex lock; /* guards the queue and the rings */
	struct list_head pending;
	unsigned int nr_pending;
	struct qaccel_job *running[QACCEL_RING_ENTRIES];
	unsigned int nr_running;
	u32 next_tag;
	int dead;
	struct delayed_work timeout_work;
	struct work_struct kick_work;
	struct delayed_work dep_timeout_work;
	unsigned long progress;
	atomic64_t next_id;
	struct qaccel_stats stats;
};

void qaccel_queue_init(struct qaccel_device *qdev);
void qaccel_queue_stop(struct qaccel_device *qdev);
void qaccel_queue_fini(struct qaccel_device *qdev);
void qaccel_queue_push(struct qaccel_device *qdev, struct qaccel_job **jobs,
		       unsigned int count, bool batched);
void qaccel_queue_kick_async(struct qaccel_device *qdev);
void qaccel_job_irq(struct qaccel_device *qdev);

/* Between qaccel_queue.c and qaccel_recovery.c; called with the queue's lock. */
void qaccel_queue_kick_locked(struct qaccel_device *qdev, struct list_head *done);
unsigned int qaccel_queue_reap_locked(struct qaccel_device *qdev, struct list_head *done);
void qaccel_queue_kill_locked(struct qaccel_device *qdev, int err, struct list_head *done);
void qaccel_queue_recover_locked(struct qaccel_device *qdev, struct list_head *done);
void qaccel_queue_fail_oldest_locked(struct qaccel_device *qdev, int err,
				     const char *why, struct list_head *done);
void qaccel_queue_timeout_work(struct work_struct *work);
unsigned long qaccel_job_timeout(void);

#endif /* QACCEL_QUEUE_H */
