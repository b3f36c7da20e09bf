/* SPDX-License-Identifier: MIT */
/*
 * What fuzz/qaccel-fuzz.c and fuzz/qaccel-soak.c still take from the guest
 * tests: library GEMM cases (lib_common.h), the raw uapi helpers
 * (uapi_job.h) and the library's private encoder qa_gemm_encode().  No guest
 * test includes this header: driver tests build jobs with uapi_job.h,
 * library tests use lib_common.h.
 */
#ifndef QACCEL_GUEST_COMMON_H
#define QACCEL_GUEST_COMMON_H

#include "lib_common.h"
#include "uapi_job.h"
#include "qaccel_internal.h"

#endif /* QACCEL_GUEST_COMMON_H */
