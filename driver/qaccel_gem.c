// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: buffer objects.
 *
 * Buffers are GEM shmem objects.  The device reaches one through a
 * two-level page table (include/qaccel_hw.h) that only this file writes,
 * built from the DMA-mapped pages the first time a job uses the buffer.
 */

#include <linux/dma-mapping.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_vma_manager.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_drv.h"
#include "qaccel_gem.h"

/* drm_gem_shmem_free() frees the object through its first member. */
static_assert(offsetof(struct qaccel_bo, base) == 0);

static void qaccel_gem_free_tables(struct qaccel_bo *bo)
{
	struct device *dev = bo->base.base.dev->dev;
	unsigned int i;

	/* Also after a failed build: l0 may be missing, or some of its tables. */
	for (i = 0; bo->l0 && i < bo->nr_l0; i++)
		if (bo->l0[i])
			dma_free_coherent(dev, QACCEL_PAGE_SIZE, bo->l0[i], bo->l0_dma[i]);
	kfree(bo->l0);
	kfree(bo->l0_dma);
	if (bo->l1)
		dma_free_coherent(dev, QACCEL_PAGE_SIZE, bo->l1, bo->l1_dma);
	bo->l0 = NULL;
	bo->l0_dma = NULL;
	bo->l1 = NULL;
	bo->nr_l0 = 0;
}

static void qaccel_gem_free(struct drm_gem_object *obj)
{
	struct qaccel_bo *bo = to_qaccel_bo(obj);
	struct qaccel_device *qdev = to_qaccel_device(obj->dev);

	/* Tables exist only while the pages are pinned (qaccel_gem_map()). */
	if (bo->l1)
		atomic64_sub(obj->size >> PAGE_SHIFT, &qdev->pinned_pages);
	atomic64_dec(&qdev->nr_bos);
	qaccel_gem_free_tables(bo);
	mutex_destroy(&bo->pt_lock);
	drm_gem_shmem_free(&bo->base);
}

static const struct drm_gem_object_funcs qaccel_gem_funcs = {
	.free = qaccel_gem_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

/**
 * qaccel_gem_create_object() - &drm_driver.gem_create_object
 * @drm: the DRM device
 * @size: object size in bytes
 *
 * Return: the embedded GEM object of a new, zeroed struct qaccel_bo.
 */
struct drm_gem_object *qaccel_gem_create_object(struct drm_device *drm, size_t size)
{
	struct qaccel_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	mutex_init(&bo->pt_lock);
	bo->base.base.funcs = &qaccel_gem_funcs;
	/*
	 * Not counted in nr_bos yet: a create that fails later inside the
	 * shmem helper (-ENOMEM, no mmap offset space) kfree()s the object
	 * without qaccel_gem_free().  Its callers count it once it exists.
	 */
	return &bo->base.base;
}

/**
 * qaccel_gem_prime_import_sg_table() - &drm_driver.gem_prime_import_sg_table
 * @drm: the DRM device
 * @attach: the dma-buf attachment
 * @sgt: its mapped pages
 *
 * Return: the new buffer object (counted in nr_bos), or an ERR_PTR.
 */
struct drm_gem_object *qaccel_gem_prime_import_sg_table(struct drm_device *drm,
							struct dma_buf_attachment *attach,
							struct sg_table *sgt)
{
	struct drm_gem_object *obj = drm_gem_shmem_prime_import_sg_table(drm, attach, sgt);

	if (!IS_ERR(obj))
		atomic64_inc(&to_qaccel_device(drm)->nr_bos);
	return obj;
}

static int qaccel_gem_build_tables(struct qaccel_bo *bo, struct sg_table *sgt)
{
	struct device *dev = bo->base.base.dev->dev;
	size_t npages = bo->base.base.size >> QACCEL_PAGE_SHIFT;
	struct scatterlist *sg;
	size_t idx = 0;
	unsigned int i;

	bo->nr_l0 = DIV_ROUND_UP(npages, QACCEL_PT_ENTRIES);
	if (bo->nr_l0 > QACCEL_PT_ENTRIES)
		return -E2BIG;

	bo->l0 = kcalloc(bo->nr_l0, sizeof(*bo->l0), GFP_KERNEL);
	bo->l0_dma = kcalloc(bo->nr_l0, sizeof(*bo->l0_dma), GFP_KERNEL);
	bo->l1 = dma_alloc_coherent(dev, QACCEL_PAGE_SIZE, &bo->l1_dma, GFP_KERNEL);
	if (!bo->l0 || !bo->l0_dma || !bo->l1)
		return -ENOMEM;

	for (i = 0; i < bo->nr_l0; i++) {
		bo->l0[i] = dma_alloc_coherent(dev, QACCEL_PAGE_SIZE, &bo->l0_dma[i],
					       GFP_KERNEL);
		if (!bo->l0[i])
			return -ENOMEM;
		bo->l1[i] = cpu_to_le64(bo->l0_dma[i] | QACCEL_PTE_VALID);
	}

	/* A DMA segment may cover many device pages. */
	for_each_sgtable_dma_sg(sgt, sg, i) {
		dma_addr_t addr = sg_dma_address(sg);
		unsigned int len = sg_dma_len(sg);
		unsigned int off;

		for (off = 0; off < len && idx < npages; off += QACCEL_PAGE_SIZE, idx++)
			bo->l0[idx / QACCEL_PT_ENTRIES][idx % QACCEL_PT_ENTRIES] =
				cpu_to_le64((addr + off) | QACCEL_PTE_VALID);
	}
	if (WARN_ON(idx != npages))
		return -EINVAL;

	return 0;
}

/**
 * qaccel_gem_map() - pin a buffer and give the device a page table for it
 * @bo: the buffer
 * @table: out, device address of the buffer's level-1 table
 *
 * The first call pins the pages and builds the tables; later calls return
 * the same table.  Both last until the buffer is freed.  Sleeps.
 *
 * Return: 0 or a negative errno: -ENOMEM also when pinning the buffer
 * would leave less than half of RAM unpinned.
 */
int qaccel_gem_map(struct qaccel_bo *bo, dma_addr_t *table)
{
	atomic64_t *pinned = &to_qaccel_device(bo->base.base.dev)->pinned_pages;
	s64 npages = bo->base.base.size >> PAGE_SHIFT;
	struct sg_table *sgt;
	int ret = 0;

	mutex_lock(&bo->pt_lock);
	if (bo->l1)
		goto out;

	/*
	 * Pinned pages cannot be reclaimed: past half of RAM the OOM killer
	 * kills the submitter but frees nothing, and the system panics
	 * ("deadlocked on memory").  Refuse the job instead.
	 */
	if (atomic64_add_return(npages, pinned) > totalram_pages() / 2) {
		ret = -ENOMEM;
		goto unaccount;
	}
	sgt = drm_gem_shmem_get_pages_sgt(&bo->base);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto unaccount;
	}
	ret = qaccel_gem_build_tables(bo, sgt);
	if (!ret)
		goto out;
	qaccel_gem_free_tables(bo);
unaccount:
	atomic64_sub(npages, pinned);
out:
	if (!ret)
		*table = bo->l1_dma;
	mutex_unlock(&bo->pt_lock);
	return ret;
}

