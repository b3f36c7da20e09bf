// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: DRM_IOCTL_QACCEL_SUBMIT and DRM_IOCTL_QACCEL_WAIT.
 *
 * Each handler copies its arguments in, has them validated
 * (qaccel_job_create()), calls into the queue and copies results out.
 * SUBMIT never waits: a job's in-syncobjs and the fences on its buffers
 * are its dependencies, which the queue waits for (qaccel_fence.c).
 */

#include <linux/slab.h>
#include <linux/uaccess.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_syncobj.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_fence.h"
#include "qaccel_ioctl.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"

/* Most jobs one DRM_IOCTL_QACCEL_SUBMIT takes, as the uapi says. */
#define QACCEL_SUBMIT_MAX_JOBS	64
/* Syncobjs one job may wait for. */
#define QACCEL_MAX_IN_SYNCOBJS	16

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
	while (created < args->job_count) {
		struct drm_qaccel_job ujob;

		if (copy_from_user(&ujob, &ujobs[created], sizeof(ujob))) {
			ret = -EFAULT;
			goto err;
		}
		if (ujob.in_syncobj_count > QACCEL_MAX_IN_SYNCOBJS ||
		    !ujob.in_syncobj_count != !ujob.in_syncobjs) {
			ret = -EINVAL;
			goto err;
		}
		if (ujob.out_syncobj) {
			syncobjs[created] = drm_syncobj_find(file, ujob.out_syncobj);
			if (!syncobjs[created]) {
				ret = -ENOENT;
				goto err;
			}
		}
		ret = qaccel_job_create(qdev, file, &ujob.gemm, ujob.out_syncobj, &jobs[created]);
		if (ret)
			goto err;
		/* Counted as created: a failure here releases the job too. */
		ret = qaccel_job_add_in_syncobjs(jobs[created++], file, &ujob);
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
