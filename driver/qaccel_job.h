/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: job validation, the job queue, completion and waiting.
 */
#ifndef QACCEL_JOB_H
#define QACCEL_JOB_H

#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "qaccel_hw.h"

struct dma_fence;
struct drm_device;
struct drm_file;
struct drm_gem_object;
struct io_uring_cmd;
struct qaccel_device;
struct qaccel_file;

/* A job names at most A, B, C, bias and per-channel parameters. */
#define QACCEL_JOB_MAX_BOS	5
/* Index of C, the buffer a GEMM writes, in &qaccel_job.bos (A, B, C, ...). */
#define QACCEL_JOB_BO_C		2

/**
 * struct qaccel_job - one job from validation to completion
 * @id: device-wide job number, for tracing
 * @ref: held by the queue until the job completes, by the file's record
 *	until it is waited for, and by waiters while they wait
 * @node: entry in &qaccel_queue.pending, then in a list of finished jobs
 * @desc: the descriptor the device will run; @desc.tag is set when it
 *	enters the hardware ring
 * @bos: buffers the descriptor points into, one reference each, in the
 *	order A, B, C, bias, per-channel parameters (those the flags use)
 * @nr_bos: entries in @bos
 * @cmd: the io_uring command to complete, or NULL for an ioctl job
 * @qfile: the file @cmd came through (io_uring jobs only)
 * @done: completed when the job has finished
 * @status: 0 or a negative errno, valid once @done
 * @hw_status: the device's QACCEL_ERR_* status, valid once @done
 * @cycles: device cycles the job took, valid once @done
 * @macs: multiply-accumulates the job did, valid once @done
 * @fence: signalled when the job finishes (with its error if it failed);
 *	in the reservation objects of @bos and in the out-syncobj if any
 */
struct qaccel_job {
	u64 id;
	struct kref ref;
	struct list_head node;
	struct qaccel_hw_desc desc;
	struct drm_gem_object *bos[QACCEL_JOB_MAX_BOS];
	unsigned int nr_bos;
	struct io_uring_cmd *cmd;
	struct qaccel_file *qfile;
	struct completion done;
	int status;
	u32 hw_status;
	u64 cycles;
	u64 macs;
	struct dma_fence *fence;
};

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
 * @pending: validated jobs waiting for a free ring slot
 * @nr_pending: entries in @pending
 * @running: jobs in the hardware ring, by slot
 * @nr_running: entries in @running; at most QACCEL_RING_ENTRIES - 1
 * @next_tag: tag of the next job given to the device; also, modulo the
 *	ring size, the next submission slot
 * @dead: 0, or the errno every new job fails with (device gone or broken)
 * @timeout_work: declares the oldest running job hung when the device has
 *	made no progress for job_timeout_ms
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
	struct work_struct kick_work;	/* a deferred kick that could not sleep */
	unsigned long progress;
	atomic64_t next_id;
	struct qaccel_stats stats;
};

void qaccel_queue_init(struct qaccel_device *qdev);
void qaccel_queue_stop(struct qaccel_device *qdev);
void qaccel_queue_fini(struct qaccel_device *qdev);
void qaccel_job_irq(struct qaccel_device *qdev);

void qaccel_job_file_init(struct qaccel_file *qfile);
void qaccel_job_file_fini(struct qaccel_file *qfile);

int qaccel_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);
int qaccel_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file);
int qaccel_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);

#endif /* QACCEL_JOB_H */
