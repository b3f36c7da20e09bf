// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: job fences and implicit sync.
 *
 * A file's jobs are one fence timeline.  A job's fence goes into the
 * reservation objects of its buffers so that other drivers and user space
 * see qaccel's work; before a job is queued, the fences other drivers put
 * on its buffers, and its in-syncobjs, are waited for.
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

/*
 * Implicit sync: the job's fence goes into the reservation object of every
 * buffer it uses, as a write fence for C and a read fence for the others,
 * so that another driver importing one of them as a dma-buf (or user space
 * through DMA_BUF_IOCTL_EXPORT_SYNC_FILE, or poll() on the dma-buf) can
 * wait for the job.  A buffer named twice is locked and fenced once (write
 * wins).  Interruptible.
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
bool qaccel_job_has_foreign_fences(struct qaccel_job *job)
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
 * Wait until every syncobj @ujob names has signalled.  The fences are taken
 * when the call starts, so a job cannot wait for another of the same call.
 */
int qaccel_job_wait_in_syncobjs(struct drm_file *file, const struct drm_qaccel_job *ujob)
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
int qaccel_job_wait_implicit(struct drm_file *file, const struct drm_qaccel_gemm *g)
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
