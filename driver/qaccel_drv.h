/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: the device and per-file state shared by every part of the driver.
 */
#ifndef QACCEL_DRV_H
#define QACCEL_DRV_H

#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>

#include <drm/drm_device.h>
#include <drm/drm_file.h>

#include "qaccel_hw.h"
#include "qaccel_queue.h"

#define QACCEL_DRIVER_NAME	"qaccel"

/**
 * struct qaccel_device - one qaccel PCI function
 * @drm: the DRM device; the structure is allocated with it
 * @pdev: the ivshmem PCI function
 * @hw: registers, rings and interrupt
 * @queue: jobs waiting for and running on the device
 * @nr_bos: buffer objects alive (created or imported, not yet freed)
 * @pinned_pages: pages pinned for the device by qaccel_gem_map(), released
 *	when their buffer is freed
 */
struct qaccel_device {
	struct drm_device drm;
	struct pci_dev *pdev;
	struct qaccel_hw hw;
	struct qaccel_queue queue;
	atomic64_t nr_bos;
	atomic64_t pinned_pages;
};

/**
 * struct qaccel_file - state of one open render node
 * @qdev: the device
 * @lock: protects @next_seqno and @nr_jobs
 * @jobs: ioctl-submitted jobs not waited for yet, by seqno
 * @next_seqno: seqno of the next submitted job
 * @nr_jobs: entries in @jobs
 * @uring_lock: guards @uring_done and @uring_posting
 * @uring_done: finished io_uring jobs whose CQE is not posted yet, in
 *	completion order
 * @uring_posting: the first job of @uring_done has its task work queued
 */
struct qaccel_file {
	struct qaccel_device *qdev;
	struct mutex lock; /* guards next_seqno and nr_jobs */
	struct xarray jobs;
	u64 next_seqno;
	unsigned int nr_jobs;
	/*
	 * The file's jobs are one fence timeline: seqnos are taken and jobs
	 * queued under submit_lock, so they run, and signal, in seqno order.
	 * A buffer's reservation object then keeps one fence per file, not
	 * one per job in flight.
	 */
	struct mutex submit_lock;
	u64 fence_context;
	u64 fence_seqno;
	spinlock_t uring_lock; /* guards uring_done and uring_posting */
	struct list_head uring_done;
	bool uring_posting;
};

static inline struct qaccel_device *to_qaccel_device(struct drm_device *drm)
{
	return container_of(drm, struct qaccel_device, drm);
}

static inline struct qaccel_device *hw_to_qdev(struct qaccel_hw *hw)
{
	return container_of(hw, struct qaccel_device, hw);
}

struct drm_minor;

int qaccel_sysfs_init(struct qaccel_device *qdev);
#ifdef CONFIG_DEBUG_FS
void qaccel_debugfs_init(struct drm_minor *minor);
#endif

#endif /* QACCEL_DRV_H */
