/* rackboot-storm: N simulated network-booting nodes from one process
 * against any boot server (docs/STORM.md). This file only wires the
 * pieces: arguments (storm_args.c), the run (storm_engine*.c), the report
 * (storm_report.c). Leased addresses are removed on every exit path that
 * reaches storm_fini: normal end, --max-time, SIGINT/SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "storm/storm_args.h"
#include "storm/storm_engine.h"
#include "storm/storm_report.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

int main(int argc, char **argv)
{
	struct storm_cfg cfg;
	static struct storm s;             /* large; and zeroed for storm_fini on early errors */
	char err[256];
	int rc = storm_args_parse(argc, argv, &cfg, err, sizeof(err));

	if (rc == 1) {
		storm_usage(stdout);
		return 0;
	}
	if (rc < 0) {
		fprintf(stderr, "rackboot-storm: %s\n", err);
		storm_usage(stderr);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART: wake the wait */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (storm_init(&s, &cfg, &stop, err, sizeof(err)) < 0) {
		fprintf(stderr, "rackboot-storm: %s\n", err);
		storm_fini(&s);
		return 2;
	}
	storm_run(&s);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	struct storm_cpu cpu = {
		.user_s = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
		.sys_s = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
	};
	storm_report_text(stdout, &s, &cpu);
	fflush(stdout);
	if (cfg.json_path && (rc = storm_report_json(cfg.json_path, &s, &cpu)) < 0)
		fprintf(stderr, "rackboot-storm: %s: %s\n", cfg.json_path, strerror(-rc));
	unsigned failed = s.failed, done = s.done;
	storm_fini(&s);
	return failed || done != cfg.nodes ? 1 : 0;
}
