/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qaccel: the io_uring command (&file_operations.uring_cmd).
 */
#ifndef QACCEL_URING_H
#define QACCEL_URING_H

struct io_uring_cmd;
struct qaccel_job;

int qaccel_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
void qaccel_uring_post(struct qaccel_job *job);

#endif /* QACCEL_URING_H */
