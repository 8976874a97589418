/* Logging to syslog (the default, as tftpd-hpa) or to stderr. */
#ifndef RACKBOOT_LOG_H
#define RACKBOOT_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(const char *ident, bool to_stderr);
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
