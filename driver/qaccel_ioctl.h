/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: the job ioctls.
 */
#ifndef QACCEL_IOCTL_H
#define QACCEL_IOCTL_H

struct drm_device;
struct drm_file;

int qaccel_ioctl_submit(struct drm_device *drm, void *data, struct drm_file *file);
int qaccel_ioctl_wait(struct drm_device *drm, void *data, struct drm_file *file);

#endif /* QACCEL_IOCTL_H */
