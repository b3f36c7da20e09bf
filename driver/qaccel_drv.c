// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: module, PCI glue, DRM driver, ioctl table and file open/close.
 *
 * qaccel is an int8 GEMM accelerator simulated by qaccel-sim behind QEMU's
 * ivshmem-doorbell PCI function (1af4:1110).  The driver binds only when
 * the shared register window identifies a qaccel device, and offers a
 * compute-accelerator node where the kernel has them (/dev/accel/accelN),
 * a DRM render node otherwise (qaccel_compat.h): GEM shmem buffers, jobs by
 * ioctl or io_uring URING_CMD.
 */

#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_prime.h>
#include <drm/drm_ioctl.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_compat.h"
#include "qaccel_drv.h"
#include "qaccel_gem.h"
#include "qaccel_hw.h"
#include "qaccel_ioctl.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"
#include "qaccel_uring.h"

#define PCI_DEVICE_ID_IVSHMEM	0x1110

static_assert(DRM_QACCEL_CAP_GEMM_I32 == QACCEL_CAP_GEMM_I32);
static_assert(DRM_QACCEL_CAP_REQUANT == QACCEL_CAP_REQUANT);
static_assert(DRM_QACCEL_CAP_PER_CHANNEL == QACCEL_CAP_PER_CHANNEL);
static_assert(DRM_QACCEL_CAP_BIAS == QACCEL_CAP_BIAS);
static_assert(DRM_QACCEL_CAP_UINT8_IN == QACCEL_CAP_UINT8_IN);
static_assert(DRM_QACCEL_CAP_GEMV == QACCEL_CAP_GEMV);
static_assert(DRM_QACCEL_CAP_FUNCTIONAL == QACCEL_CAP_FUNCTIONAL);

static int qaccel_counter(struct qaccel_device *qdev, u32 reg, u64 *value)
{
	int idx;

	/* The register window goes with the device. */
	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	*value = qaccel_reg_read64(&qdev->hw, reg);
	drm_dev_exit(idx);
	return 0;
}

static int qaccel_ioctl_get_param(struct drm_device *drm, void *data, struct drm_file *file)
{
	struct qaccel_device *qdev = to_qaccel_device(drm);
	struct drm_qaccel_get_param *args = data;
	struct qaccel_hw *hw = &qdev->hw;

	if (args->pad)
		return -EINVAL;

	switch (args->param) {
	case DRM_QACCEL_PARAM_HW_VERSION:
		args->value = hw->version;
		return 0;
	case DRM_QACCEL_PARAM_CAPS:
		args->value = hw->caps;
		return 0;
	case DRM_QACCEL_PARAM_ARRAY_ROWS:
		args->value = hw->rows;
		return 0;
	case DRM_QACCEL_PARAM_ARRAY_COLS:
		args->value = hw->cols;
		return 0;
	case DRM_QACCEL_PARAM_MAX_DIM:
		args->value = hw->max_dim;
		return 0;
	case DRM_QACCEL_PARAM_QUEUE_DEPTH:
		args->value = QACCEL_RING_ENTRIES - 1;
		return 0;
	case DRM_QACCEL_PARAM_MAX_BO_SIZE:
		args->value = QACCEL_MAX_BUF_SIZE;
		return 0;
	case DRM_QACCEL_PARAM_CNT_CYCLES:
		return qaccel_counter(qdev, QACCEL_REG_CNT_CYCLES, &args->value);
	case DRM_QACCEL_PARAM_CNT_BUSY:
		return qaccel_counter(qdev, QACCEL_REG_CNT_BUSY, &args->value);
	case DRM_QACCEL_PARAM_CNT_MACS:
		return qaccel_counter(qdev, QACCEL_REG_CNT_MACS, &args->value);
	case DRM_QACCEL_PARAM_CNT_DMA_RD:
		return qaccel_counter(qdev, QACCEL_REG_CNT_DMA_RD, &args->value);
	case DRM_QACCEL_PARAM_CNT_DMA_WR:
		return qaccel_counter(qdev, QACCEL_REG_CNT_DMA_WR, &args->value);
	case DRM_QACCEL_PARAM_CNT_JOBS:
		return qaccel_counter(qdev, QACCEL_REG_CNT_JOBS, &args->value);
	default:
		return -EINVAL;
	}
}

static int qaccel_open(struct drm_device *drm, struct drm_file *file)
{
	struct qaccel_file *qfile;

	qfile = kzalloc(sizeof(*qfile), GFP_KERNEL);
	if (!qfile)
		return -ENOMEM;

	qfile->qdev = to_qaccel_device(drm);
	qaccel_job_file_init(qfile);
	file->driver_priv = qfile;
	return 0;
}

