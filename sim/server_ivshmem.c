// SPDX-License-Identifier: MIT
/*
 * ivshmem-doorbell server side.  The handshake (measured, see PLATFORM.md):
 * every message is one little-endian int64, some carrying an fd:
 *   1. protocol version 0;  2. the client's own peer id;
 *   3. -1 with the shared-memory fd (BAR2);
 *   4. per vector, the device peer id with one of the device's eventfds;
 *   5. per vector, the client's id with one of the client's eventfds.
 * QEMU reads 1-3 while creating the device and the rest later, so all of it
 * can be sent at once; it never writes to the socket, so readable means EOF.
 */
#include "server_ivshmem.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int send_msg(int sock, int64_t value, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &value, .iov_len = sizeof(value) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *cmsg;
	ssize_t n;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == sizeof(value) ? 0 : -EIO;
}

static void close_fds(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
}

static void drop_client(struct ivshmem_server *s)
{
	if (s->client_fd >= 0)
		close(s->client_fd);
	s->client_fd = -1;
	close_fds(s->doorbell_fd, QACCEL_NUM_VECTORS);
	close_fds(s->irq_fd, QACCEL_NUM_VECTORS);
}

int ivshmem_listen(struct ivshmem_server *s, const char *path, int shm_fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd, probe;

	s->listen_fd = s->client_fd = -1;
	s->shm_fd = shm_fd;
	s->path = NULL;
	for (unsigned int i = 0; i < QACCEL_NUM_VECTORS; i++)
		s->doorbell_fd[i] = s->irq_fd[i] = -1;

	if (strlen(path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, path);

	/* A socket file nobody answers on is left over from a crash. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0)
		return -errno;
	if (connect(probe, (struct sockaddr *)&addr, sizeof(addr)) == 0) {
		close(probe);
		return -EADDRINUSE;
	}
	close(probe);
	if (errno == ECONNREFUSED)
		unlink(path);

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 2) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->path = strdup(path);
	s->listen_fd = fd;
	return s->path ? 0 : -ENOMEM;
}

static int handshake(struct ivshmem_server *s)
{
	const int64_t guest = QACCEL_IVSHMEM_GUEST_ID, device = QACCEL_IVSHMEM_DEVICE_ID;
	unsigned int i;
	int err;

	for (i = 0; i < QACCEL_NUM_VECTORS; i++) {
		s->doorbell_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		s->irq_fd[i] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (s->doorbell_fd[i] < 0 || s->irq_fd[i] < 0)
			return -errno;
	}
	err = send_msg(s->client_fd, 0, -1);
	if (!err)
		err = send_msg(s->client_fd, guest, -1);
	if (!err)
		err = send_msg(s->client_fd, -1, s->shm_fd);
	/* The N-th fd sent for a peer is its vector N. */
	for (i = 0; !err && i < QACCEL_NUM_VECTORS; i++)
		err = send_msg(s->client_fd, device, s->doorbell_fd[i]);
	for (i = 0; !err && i < QACCEL_NUM_VECTORS; i++)
		err = send_msg(s->client_fd, guest, s->irq_fd[i]);
	return err;
}

int ivshmem_accept(struct ivshmem_server *s)
{
	int fd, err;

	fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (s->client_fd >= 0) {
		/* One device, one guest: a second QEMU would share the window. */
		close(fd);
		return 0;
	}
	s->client_fd = fd;
	err = handshake(s);
	if (err) {
		drop_client(s);
		return err;
	}
	return 1;
}

bool ivshmem_client_gone(struct ivshmem_server *s)
{
	char buf[64];
	ssize_t n;

	do
		n = recv(s->client_fd, buf, sizeof(buf), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return false;
	/* QEMU sends nothing after connecting: data is unexpected, ignore it. */
	return n <= 0;
}

bool ivshmem_drain_doorbells(struct ivshmem_server *s)
{
	bool rang = false;
	uint64_t v;

	for (unsigned int i = 0; i < QACCEL_NUM_VECTORS; i++) {
		if (s->doorbell_fd[i] < 0)
			continue;
		/* Nonblocking (QEMU sets O_NONBLOCK on the shared file too). */
		while (read(s->doorbell_fd[i], &v, sizeof(v)) == sizeof(v))
			rang = true;
	}
	return rang;
}

void ivshmem_notify(struct ivshmem_server *s, unsigned int vector)
{
	uint64_t one = 1;

	if (vector >= QACCEL_NUM_VECTORS || s->irq_fd[vector] < 0)
		return;
	/*
	 * Failure can only be EAGAIN (counter saturated): an interrupt is
	 * pending anyway, and signals coalesce by design.
	 */
	if (write(s->irq_fd[vector], &one, sizeof(one)) < 0)
		return;
}

void ivshmem_close(struct ivshmem_server *s)
{
	drop_client(s);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	s->listen_fd = -1;
	if (s->path) {
		unlink(s->path);
		free(s->path);
		s->path = NULL;
	}
}
