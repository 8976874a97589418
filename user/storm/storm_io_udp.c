/* A node's UDP socket, used by TFTP and by the ProxyDHCPREQUEST on port
 * 4011: bound to the node's leased address (the server sees the node, not
 * the simulator), one multishot receive, and sends queued on the ring
 * (MSG_DONTWAIT and CQE_SKIP_SUCCESS: issued inline at the loop's one
 * submit, no completion unless they fail). Receives reach the node's
 * current step through the engine's dispatch (OP_UDP_RECV). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "storm/storm_io.h"

int storm_udp_open(struct storm_io *s, struct storm_node *n, uint16_t port)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = n->ip };
	/* a fixed port (68, 4011) is bound once per node address; with
	 * SO_REUSEADDR a wildcard socket on that port (a DHCP client of the
	 * host's own) does not stand in the way */
	if (fd < 0 || (port && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
	    bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		int e = errno;
		s->st.last_errno = e;
		if (fd >= 0)
			close(fd);
		return -e;
	}
	n->fd = fd;
	n->gen++;
	storm_arm_recv(s, fd, n->idx, n->gen, OP_UDP_RECV);
	return 0;
}

void storm_udp_send(struct storm_io *s, struct storm_node *n, struct storm_udp_tx *t,
		    const void *buf, size_t len, uint32_t ip, uint16_t port)
{
	t->to = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(port),
				      .sin_addr.s_addr = ip };
	t->iov = (struct iovec){ .iov_base = (void *)buf, .iov_len = len };
	t->msg = (struct msghdr){ .msg_name = &t->to, .msg_namelen = sizeof(t->to),
				  .msg_iov = &t->iov, .msg_iovlen = 1 };
	/* already queued in this batch on this socket: the kernel reads the
	 * rewritten buffer at the submit. +1: batch 0 must not look queued. */
	if (t->queued_batch == s->batch + 1 && t->queued_gen == n->gen)
		return;
	t->queued_batch = s->batch + 1;
	t->queued_gen = n->gen;
	struct io_uring_sqe *q = storm_sqe(s);
	io_uring_prep_sendmsg(q, n->fd, &t->msg, MSG_DONTWAIT);
	q->flags |= IOSQE_CQE_SKIP_SUCCESS;
	io_uring_sqe_set_data64(q, UD_MAKE(n->idx, n->gen, OP_UDP_SEND));
}
