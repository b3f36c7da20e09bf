/* SPDX-License-Identifier: MIT */
/*
 * Helpers of the reliability tests (rel_*.c): the driver's debugfs
 * fault_inject knob (qaccel-sim's one-shot faults, include/qaccel_hw.h)
 * and a short job timeout for the duration of a test.
 */
#ifndef QACCEL_REL_COMMON_H
#define QACCEL_REL_COMMON_H

#include "qaccel_hw.h"
#include "drv_common.h"

static inline int rel_fault_knob(char *out, size_t len)
{
	return drv_debugfs_file("fault_inject", out, len);
}

static inline int rel_inject(const char *knob, unsigned int code)
{
	char v[16];

	snprintf(v, sizeof(v), "%u", code);
	return drv_write_str(knob, v);
}

#endif /* QACCEL_REL_COMMON_H */
