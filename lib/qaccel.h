/* SPDX-License-Identifier: MIT */
/*
 * libqaccel: user-space access to the qaccel int8 GEMM accelerator.
 *
 * A qaccel_dev is an open render node plus (by default) an io_uring with
 * 128-byte SQEs and 32-byte CQEs.  Buffers are GEM objects mapped into the
 * process; a GEMM names its operands by buffer and byte offset.  Jobs are
 * queued with qaccel_submit*() (nothing enters the kernel until
 * qaccel_flush(), a wait, or a full queue) and their completions are reaped
 * with qaccel_wait(), straight from the completion ring when they are
 * already there.
 *
 * Every function that can fail returns 0 (or a count) on success and a
 * negative errno value on failure; qaccel_strerror() turns it into text.
 * The library keeps no global state and never prints.
 *
 * Threads: libqaccel takes no locks.  A qaccel_dev and the buffers
 * allocated from it must be used by one thread at a time: open one
 * qaccel_dev per thread (each has its own ring; this is the intended use
 * and scales), or serialize every call on a shared one with your own
 * mutex.  Different qaccel_devs are fully independent; functions without
 * a qaccel_dev (qaccel_strerror, qaccel_device_count, qaccel_device_path,
 * the reference and quantization functions) are thread-safe.  The memory
 * a mapped buffer points at is ordinary shared memory.
 *
 * The CPU reference (qaccel_ref_gemm() and friends) and the GEMM flags come
 * from qaccel_ref.h, included here.
 */
#ifndef QACCEL_H
#define QACCEL_H

#include <stddef.h>
#include <stdint.h>

#include "qaccel_ref.h"
#include "qaccel_quant.h"

