/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the driver tests (drv_*.c, rel_*.c): the driver's sysfs
 * statistics, its debugfs fault-injection knob and module parameters, and
 * one whole GEMM through a fresh open of the device (uapi_job.h).
 */
#ifndef QACCEL_DRV_COMMON_H
#define QACCEL_DRV_COMMON_H

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "uapi_job.h"

/* First path matching @pattern into @out, or -1. */
static inline int drv_glob(const char *pattern, char *out, size_t len)
{
	glob_t g;
	int ret = -1;

	if (glob(pattern, 0, NULL, &g) == 0 && g.gl_pathc > 0) {
		snprintf(out, len, "%s", g.gl_pathv[0]);
		ret = 0;
	}
	globfree(&g);
	return ret;
}

/*
 * The driver's sysfs group on its PCI device, e.g.
 * /sys/class/drm/renderD128/device/qaccel, or through the accel class
 * (/sys/class/accel/accel0/device/qaccel) where the driver registers there.
 */
static inline int drv_dev_glob(const char *tail, char *out, size_t len)
{
	char pattern[256];

	snprintf(pattern, sizeof(pattern), "/sys/class/drm/renderD*/device/%s", tail);
	if (!drv_glob(pattern, out, len))
		return 0;
	snprintf(pattern, sizeof(pattern), "/sys/class/accel/accel*/device/%s", tail);
	return drv_glob(pattern, out, len);
}

static inline int drv_sysfs_dir(char *out, size_t len)
{
	char p[512];

	if (drv_dev_glob("qaccel/submitted", p, sizeof(p)))
		return -1;
	*strrchr(p, '/') = 0;
	snprintf(out, len, "%s", p);
	return 0;
}

/*
 * The qaccel device's PCI name (e.g. 0000:00:03.0), as the driver's sysfs
 * bind and unbind files take it.
 */
static inline int drv_pci_name(char *out, size_t len)
{
	char link[512], dev[256], *slash;
	ssize_t n;

	if (drv_dev_glob("qaccel", link, sizeof(link)))
		return -1;
	*strrchr(link, '/') = 0;
	n = readlink(link, dev, sizeof(dev) - 1);
	if (n <= 0)
		return -1;
	dev[n] = 0;
	slash = strrchr(dev, '/');
	if (!slash)
		return -1;
	snprintf(out, len, "%s", slash + 1);
	return 0;
}

static inline int drv_read_str(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = -1;

	if (!f)
		return -1;
	if (fgets(buf, len, f)) {
		buf[strcspn(buf, "\n")] = 0;
		ret = 0;
	}
	fclose(f);
	return ret;
}

static inline int drv_write_str(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	int ret;

	if (!f)
		return -1;
	ret = fputs(s, f) < 0 ? -1 : 0;
	if (fclose(f))
		ret = -1;
	return ret;
}

/* A statistic of the sysfs group, or -1. */
static inline long long drv_stat(const char *name)
{
	char dir[512], path[600], buf[64];

	if (drv_sysfs_dir(dir, sizeof(dir)))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (drv_read_str(path, buf, sizeof(buf)))
		return -1;
	return strtoll(buf, NULL, 0);
}

/*
 * A file of the driver's debugfs directory: under dri/ for a render node,
 * accel/ for a compute-accelerator node.
 */
static inline int drv_debugfs_file(const char *name, char *out, size_t len)
{
	char pattern[256];

	if (access("/sys/kernel/debug/dri", F_OK) && access("/sys/kernel/debug/accel", F_OK))
		mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL);
	snprintf(pattern, sizeof(pattern), "/sys/kernel/debug/dri/*/%s", name);
	if (!drv_glob(pattern, out, len))
		return 0;
	snprintf(pattern, sizeof(pattern), "/sys/kernel/debug/accel/*/%s", name);
	return drv_glob(pattern, out, len);
}

/* The debugfs fault knob, present when qaccel-sim takes fault injection. */
static inline int drv_fault_knob(char *out, size_t len)
{
	return drv_debugfs_file("fault_hang_after", out, len);
}

#define DRV_TIMEOUT_PARAM "/sys/module/qaccel/parameters/job_timeout_ms"

/*
 * A short job timeout for a test that provokes hangs (the default is long
 * enough for the slowest legal simulated job): saves the current value in
 * @saved (empty if nothing was changed) and sets @ms.  Returns 0 or -1.
 */
static inline int drv_timeout_set(char *saved, size_t len, unsigned int ms)
{
	char v[16];

	saved[0] = 0;
	if (drv_read_str(DRV_TIMEOUT_PARAM, saved, len))
		return -1;
	snprintf(v, sizeof(v), "%u", ms);
	if (drv_write_str(DRV_TIMEOUT_PARAM, v)) {
		saved[0] = 0;
		return -1;
	}
	return 0;
}

/* Undo drv_timeout_set(); nothing if it did not change the value. */
static inline void drv_timeout_restore(const char *saved)
{
	if (saved[0])
		drv_write_str(DRV_TIMEOUT_PARAM, saved);
}

/* Kilobytes of a /proc/meminfo field (e.g. "Shmem"), or -1. */
static inline long long drv_meminfo_kb(const char *field)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t n = strlen(field);
	long long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':') {
			kb = strtoll(line + n + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/*
 * One m x n x k int8 GEMM with bias through a fresh open of the device and a
 * raw SUBMIT/WAIT; 0 when it matches the reference.
 */
static inline int drv_one_gemm(uint32_t m, uint32_t n, uint32_t k, uint64_t seed)
{
	struct drm_qaccel_gemm job;
	struct uj_case t;
	int fd = uj_open();
	int ret;

	if (fd < 0)
		return fd;
	ret = uj_case_init(fd, &t, m, n, k,
			   DRM_QACCEL_GEMM_OUT_INT8 | DRM_QACCEL_GEMM_BIAS, seed);
	if (!ret) {
		uj_case_job(&t, &job);
		ret = raw_run(fd, &job, NULL);
	}
	if (!ret && uj_case_mismatch(&t) != -1)
		ret = -EBADMSG;
	uj_case_free(&t);
	close(fd);
	return ret;
}

#endif /* QACCEL_DRV_COMMON_H */
