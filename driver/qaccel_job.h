/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: a job from validation to completion, and a file's job records.
 */
#ifndef QACCEL_JOB_H
#define QACCEL_JOB_H

#include <linux/completion.h>
#include <linux/dma-fence.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

#include "qaccel_hw.h"

struct drm_file;
struct drm_gem_object;
struct drm_qaccel_gemm;
struct drm_qaccel_job;
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
 * @qdev: the device, for @dep_cb
 * @context: fence context of the file the job came through
 *	(&qaccel_file.fence_context): the device gets the jobs of one
 *	context in submission order
 * @deps: fences the job waits for before the device gets it (its
 *	in-syncobjs', other drivers' and other files' fences on its
 *	buffers), one reference each; NULL once they have all signalled
 * @nr_deps: entries in @deps
 * @max_deps: room in @deps
 * @next_dep: the fences of @deps before this one have signalled
 * @dep_cb: on @deps[@next_dep] while @dep_armed: kicks the queue when it
 *	signals
 * @dep_armed: @dep_cb is added to @deps[@next_dep]
 * @dep_deadline: jiffies after which the job stops waiting for @deps:
 *	it then runs as a NOP and fails with -ETIME (@dep_error)
 * @dep_error: 0, or the status the job fails with instead of the device's
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
	struct qaccel_device *qdev;
	u64 context;
	struct dma_fence **deps;
	unsigned int nr_deps;
	unsigned int max_deps;
	unsigned int next_dep;
	struct dma_fence_cb dep_cb;
	bool dep_armed;
	unsigned long dep_deadline;
	int dep_error;
};

int qaccel_job_create(struct qaccel_device *qdev, struct drm_file *file,
		      const struct drm_qaccel_gemm *args, bool need_fence,
		      struct qaccel_job **out);
void qaccel_job_put(struct qaccel_job *job);
void qaccel_job_fail(struct qaccel_job *job, int err, struct list_head *done);
void qaccel_job_finish_list(struct qaccel_device *qdev, struct list_head *done);

void qaccel_job_file_init(struct qaccel_file *qfile);
void qaccel_job_file_fini(struct qaccel_file *qfile);
int qaccel_file_add_jobs(struct qaccel_file *qfile, struct qaccel_job **jobs,
			 struct drm_qaccel_job __user *ujobs, unsigned int count);

#endif /* QACCEL_JOB_H */
