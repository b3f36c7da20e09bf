/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: job fences and implicit sync through the buffers' reservation
 * objects.
 */
#ifndef QACCEL_FENCE_H
#define QACCEL_FENCE_H

#include <linux/dma-fence.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct drm_file;
struct drm_qaccel_job;
struct qaccel_file;
struct qaccel_job;

/* A job waits for its dependencies at most this many job timeouts. */
#define QACCEL_IN_FENCE_TIMEOUTS	8

/**
 * struct qaccel_fence - the fence of one job
 * @base: the fence; its context is the file's timeline
 *	(&qaccel_file.fence_context) and its seqno the job's place in it
 * @lock: the fence's lock
 *
 * Each fence holds a module reference until it is released: it can
 * outlive every file and the device (in a syncobj, a sync_file, or the
 * reservation object of another driver's buffer that a job used), and its
 * ops live in this module.
 */
struct qaccel_fence {
	struct dma_fence base;
	spinlock_t lock; /* the fence's */
};

struct dma_fence *qaccel_fence_create(struct qaccel_file *qfile);
int qaccel_job_attach_fences(struct qaccel_job *job);
int qaccel_job_add_dep(struct qaccel_job *job, struct dma_fence *fence);
int qaccel_job_add_in_syncobjs(struct qaccel_job *job, struct drm_file *file,
			       const struct drm_qaccel_job *ujob);
bool qaccel_job_deps_ready(struct qaccel_job *job);
void qaccel_job_drop_deps(struct qaccel_job *job);

#endif /* QACCEL_FENCE_H */
