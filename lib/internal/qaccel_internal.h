/* SPDX-License-Identifier: MIT */
/*
 * libqaccel internals shared by its .c files (and by its unit tests in
 * tests/lib and its libFuzzer targets: only those have lib/internal on their
 * include path).  Names here start with qa_ so that the version
 * script, which exports qaccel_*, keeps them out of the shared library.
 */
#ifndef QACCEL_INTERNAL_H
#define QACCEL_INTERNAL_H

#include <stdbool.h>
#include <liburing.h>

#include "qaccel.h"
#include "uapi/drm/qaccel_drm.h"

/*
 * SQ entries of the io_uring: as many as jobs may be outstanding, so that a
 * full batch costs one io_uring_enter.  The CQ gets twice as many (the
 * default) and can never overflow.
 */
#define QA_URING_ENTRIES	QACCEL_MAX_INFLIGHT
/* Jobs per DRM_IOCTL_QACCEL_SUBMIT (the uapi's limit). */
#define QA_IOCTL_BATCH		64u

struct qaccel_buf {
	struct qaccel_dev *dev;
	struct qaccel_buf *prev, *next;	/* the device's list of live buffers */
	uint32_t handle;
	size_t size;
	void *map;			/* NULL until qaccel_buf_map() */
};

/* A job of the ioctl path, from flush until it is reaped. */
struct qa_ioctl_job {
	uint64_t tag;
	uint64_t seqno;
	bool refused;			/* the kernel refused it at submit ... */
	int status;			/* ... with this error */
};

struct qaccel_dev {
	int fd;
	char node[256];			/* the render node it was opened from */
	struct qaccel_stats stats;	/* what the library did, for tests and benchmarks */
	enum qaccel_path path;
	bool ring_ready;
	struct io_uring ring;
	struct qaccel_caps caps;
	unsigned int outstanding;	/* queued + in the kernel, not reaped */
	unsigned int ioctl_queued;	/* ioctl path: jobs in pending[] */
	struct qaccel_buf *bufs;

	/* ioctl path: jobs waiting for flush, then a FIFO of jobs in flight. */
	struct drm_qaccel_job pending[QA_IOCTL_BATCH];
	uint64_t pending_tag[QA_IOCTL_BATCH];
	struct qa_ioctl_job fifo[QACCEL_MAX_INFLIGHT];
	unsigned int fifo_head, fifo_count;
};

/*
 * The one conversion from struct qaccel_gemm to the uapi's job: checks the
 * parameters, that every used buffer belongs to dev and holds its operand,
 * and encodes zero points and clamps as the uapi's u8 bit patterns.
 */
int qa_gemm_encode(const struct qaccel_dev *dev, const struct qaccel_gemm *g,
		   struct drm_qaccel_gemm *out);

int qa_uring_init(struct qaccel_dev *dev);

/*
 * The command bytes of an SQE128 (16 in the SQE, 64 in the slot after it).
 * The address goes through an integer because sqe->cmd is a zero-length
 * array in a 64-byte struct and GCC would otherwise flag an 80-byte copy.
 */
static inline void *qa_sqe_cmd(struct io_uring_sqe *sqe)
{
	return (void *)((uintptr_t)sqe + offsetof(struct io_uring_sqe, cmd));
}

#endif /* QACCEL_INTERNAL_H */
