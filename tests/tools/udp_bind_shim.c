/* LD_PRELOAD for perfdhcp: a UDP socket bound to port 68 is bound to
 * INADDR_ANY (else broadcast replies never reach it); with SHIM_RCVBUF
 * set, every bound UDP socket gets that receive buffer (so bursts of replies
 * are not dropped by the client's own socket). Nothing else changes. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
int bind(int fd, const struct sockaddr *a, socklen_t l)
{
	static int (*real)(int, const struct sockaddr *, socklen_t);
	struct sockaddr_in s;
	const char *e = getenv("SHIM_RCVBUF");
	int type = 0, rcv = e ? atoi(e) : 0;
	socklen_t tl = sizeof(type);
	if (!real)
		real = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "bind");
	if (!a || a->sa_family != AF_INET || l < sizeof(s))
		return real(fd, a, l);
	memcpy(&s, a, sizeof(s));
	if (rcv > 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	if (s.sin_port == htons(68))
		s.sin_addr.s_addr = htonl(INADDR_ANY);
	return real(fd, (struct sockaddr *)&s, sizeof(s));
}