#ifdef __cplusplus
extern "C" {
#endif

struct qaccel_dev;
struct qaccel_buf;

/*
 * Device capability bits (struct qaccel_caps.caps): the kernel's
 * DRM_QACCEL_CAP_* as the library passes them on.  This public header
 * cannot include the uapi (it needs libdrm's drm.h), so they are copies,
 * compared with the uapi and the device's by tests/hw/iface_check.
 */
#define QACCEL_CAP_GEMM_I32	(1u << 0)
#define QACCEL_CAP_REQUANT	(1u << 1)
#define QACCEL_CAP_PER_CHANNEL	(1u << 2)
#define QACCEL_CAP_BIAS		(1u << 3)
#define QACCEL_CAP_UINT8_IN	(1u << 4)
#define QACCEL_CAP_GEMV		(1u << 5)	/* small-M jobs at memory speed */
#define QACCEL_CAP_RQ_MODES	(1u << 6)	/* QACCEL_GEMM_RQ_SINGLE and _FP32 */
#define QACCEL_CAP_FUNCTIONAL	(1u << 31)	/* device is sim's C model: no real timing */

/* qaccel_open() flags. */
#define QACCEL_OPEN_IOCTL	(1u << 0)	/* submit by ioctl, not io_uring */

/* How jobs reach the kernel. */
enum qaccel_path {
	QACCEL_PATH_URING = 0,	/* IORING_OP_URING_CMD, the default */
	QACCEL_PATH_IOCTL = 1,	/* DRM_IOCTL_QACCEL_SUBMIT / _WAIT */
};

/* Jobs that may be queued or in flight at once on one qaccel_dev. */
#define QACCEL_MAX_INFLIGHT	256u

struct qaccel_caps {
	uint32_t hw_version;	/* major << 16 | minor */
	uint32_t caps;		/* QACCEL_CAP_* */
	uint32_t rows;		/* systolic array rows */
	uint32_t cols;		/* systolic array columns */
	uint32_t max_dim;	/* largest M, N or K */
	uint32_t queue_depth;	/* jobs the hardware ring holds */
	uint64_t max_bo_size;	/* largest buffer, bytes */
	char driver[32];	/* "qaccel" */
	int driver_major, driver_minor, driver_patch;
};

/* Device counters since the device was last reset. */
struct qaccel_counters {
	uint64_t cycles;	/* device clock cycles */
	uint64_t busy_cycles;	/* cycles with a job in progress */
	uint64_t macs;		/* multiply-accumulates */
	uint64_t dma_read_bytes;
	uint64_t dma_write_bytes;
	uint64_t jobs;
};

/* Where an operand lives: a buffer and a byte offset into it. */
struct qaccel_operand {
	struct qaccel_buf *buf;
	uint32_t offset;
};

/*
 * One GEMM job.  params follows qaccel_ref.h (zero points and clamps as
 * plain values of their element type); a, b, c are always used, bias only
 * with QACCEL_GEMM_BIAS, quant (n struct qaccel_quant records) only with
 * QACCEL_GEMM_PER_CHANNEL and an int8/uint8 output.  All buffers must come
 * from the device the job is submitted to.
 */
struct qaccel_gemm {
	struct qaccel_gemm_params params;
	struct qaccel_operand a, b, c, bias, quant;
};

/*
 * What the library itself did on one qaccel_dev since it was opened: jobs
 * and the system calls they cost.  For tests and benchmarks (e.g. "1,000
 * submits cost 4 io_uring_enters"); read with qaccel_get_stats().
 */
struct qaccel_stats {
	uint64_t submitted;	/* jobs queued by qaccel_submit*() */
	uint64_t completed;	/* completions reaped by qaccel_wait() */
	uint64_t enters;	/* io_uring_enter system calls (uring path) */
	uint64_t ioctls;	/* DRM_IOCTL_QACCEL_SUBMIT/_WAIT calls (ioctl path) */
	uint64_t reaped_without_syscall; /* completions qaccel_wait() took
					    from the CQ ring before making
					    any system call */
};

/* One finished job. */
struct qaccel_completion {
	uint64_t tag;		/* the user_tag given at submit */
	int status;		/* 0, or a negative errno (the job failed) */
	uint64_t cycles;	/* device cycles the job took */
};

/* Messages for the errno values libqaccel returns (either sign). */
const char *qaccel_strerror(int err);

/* Device ---------------------------------------------------------------- */

/*
 * Open path (a render node), or the first qaccel render node when path is
 * NULL.  flags: 0 or QACCEL_OPEN_IOCTL.  -ENODEV: no qaccel device (or path
 * is not one).
 */
int qaccel_open(const char *path, unsigned int flags, struct qaccel_dev **out);
/*
 * Open the index-th qaccel device (0 is the one qaccel_open(NULL, ...)
 * takes).  Devices are numbered in render-node order.  -ENODEV: fewer
 * than index + 1 devices.
 */
int qaccel_open_index(unsigned int index, unsigned int flags,
		      struct qaccel_dev **out);
/* How many qaccel devices this process can open (0 when none). */
int qaccel_device_count(void);
/* The render-node path of the index-th device into buf (NUL-terminated). */
int qaccel_device_path(unsigned int index, char *buf, size_t len);
/* The path dev was opened from ("/dev/dri/renderD128"). */
const char *qaccel_dev_path(const struct qaccel_dev *dev);
/* Close; frees every buffer still allocated and forgets jobs in flight. */
void qaccel_close(struct qaccel_dev *dev);
/* The render node fd, e.g. for raw ioctls. */
int qaccel_fd(const struct qaccel_dev *dev);
/*
 * An fd for poll/epoll: readable while completions wait to be reaped (the
 * io_uring's fd).  Flush submitted jobs before sleeping on it, reap with
 * qaccel_wait(dev, out, max, 0, 0) (no system call).  Completions arrive
 * through io_uring task work, which interrupts a sleeping epoll_wait():
 * treat EINTR as a wake-up.  -EOPNOTSUPP on the ioctl path.
 */
int qaccel_poll_fd(const struct qaccel_dev *dev);
int qaccel_get_caps(const struct qaccel_dev *dev, struct qaccel_caps *caps);
int qaccel_get_counters(struct qaccel_dev *dev, struct qaccel_counters *cnt);
/* Switch the submission path; -EBUSY while jobs are queued or in flight. */
int qaccel_set_path(struct qaccel_dev *dev, enum qaccel_path path);
enum qaccel_path qaccel_get_path(const struct qaccel_dev *dev);
/* The library's own counters for dev (jobs, system calls). */
int qaccel_get_stats(const struct qaccel_dev *dev, struct qaccel_stats *st);

/* Buffers --------------------------------------------------------------- */

/* Allocate a zero-filled buffer of at least size bytes (page-rounded). */
int qaccel_buf_alloc(struct qaccel_dev *dev, size_t size,
		     struct qaccel_buf **out);
/* Map the buffer read/write (once; later calls return the same address). */
int qaccel_buf_map(struct qaccel_buf *buf, void **ptr);
/* Bytes the buffer holds (the allocation size rounded up to a page). */
size_t qaccel_buf_size(const struct qaccel_buf *buf);
/* The GEM handle, for raw ioctls. */
uint32_t qaccel_buf_handle(const struct qaccel_buf *buf);
/* Export as a dma-buf fd (the caller closes it). */
int qaccel_buf_export(struct qaccel_buf *buf, int *dmabuf_fd);
/* Import a dma-buf fd (it stays the caller's to close). */
int qaccel_buf_import(struct qaccel_dev *dev, int dmabuf_fd,
		      struct qaccel_buf **out);
/* Unmap and release; the kernel keeps it alive for jobs still using it. */
void qaccel_buf_free(struct qaccel_buf *buf);

/* Jobs ------------------------------------------------------------------ */

/*
 * Queue a GEMM.  The job is checked here (parameters, buffers, bounds):
 * -EINVAL means it was not queued.  -EBUSY: QACCEL_MAX_INFLIGHT jobs are
 * outstanding, reap some first.  user_tag comes back in the completion
 * (with io_uring it is the SQE's user_data).
 */
int qaccel_submit(struct qaccel_dev *dev, const struct qaccel_gemm *gemm,
		  uint64_t user_tag);
/* Queue a job that does nothing and completes in order with the others. */
int qaccel_submit_nop(struct qaccel_dev *dev, uint64_t user_tag);
/* Hand every queued job to the kernel; returns how many were handed over. */
int qaccel_flush(struct qaccel_dev *dev);
/*
 * Reap up to max completions into out, waiting until at least min_wait
 * have been reaped (capped at the number of jobs outstanding) or
 * timeout_ms has passed (< 0: no timeout, 0: do not wait); queued jobs are
 * always handed over.  What the completion ring already holds is taken
 * without a system call; only if that is not enough does one io_uring_enter
 * both submit and sleep.  Returns the number reaped, which is below
 * min_wait only on timeout.  Completions come in the order jobs finish; the
 * device runs jobs in submission order.
 */
int qaccel_wait(struct qaccel_dev *dev, struct qaccel_completion *out,
		unsigned int max, unsigned int min_wait, int timeout_ms);
/* Jobs queued or in flight, not yet reaped. */
unsigned int qaccel_inflight(const struct qaccel_dev *dev);
/*
 * Run one GEMM synchronously (nothing else may be outstanding: -EBUSY).
 * Returns the job's status (0 or a negative errno); fills *out if not NULL.
 */
int qaccel_gemm_run(struct qaccel_dev *dev, const struct qaccel_gemm *gemm,
		    struct qaccel_completion *out);

#ifdef __cplusplus
}
#endif

#endif /* QACCEL_H */
