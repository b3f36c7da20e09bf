/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: job validation, the same for SUBMIT and io_uring.
 */
#ifndef QACCEL_VALIDATE_H
#define QACCEL_VALIDATE_H

struct drm_file;
struct drm_qaccel_gemm;
struct qaccel_device;
struct qaccel_job;

int qaccel_job_validate(struct qaccel_device *qdev, struct drm_file *file,
			const struct drm_qaccel_gemm *args, struct qaccel_job *job);

#endif /* QACCEL_VALIDATE_H */
