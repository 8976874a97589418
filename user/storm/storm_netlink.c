/* Batched rtnetlink address requests (see storm_netlink.h). rtnetlink
 * handles requests synchronously inside sendmsg, so by the time it returns
 * every acknowledgement is queued on the socket; a batch of 256 costs two
 * system calls, not 512. */
#include "storm/storm_netlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

int snl_open(struct snl *nl, int ifindex)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int one = 1, rcv = 4 << 20;
	struct timeval tv = { .tv_sec = 5 };

	memset(nl, 0, sizeof(*nl));
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd < 0)
		return -errno;
	/* acknowledgements without a copy of each request: 36 bytes apiece */
	setsockopt(nl->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
		setsockopt(nl->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	/* a missing acknowledgement must not hang the run */
	setsockopt(nl->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(nl->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;
		close(nl->fd);
		nl->fd = -1;
		return e;
	}
	nl->ifindex = ifindex;
	nl->seq0 = 1;
	return 0;
}

void snl_close(struct snl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static void put_attr(uint8_t *buf, size_t *len, uint16_t type, const void *data, uint16_t n)
{
	struct rtattr *a = (struct rtattr *)(buf + *len);
	a->rta_type = type;
	a->rta_len = (uint16_t)RTA_LENGTH(n);
	memcpy(RTA_DATA(a), data, n);
	*len += RTA_ALIGN(a->rta_len);
}

int snl_queue(struct snl *nl, bool add, uint32_t ip, uint8_t prefix, uint32_t tag,
	      snl_result_fn cb, void *ctx)
{
	if (nl->n == SNL_BATCH) {
		int e = snl_flush(nl, cb, ctx);
		if (e < 0)
			return e;
	}
	size_t start = nl->len, len = start;
	struct nlmsghdr *h = (struct nlmsghdr *)(nl->buf + len);
	memset(h, 0, NLMSG_SPACE(sizeof(struct ifaddrmsg)));
	h->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	h->nlmsg_seq = nl->seq0 + nl->n;
	struct ifaddrmsg *ifa = NLMSG_DATA(h);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = prefix;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)nl->ifindex;
	len += NLMSG_SPACE(sizeof(struct ifaddrmsg));
	put_attr(nl->buf, &len, IFA_LOCAL, &ip, 4);
	put_attr(nl->buf, &len, IFA_ADDRESS, &ip, 4);
	h->nlmsg_len = (uint32_t)(len - start);
	nl->len = NLMSG_ALIGN(len);
	nl->tag[nl->n++] = tag;
	return 0;
}

int snl_flush(struct snl *nl, snl_result_fn cb, void *ctx)
{
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	bool got[SNL_BATCH] = { false };
	unsigned pending = nl->n, n = nl->n;
	int err = 0;

	if (!n)
		return 0;
	if (sendto(nl->fd, nl->buf, nl->len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
		err = -errno;
	while (!err && pending) {
		uint8_t rb[16384];
		ssize_t r = recv(nl->fd, rb, sizeof(rb), 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		for (struct nlmsghdr *h = (struct nlmsghdr *)rb; NLMSG_OK(h, (size_t)r);
		     h = NLMSG_NEXT(h, r)) {
			uint32_t i = h->nlmsg_seq - nl->seq0;
			if (h->nlmsg_type != NLMSG_ERROR || i >= n || got[i])
				continue;
			const struct nlmsgerr *e = NLMSG_DATA(h);
			got[i] = true;
			pending--;
			cb(ctx, nl->tag[i], e->error);
		}
	}
	for (unsigned i = 0; i < n; i++)
		if (!got[i])
			cb(ctx, nl->tag[i], err ? err : -EIO);
	nl->seq0 += n;
	nl->n = 0;
	nl->len = 0;
	return err;
}
