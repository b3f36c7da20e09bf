// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: job fences and implicit sync.
 *
 * A file's jobs are one fence timeline.  A job's fence goes into the
 * reservation objects of its buffers so that other drivers and user space
 * see qaccel's work.  The fences a job must wait for (its in-syncobjs',
 * and those already on its buffers that are not its own file's) become its
 * dependencies: the job is queued at once, in submission order, and the
 * queue gives it to the device once they have signalled, told by a fence
 * callback.  No submitter sleeps for them.
 */

#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_syncobj.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_fence.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"

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

/**
 * qaccel_fence_create() - the next fence of a file's timeline
 * @qfile: the file; its submit_lock is held
 *
 * Return: the fence, or NULL without memory.
 */
struct dma_fence *qaccel_fence_create(struct qaccel_file *qfile)
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

/**
 * qaccel_job_add_dep() - make a job wait for a fence
 * @job: the job, not queued yet
 * @fence: the fence; the job takes its own reference
 *
 * A signalled fence and a fence of the job's own file (the device runs a
 * file's jobs in order anyway) are not kept; of two fences of one context
 * only the later is.
 *
 * Return: 0 or -ENOMEM.
 */
int qaccel_job_add_dep(struct qaccel_job *job, struct dma_fence *fence)
{
	unsigned int i;

	if (fence->context == job->context || dma_fence_is_signaled(fence))
		return 0;
	for (i = 0; i < job->nr_deps; i++) {
		if (job->deps[i]->context != fence->context)
			continue;
		if (dma_fence_is_later(fence, job->deps[i])) {
			dma_fence_put(job->deps[i]);
			job->deps[i] = dma_fence_get(fence);
		}
		return 0;
	}
	if (job->nr_deps == job->max_deps) {
		unsigned int max = job->max_deps ? 2 * job->max_deps : 4;
		struct dma_fence **deps;

		deps = krealloc_array(job->deps, max, sizeof(*deps), GFP_KERNEL);
		if (!deps)
			return -ENOMEM;
		job->deps = deps;
		job->max_deps = max;
	}
	job->deps[job->nr_deps++] = dma_fence_get(fence);
	return 0;
}

/*
 * Implicit sync: the job waits for the fences already on its buffers (the
 * writers of the ones it reads; writers and readers of C, which it
 * writes), and its own fence goes into their reservation objects, as a
 * write fence for C and a read fence for the others, so that another
 * driver importing one of them as a dma-buf (or user space through
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE, or poll() on the dma-buf) can wait for
 * the job.  Both happen under the reservation locks: a fence added to a
 * buffer before the job's is waited for, one added after it sees the job's.
 * A buffer named twice is locked and fenced once (write wins).
 * Interruptible.
 */
int qaccel_job_attach_fences(struct qaccel_job *job)
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
		struct dma_resv_iter cursor;
		struct dma_fence *fence;

		/* READ usage returns every fence, WRITE only the writers. */
		dma_resv_for_each_fence(&cursor, objs[j]->resv,
					write[j] ? DMA_RESV_USAGE_READ : DMA_RESV_USAGE_WRITE,
					fence) {
			ret = qaccel_job_add_dep(job, fence);
			if (ret)
				goto out;
		}
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

/**
 * qaccel_job_add_in_syncobjs() - make a job wait for its in-syncobjs
 * @job: the job, not queued yet
 * @file: the file the handles belong to
 * @ujob: the job's struct drm_qaccel_job (a copy)
 *
 * The fences are taken now, before any job of the SUBMIT call installs
 * its out-syncobj fence, so a job cannot wait for another of the same call.
 *
 * Return: 0, -EFAULT, -ENOENT (unknown handle), -EINVAL (no fence) or
 * -ENOMEM.
 */
int qaccel_job_add_in_syncobjs(struct qaccel_job *job, struct drm_file *file,
			       const struct drm_qaccel_job *ujob)
{
	u32 __user *handles = u64_to_user_ptr(ujob->in_syncobjs);
	unsigned int i;
	int ret;

	for (i = 0; i < ujob->in_syncobj_count; i++) {
		struct dma_fence *fence;
		u32 handle;

		if (get_user(handle, &handles[i]))
			return -EFAULT;
		ret = drm_syncobj_find_fence(file, handle, 0, 0, &fence);
		if (ret)
			return ret;
		ret = qaccel_job_add_dep(job, fence);
		dma_fence_put(fence);
		if (ret)
			return ret;
	}
	return 0;
}

/* The dependency the job waited for signalled: look at the queue again. */
static void qaccel_job_dep_signalled(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct qaccel_job *job = container_of(cb, struct qaccel_job, dep_cb);

	qaccel_queue_kick_async(job->qdev);
}

/**
 * qaccel_job_deps_ready() - whether every dependency of a job has signalled
 * @job: a pending job; the queue's lock is held
 *
 * When one has not, a callback on it kicks the queue once it signals.
 *
 * Return: true when the device may get the job.
 */
bool qaccel_job_deps_ready(struct qaccel_job *job)
{
	while (job->next_dep < job->nr_deps) {
		struct dma_fence *fence = job->deps[job->next_dep];

		if (!dma_fence_is_signaled(fence)) {
			if (job->dep_armed)
				return false;
			if (!dma_fence_add_callback(fence, &job->dep_cb,
						    qaccel_job_dep_signalled)) {
				job->dep_armed = true;
				return false;
			}
			/* -ENOENT: it signalled meanwhile. */
		} else if (job->dep_armed) {
			/* Waits for the callback, should it still be running. */
			dma_fence_remove_callback(fence, &job->dep_cb);
			job->dep_armed = false;
		}
		job->next_dep++;
	}
	return true;
}

/**
 * qaccel_job_drop_deps() - stop waiting for a job's dependencies
 * @job: the job
 *
 * Called when the job leaves the pending list and when it is released;
 * after it no callback refers to the job.
 */
void qaccel_job_drop_deps(struct qaccel_job *job)
{
	if (job->dep_armed) {
		dma_fence_remove_callback(job->deps[job->next_dep], &job->dep_cb);
		job->dep_armed = false;
	}
	while (job->nr_deps)
		dma_fence_put(job->deps[--job->nr_deps]);
	kfree(job->deps);
	job->deps = NULL;
	job->max_deps = 0;
	job->next_dep = 0;
}
