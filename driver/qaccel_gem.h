/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: buffer objects and the device page tables that describe them.
 */
#ifndef QACCEL_GEM_H
#define QACCEL_GEM_H

#include <linux/mutex.h>
#include <linux/types.h>

#include <drm/drm_gem_shmem_helper.h>

struct dma_buf_attachment;
struct drm_device;
struct drm_file;
struct sg_table;

/**
 * struct qaccel_bo - a GEM shmem buffer object
 * @base: the shmem object; GEM helpers allocate it through
 *	qaccel_gem_create_object()
 * @pt_lock: serialises building the page tables
 * @l1: level-1 table, NULL until a job first uses the buffer
 * @l1_dma: device address of @l1, what descriptors carry
 * @l0: level-0 tables, @nr_l0 of them
 * @l0_dma: device addresses of @l0
 * @nr_l0: number of level-0 tables
 *
 * The tables and the pages they point to stay pinned from the first job
 * that uses the buffer until the buffer is freed, which jobs prevent by
 * holding a reference while they run.
 */
struct qaccel_bo {
	struct drm_gem_shmem_object base;
	struct mutex pt_lock; /* guards building the tables */
	__le64 *l1;
	dma_addr_t l1_dma;
	__le64 **l0;
	dma_addr_t *l0_dma;
	unsigned int nr_l0;
};

static inline struct qaccel_bo *to_qaccel_bo(struct drm_gem_object *obj)
{
	return container_of(to_drm_gem_shmem_obj(obj), struct qaccel_bo, base);
}

struct drm_gem_object *qaccel_gem_create_object(struct drm_device *drm, size_t size);
struct drm_gem_object *qaccel_gem_prime_import_sg_table(struct drm_device *drm,
							struct dma_buf_attachment *attach,
							struct sg_table *sgt);
int qaccel_gem_map(struct qaccel_bo *bo, dma_addr_t *table);

int qaccel_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file);
int qaccel_ioctl_bo_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file);
int qaccel_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* QACCEL_GEM_H */
