// SPDX-License-Identifier: GPL-2.0
/*
 * qaccel: the io_uring command.
 *
 * DRM_QACCEL_URING_CMD_GEMM carries a struct drm_qaccel_gemm in a 128-byte
 * SQE.  The job is validated like an ioctl job and queued in the batch
 * that io_uring_enter()'s block plug hands to the device at once; its CQE
 * is posted from task work when it finishes, a file's CQEs in completion
 * order.
 */

#include <linux/string.h>

#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <uapi/drm/qaccel_drm.h>

#include "qaccel_compat.h"
#include "qaccel_drv.h"
#include "qaccel_job.h"
#include "qaccel_queue.h"
#include "qaccel_uring.h"

/* Jobs the device-wide pending list takes before io_uring gets -EBUSY. */
#define QACCEL_MAX_PENDING	65536

/*
 * io_uring may run task work newest first (6.1 does), so queueing every CQE at
 * once would post a batch of completions in reverse.  Instead a file's
 * finished io_uring jobs wait in order and only the oldest has task work
 * queued; posting its CQE queues the next.  In-flight commands hold the
 * file, so @qfile lives while its list is not empty.
 */
static void qaccel_uring_cmd_done(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct qaccel_job *job = *qaccel_uring_cmd_pdu(cmd, struct qaccel_job *);
	struct qaccel_file *qfile = job->qfile;
	struct qaccel_job *next;

	spin_lock(&qfile->uring_lock);
	list_del_init(&job->node);
	next = list_first_entry_or_null(&qfile->uring_done, struct qaccel_job, node);
	qfile->uring_posting = !!next;
	spin_unlock(&qfile->uring_lock);

	/* May drop the last reference to the file when next is NULL. */
	io_uring_cmd_done(cmd, job->status, job->cycles, issue_flags);
	qaccel_job_put(job);
	if (next)
		io_uring_cmd_complete_in_task(next->cmd, qaccel_uring_cmd_done);
}

/**
 * qaccel_uring_post() - post the CQE of a finished io_uring job
 * @job: the job; its reference moves to the CQE
 */
void qaccel_uring_post(struct qaccel_job *job)
{
	struct qaccel_file *qfile = job->qfile;
	bool first;

	spin_lock(&qfile->uring_lock);
	list_add_tail(&job->node, &qfile->uring_done);
	first = !qfile->uring_posting;
	qfile->uring_posting = true;
	spin_unlock(&qfile->uring_lock);

	if (first)
		io_uring_cmd_complete_in_task(job->cmd, qaccel_uring_cmd_done);
}

/**
 * qaccel_uring_cmd() - &file_operations.uring_cmd of the device node
 * @cmd: the command; @cmd->cmd holds a struct drm_qaccel_gemm
 * @issue_flags: IO_URING_F_*
 *
 * Return: -EIOCBQUEUED once the job is queued (the CQE follows when it
 * completes), or a negative errno for a job that was not queued.
 */
int qaccel_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct drm_file *file = cmd->file->private_data;
	struct qaccel_device *qdev = to_qaccel_device(file->minor->dev);
	struct qaccel_file *qfile = file->driver_priv;
	struct drm_qaccel_gemm args;
	struct qaccel_job *job;
	int ret, idx;

	if (cmd->cmd_op != DRM_QACCEL_URING_CMD_GEMM)
		return -ENOTTY;
	/* Without SQE128 the command area is 16 bytes, not a whole job. */
	if (!(issue_flags & IO_URING_F_SQE128))
		return -EINVAL;
	/* The SQE is shared with user space and reused: validate a copy. */
	memcpy(&args, qaccel_uring_cmd_bytes(cmd), sizeof(args));

	if (READ_ONCE(qdev->queue.nr_pending) >= QACCEL_MAX_PENDING)
		return -EBUSY;
	if (!drm_dev_enter(&qdev->drm, &idx))
		return -ENODEV;
	/*
	 * Fence seqnos in queue order (struct qaccel_file).  Taken even when
	 * io_uring asks not to block: an -EAGAIN would have io_uring issue the
	 * command again from its worker, after later SQEs of the same ring.
	 * The lock is only held while jobs are built, never across a wait for
	 * a fence: those are the job's dependencies, waited for in the queue.
	 */
	mutex_lock(&qfile->submit_lock);
	ret = qaccel_job_create(qdev, file, &args, false, &job);
	if (!ret) {
		job->cmd = cmd;
		job->qfile = qfile;
		*qaccel_uring_cmd_pdu(cmd, struct qaccel_job *) = job;
		qaccel_queue_push(qdev, &job, 1, true);
		ret = -EIOCBQUEUED;
	}
	mutex_unlock(&qfile->submit_lock);
	drm_dev_exit(idx);
	return ret;
}
