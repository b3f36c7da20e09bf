/* SPDX-License-Identifier: MIT */
/*
 * The server side of QEMU's ivshmem-doorbell protocol, for exactly one
 * client: a UNIX socket QEMU connects to, the shared-memory fd that becomes
 * BAR2, and two sets of eventfds (the device's, which the guest rings, and
 * the guest's, which raise its MSI-X vectors).  See docs/simulation.md.
 */
#ifndef SERVER_IVSHMEM_H
#define SERVER_IVSHMEM_H

#include <stdbool.h>
#include "qaccel_hw.h"

struct ivshmem_server {
	char *path;		/* socket path, unlinked on close */
	int listen_fd;
	int client_fd;		/* -1 when no QEMU is connected */
	int shm_fd;		/* BAR2 contents; owned by the caller */
	/* Eventfds of the device peer: the guest's doorbell writes land here. */
	int doorbell_fd[QACCEL_NUM_VECTORS];
	/* Eventfds of the guest peer: writing one raises that MSI-X vector. */
	int irq_fd[QACCEL_NUM_VECTORS];
};

/* Bind and listen on path (a stale socket file is replaced).  0 or -errno. */
int ivshmem_listen(struct ivshmem_server *s, const char *path, int shm_fd);

/*
 * Accept a pending connection.  Returns 1 if it became the client (the
 * handshake was sent), 0 if it was refused because a client is already
 * connected, -errno on error.
 */
int ivshmem_accept(struct ivshmem_server *s);

/* True when the client's socket says QEMU went away (EOF or error). */
bool ivshmem_client_gone(struct ivshmem_server *s);

/* Consume pending doorbell rings; true if there were any. */
bool ivshmem_drain_doorbells(struct ivshmem_server *s);

/* Raise the guest's MSI-X vector. */
void ivshmem_notify(struct ivshmem_server *s, unsigned int vector);

/* Close everything and remove the socket file. */
void ivshmem_close(struct ivshmem_server *s);

#endif /* SERVER_IVSHMEM_H */
