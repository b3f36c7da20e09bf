// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: a job's life and a file's job records.
 *
 * A job is built from a validated struct drm_qaccel_gemm with its fence,
 * waits in the queue (qaccel_queue.c), and finishes here: the submitter is
 * told by the completion an ioctl WAIT sleeps on, or by the io_uring CQE.
 * A file keeps a record of each job it submitted by ioctl until WAIT
 * collects it.
 */

#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_fence.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"
#include "qaccel_trace.h"
#include "qaccel_uring.h"
#include "qaccel_validate.h"

/* Submitted ioctl jobs a file may leave unwaited for. */
#define QACCEL_FILE_MAX_JOBS	4096

static void qaccel_job_put_bos(struct qaccel_job *job)
{
	while (job->nr_bos)
		drm_gem_object_put(job->bos[--job->nr_bos]);
}

static void qaccel_job_free(struct kref *ref)
{
	struct qaccel_job *job = container_of(ref, struct qaccel_job, ref);

	qaccel_job_drop_deps(job);
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

/**
 * qaccel_job_put() - drop a reference to a job
 * @job: the job
 */
void qaccel_job_put(struct qaccel_job *job)
{
	kref_put(&job->ref, qaccel_job_free);
}

/**
 * qaccel_job_create() - build a job
 * @qdev: the device
 * @file: the file the job came through
 * @args: the job (a copy the caller owns)
 * @need_fence: give a job without buffers (a NOP) a fence too (an
 *	out-syncobj wants it); nothing else could ever see it
 * @out: the job, with one reference, on success
 *
 * Validate, take the buffers, give the job the next fence of the file's
 * timeline, and, under the buffers' reservation locks, make it depend on
 * the fences already there and put its own there.  Called with the file's
 * submit_lock held, so that the file's jobs are queued in fence order.
 *
 * Return: 0 or a negative errno.
 */
int qaccel_job_create(struct qaccel_device *qdev, struct drm_file *file,
		      const struct drm_qaccel_gemm *args, bool need_fence,
		      struct qaccel_job **out)
{
	struct qaccel_file *qfile = file->driver_priv;
	struct qaccel_job *job;
	int ret;

	job = kzalloc(sizeof(*job), GFP_KERNEL);
	if (!job)
		return -ENOMEM;
	kref_init(&job->ref);
	INIT_LIST_HEAD(&job->node);
	init_completion(&job->done);
	job->id = atomic64_inc_return(&qdev->queue.next_id);
	job->qdev = qdev;
	job->context = qfile->fence_context;
	job->dep_deadline = jiffies + qaccel_job_timeout() * QACCEL_IN_FENCE_TIMEOUTS;

	ret = qaccel_job_validate(qdev, file, args, job);
	if (!ret && (job->nr_bos || need_fence)) {
		job->fence = qaccel_fence_create(qfile);
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

/**
 * qaccel_job_finish_list() - tell the submitters of finished jobs
 * @qdev: the device
 * @done: jobs with their status set, in the order they finished; emptied
 *
 * Consumes the queue's reference of each job.  Sleeps: called without the
 * queue's lock.
 */
void qaccel_job_finish_list(struct qaccel_device *qdev, struct list_head *done)
{
	struct qaccel_job *job, *tmp;

	list_for_each_entry_safe(job, tmp, done, node) {
		list_del_init(&job->node);
		qaccel_job_finish(qdev, job);
	}
}

/**
 * qaccel_job_fail() - finish a job with an error, without the device
 * @job: the job, no longer in any queue list
 * @err: its status
 * @done: the list of finished jobs to add it to
 */
void qaccel_job_fail(struct qaccel_job *job, int err, struct list_head *done)
{
	qaccel_job_drop_deps(job);
	job->status = err;
	job->hw_status = QACCEL_ERR_OK;
	list_add_tail(&job->node, done);
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

/**
 * qaccel_file_add_jobs() - record a SUBMIT's jobs in the file
 * @qfile: the file
 * @jobs: the jobs, in submission order
 * @ujobs: where their seqnos go in user memory
 * @count: entries in @jobs and @ujobs
 *
 * Each job gets a seqno and a record (holding a reference), or none does.
 *
 * Return: 0, -EBUSY when the file has too many unwaited jobs, -EFAULT or
 * -ENOMEM.
 */
int qaccel_file_add_jobs(struct qaccel_file *qfile, struct qaccel_job **jobs,
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
