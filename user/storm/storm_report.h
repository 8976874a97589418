/* rackboot-storm's results: the summary on stdout and the per-node JSON.
 * Read-only over the engine's state once the run is over. */
#ifndef RACKBOOT_STORM_REPORT_H
#define RACKBOOT_STORM_REPORT_H

#include <stdio.h>

struct storm;

struct storm_cpu {
	double user_s, sys_s;      /* getrusage(RUSAGE_SELF) at the end */
};

void storm_report_text(FILE *f, const struct storm *s, const struct storm_cpu *cpu);
/* The summary plus one object per node. 0, or -errno (file not written). */
int storm_report_json(const char *path, const struct storm *s, const struct storm_cpu *cpu);

#endif