int qaccel_ioctl_bo_create(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_qaccel_bo_create *args = data;
	struct drm_gem_shmem_object *shmem;
	int ret;

	if (args->flags || !args->size || args->size > QACCEL_MAX_BUF_SIZE)
		return -EINVAL;

	shmem = drm_gem_shmem_create(drm, args->size);
	if (IS_ERR(shmem)) {
		ret = PTR_ERR(shmem);
		/*
		 * shmem_file_setup() reports a failed inode allocation as
		 * -ENOSPC; for the caller it is memory like any other, and
		 * -ENOMEM is what the uapi documents.
		 */
		return ret == -ENOSPC ? -ENOMEM : ret;
	}
	/* qaccel_gem_free() uncounts it, also when the handle fails. */
	atomic64_inc(&to_qaccel_device(drm)->nr_bos);

	ret = drm_gem_handle_create(file, &shmem->base, &args->handle);
	/* The handle holds the object now, or nothing does. */
	drm_gem_object_put(&shmem->base);
	return ret;
}

int qaccel_ioctl_bo_mmap_offset(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_qaccel_bo_mmap_offset *args = data;
	struct drm_gem_object *obj;
	int ret;

	if (args->pad)
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;

	ret = drm_gem_create_mmap_offset(obj);
	if (!ret)
		args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return ret;
}

int qaccel_ioctl_bo_info(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct drm_qaccel_bo_info *args = data;
	struct drm_gem_object *obj;
	struct qaccel_bo *bo;
	int ret;

	obj = drm_gem_object_lookup(file, args->handle);
	if (!obj)
		return -ENOENT;
	bo = to_qaccel_bo(obj);

	ret = drm_gem_create_mmap_offset(obj);
	if (ret)
		goto out;
	args->mmap_offset = drm_vma_node_offset_addr(&obj->vma_node);
	args->size = obj->size;
	args->flags = 0;
	if (obj->import_attach)
		args->flags |= DRM_QACCEL_BO_INFO_IMPORTED;
	/* l1 is set once, under pt_lock, and then stays until the free. */
	mutex_lock(&bo->pt_lock);
	if (bo->l1)
		args->flags |= DRM_QACCEL_BO_INFO_DEVICE_MAPPED;
	mutex_unlock(&bo->pt_lock);
out:
	drm_gem_object_put(obj);
	return ret;
}