static void qaccel_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct qaccel_file *qfile = file->driver_priv;

	qaccel_job_file_fini(qfile);
	kfree(qfile);
}

static const struct drm_ioctl_desc qaccel_ioctls[] = {
	DRM_IOCTL_DEF_DRV(QACCEL_GET_PARAM, qaccel_ioctl_get_param, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QACCEL_BO_CREATE, qaccel_ioctl_bo_create, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QACCEL_BO_MMAP_OFFSET, qaccel_ioctl_bo_mmap_offset,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QACCEL_SUBMIT, qaccel_ioctl_submit, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QACCEL_WAIT, qaccel_ioctl_wait, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(QACCEL_BO_INFO, qaccel_ioctl_bo_info, DRM_RENDER_ALLOW),
};

static const struct file_operations qaccel_fops = {
	.owner = THIS_MODULE,
	QACCEL_FOPS,
	.uring_cmd = qaccel_uring_cmd,
};

static const struct drm_driver qaccel_drm_driver = {
	.driver_features = DRIVER_GEM | QACCEL_DRIVER_NODE | DRIVER_SYNCOBJ,
	.open = qaccel_open,
	.postclose = qaccel_postclose,
#ifdef CONFIG_DEBUG_FS
	.debugfs_init = qaccel_debugfs_init,
#endif
	.ioctls = qaccel_ioctls,
	.num_ioctls = ARRAY_SIZE(qaccel_ioctls),
	.fops = &qaccel_fops,
	.gem_create_object = qaccel_gem_create_object,
	.gem_prime_import_sg_table = qaccel_gem_prime_import_sg_table,
	QACCEL_PRIME_OPS
	.name = QACCEL_DRIVER_NAME,
	.desc = "qaccel int8 GEMM accelerator",
	.date = "20261126",
	.major = 0,
	.minor = 1,
};

static int qaccel_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct qaccel_device *qdev;
	int ret;

	qdev = devm_drm_dev_alloc(&pdev->dev, &qaccel_drm_driver, struct qaccel_device, drm);
	if (IS_ERR(qdev))
		return PTR_ERR(qdev);
	qdev->pdev = pdev;
	pci_set_drvdata(pdev, qdev);

	ret = qaccel_hw_init(qdev);
	if (ret)
		return ret;

	qaccel_queue_init(qdev);
	ret = qaccel_hw_irq_init(qdev);
	if (ret)
		goto err_queue;
	ret = qaccel_hw_start(qdev);
	if (ret)
		goto err_stop;
	ret = qaccel_sysfs_init(qdev);
	if (ret)
		goto err_stop;
	ret = drm_dev_register(&qdev->drm, 0);
	if (ret)
		goto err_stop;
	qaccel_debugfs_register(&qdev->drm);

	drm_info(&qdev->drm, "qaccel %u.%u, %ux%u array, caps 0x%x\n",
		 qdev->hw.version >> 16, qdev->hw.version & 0xffff,
		 qdev->hw.rows, qdev->hw.cols, qdev->hw.caps);
	return 0;

err_stop:
	qaccel_hw_stop(qdev);
	qaccel_hw_irq_fini(qdev);
err_queue:
	qaccel_queue_fini(qdev);
	return ret;
}

static void qaccel_remove(struct pci_dev *pdev)
{
	struct qaccel_device *qdev = pci_get_drvdata(pdev);

	/* No new ioctl or io_uring command reaches the queue after this. */
	drm_dev_unplug(&qdev->drm);
	qaccel_queue_stop(qdev);
	qaccel_hw_stop(qdev);
	qaccel_hw_irq_fini(qdev);
	qaccel_queue_fini(qdev);
}

static const struct pci_device_id qaccel_pci_ids[] = {
	{ PCI_DEVICE(PCI_VENDOR_ID_REDHAT_QUMRANET, PCI_DEVICE_ID_IVSHMEM) },
	{ }
};
MODULE_DEVICE_TABLE(pci, qaccel_pci_ids);

static struct pci_driver qaccel_pci_driver = {
	.name = QACCEL_DRIVER_NAME,
	.id_table = qaccel_pci_ids,
	.probe = qaccel_probe,
	.remove = qaccel_remove,
};
module_pci_driver(qaccel_pci_driver);

MODULE_DESCRIPTION("qaccel int8 GEMM accelerator (simulated, over ivshmem)");
MODULE_LICENSE("GPL");
