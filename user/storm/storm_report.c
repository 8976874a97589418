/* Summary and per-node JSON of a storm run (see storm_report.h).
 * Percentiles are over the nodes that completed that phase; a failed
 * phase has no duration. MB is 10^6 bytes. */
#include "storm/storm_report.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "storm/storm_engine.h"
#include "storm/storm_stats.h"

#define MAX_FAIL_KINDS 64

struct fail_kind {
	int phase;
	char reason[32];
	unsigned count;
};

struct summary {
	unsigned completed, failed, started;
	unsigned kinds[SK__N];
	uint64_t first, last;                  /* ns: first phase start, last finish */
	uint64_t tftp_bytes, http_bytes, script_bytes, retries[PH__N], http_503;
	unsigned proxy_nodes;                  /* nodes with a ProxyDHCPACK */
	struct storm_dist phase[PH__N], boot;
	struct fail_kind fails[MAX_FAIL_KINDS];
	unsigned nfails;
};

static void summarise(const struct storm *s, struct summary *m)
{
	uint64_t *v = malloc((s->io.n ? s->io.n : 1) * sizeof(*v));

	memset(m, 0, sizeof(*m));
	m->first = UINT64_MAX;
	for (unsigned i = 0; i < s->io.n; i++) {
		const struct storm_node *n = &s->io.nodes[i];
		m->kinds[n->kind]++;
		m->tftp_bytes += n->tftp_bytes;
		m->http_bytes += n->http_bytes;
		m->script_bytes += n->script_bytes;
		m->http_503 += n->http_503;
		m->proxy_nodes += n->proxy_acks > 0;
		for (int p = 0; p < PH__N; p++) {
			m->retries[p] += n->span[p].retries;
			if (n->span[p].started && n->span[p].start < m->first)
				m->first = n->span[p].start;
		}
		if (n->span[n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP].started)
			m->started++;
		if (n->state == NS_DONE)
			m->completed++;
		if (n->state == NS_DONE || n->state == NS_FAILED)
			if (n->finished > m->last)
				m->last = n->finished;
		if (n->state != NS_FAILED)
			continue;
		m->failed++;
		char r[32];
		storm_reason_str(n->reason, n->fail_code, r, sizeof(r));
		unsigned k;
		for (k = 0; k < m->nfails; k++)
			if (m->fails[k].phase == n->phase && !strcmp(m->fails[k].reason, r))
				break;
		if (k == m->nfails && m->nfails < MAX_FAIL_KINDS) {
			m->fails[k].phase = n->phase;
			snprintf(m->fails[k].reason, sizeof(m->fails[k].reason), "%s", r);
			m->nfails++;
		}
		if (k < m->nfails)
			m->fails[k].count++;
	}
	if (m->first == UINT64_MAX)
		m->first = 0;
	if (!v)
		return;
	for (int p = 0; p < PH__N; p++) {
		size_t k = 0;
		for (unsigned i = 0; i < s->io.n; i++) {
			const struct storm_span *sp = &s->io.nodes[i].span[p];
			if (sp->started && sp->ended)
				v[k++] = sp->end - sp->start;
		}
		storm_dist_of(v, k, &m->phase[p]);
	}
	size_t k = 0;
	for (unsigned i = 0; i < s->io.n; i++) {
		const struct storm_node *n = &s->io.nodes[i];
		int first = n->kind == SK_IPXE ? PH_IPXE_DHCP : PH_DHCP;
		if (n->state == NS_DONE)
			v[k++] = n->finished - n->span[first].start;
	}
	storm_dist_of(v, k, &m->boot);
	free(v);
}

static double ms(uint64_t ns) { return (double)ns / 1e6; }

static void dist_line(FILE *f, const char *name, const struct storm_dist *d, uint64_t retries)
{
	fprintf(f, "  %-10s %7zu %9.1f %9.1f %9.1f %9.1f %9" PRIu64 "\n", name, d->n, ms(d->p50),
		ms(d->p90), ms(d->p99), ms(d->max), retries);
}

void storm_report_text(FILE *f, const struct storm *s, const struct storm_cpu *cpu)
{
	struct summary m;
	const struct storm_cfg *c = s->io.cfg;
	const struct storm_stats *st = &s->io.st;

	summarise(s, &m);
	double wall = (double)(m.last > m.first ? m.last - m.first : 0) / 1e9;
	uint64_t bytes = m.tftp_bytes + m.http_bytes + m.script_bytes;
	double cpu_s = cpu->user_s + cpu->sys_s;

	fprintf(f, "rackboot-storm: %u nodes on %s (bios %u, uefi %u, ipxe %u), ", s->io.n, c->ifname,
		m.kinds[SK_BIOS], m.kinds[SK_UEFI], m.kinds[SK_IPXE]);
	if (c->ramp_rate > 0)
		fprintf(f, "ramp %.1f nodes/s", c->ramp_rate);
	else
		fprintf(f, "all started at once");
	fprintf(f, ", phases up to %s, timeout scale %g\n", storm_phase_name(c->last_phase),
		c->timeout_scale);
	fprintf(f, "completed %u of %u, failed %u, in %.3f s (first DHCP to last node)\n",
		m.completed, s->io.n, m.failed, wall);
	for (unsigned k = 0; k < m.nfails; k++)
		fprintf(f, "  failed in %-10s %-22s %u\n", storm_phase_name(m.fails[k].phase),
			m.fails[k].reason, m.fails[k].count);
	fprintf(f, "  %-10s %7s %9s %9s %9s %9s %9s\n", "phase", "nodes", "p50 ms", "p90 ms",
		"p99 ms", "max ms", "retries");
	for (int p = 0; p < PH__N; p++)
		dist_line(f, storm_phase_name(p), &m.phase[p], m.retries[p]);
	dist_line(f, "boot", &m.boot, 0);
	fprintf(f, "bytes: tftp %" PRIu64 ", http %" PRIu64 " (+ scripts %" PRIu64 "); %.1f MB/s aggregate\n",
		m.tftp_bytes, m.http_bytes, m.script_bytes, wall > 0 ? (double)bytes / wall / 1e6 : 0);
	fprintf(f, "cpu: %.3f s (user %.3f, sys %.3f) = %.3f ms per node started (%u)\n", cpu_s,
		cpu->user_s, cpu->sys_s, m.started ? cpu_s * 1e3 / m.started : 0, m.started);
	fprintf(f, "dhcp: %" PRIu64 " frames sent (%" PRIu64 " dropped locally), %" PRIu64
		" received (%" PRIu64 " stray, %" PRIu64 " bad); offers %" PRIu64 " + proxy %" PRIu64
		", acks %" PRIu64 ", naks %" PRIu64 "; addresses added %" PRIu64 " (failed %" PRIu64 ")\n",
		st->frames_tx, st->frames_tx_err, st->frames_rx, st->frames_stray, st->frames_bad,
		st->dhcp_offers, st->dhcp_proxy_offers, st->dhcp_acks, st->dhcp_naks, st->addr_added,
		st->addr_failed);
	fprintf(f, "proxy 4011: %" PRIu64 " requests sent, %" PRIu64 " acks (%u nodes), %" PRIu64 " stray\n",
		st->proxy_tx, st->proxy_acks, m.proxy_nodes, st->proxy_stray);
	fprintf(f, "tftp: %" PRIu64 " packets, %" PRIu64 " retransmits, %" PRIu64 " stray; http: %"
		PRIu64 " requests, %" PRIu64 " waits after 503, %" PRIu64 " reconnects\n",
		st->tftp_pkts, st->tftp_retx, st->tftp_strays, st->http_requests, m.http_503,
		st->http_reconnects);
	fprintf(f, "loop: %" PRIu64 " io_uring_enter, %" PRIu64 " ENOBUFS, %" PRIu64 " re-arms, %" PRIu64
		" send errors%s%s\n", st->submits, st->enobufs, st->rearms, st->send_errors,
		st->last_errno ? "; last error: " : "", st->last_errno ? strerror(st->last_errno) : "");
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(f, "\\u%04x", ch);     /* bytes as code points: never invalid UTF-8 */
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_dist(FILE *f, const struct storm_dist *d)
{
	fprintf(f, "{\"n\":%zu,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,\"max_ms\":%.3f,\"mean_ms\":%.3f}",
		d->n, ms(d->p50), ms(d->p90), ms(d->p99), ms(d->max), d->mean / 1e6);
}

int storm_report_json(const char *path, const struct storm *s, const struct storm_cpu *cpu)
{
	struct summary m;
	FILE *f = fopen(path, "w");
	if (!f)
		return -errno;
	summarise(s, &m);
	double wall = (double)(m.last > m.first ? m.last - m.first : 0) / 1e9;
	uint64_t bytes = m.tftp_bytes + m.http_bytes + m.script_bytes;

	fprintf(f, "{\"summary\":{\"nodes\":%u,\"completed\":%u,\"failed\":%u,\"wall_s\":%.6f,"
		"\"bytes_tftp\":%" PRIu64 ",\"bytes_http\":%" PRIu64 ",\"bytes_script\":%" PRIu64 ","
		"\"bytes_total\":%" PRIu64 ",\"mb_per_s\":%.3f,\"cpu_user_s\":%.6f,\"cpu_sys_s\":%.6f,"
		"\"cpu_ms_per_node\":%.6f,\"http_503\":%" PRIu64 ",\"proxy_4011_sent\":%" PRIu64
		",\"proxy_4011\":%" PRIu64 ",\"proxy_4011_nodes\":%u,\"timeout_scale\":%g,\"last_phase\":",
		s->io.n, m.completed, m.failed, wall, m.tftp_bytes, m.http_bytes, m.script_bytes, bytes,
		wall > 0 ? (double)bytes / wall / 1e6 : 0, cpu->user_s, cpu->sys_s,
		m.started ? (cpu->user_s + cpu->sys_s) * 1e3 / m.started : 0, m.http_503,
		s->io.st.proxy_tx, s->io.st.proxy_acks, m.proxy_nodes, s->io.cfg->timeout_scale);
	json_str(f, storm_phase_name(s->io.cfg->last_phase));
	fprintf(f, ",\"failures\":[");
	for (unsigned k = 0; k < m.nfails; k++) {
		fprintf(f, "%s{\"phase\":", k ? "," : "");
		json_str(f, storm_phase_name(m.fails[k].phase));
		fprintf(f, ",\"reason\":");
		json_str(f, m.fails[k].reason);
		fprintf(f, ",\"count\":%u}", m.fails[k].count);
	}
	fprintf(f, "],\"phases\":{");
	for (int p = 0; p < PH__N; p++) {
		fprintf(f, "%s\"%s\":", p ? "," : "", storm_phase_name(p));
		json_dist(f, &m.phase[p]);
	}
	fprintf(f, ",\"boot\":");
	json_dist(f, &m.boot);
	fprintf(f, "}},\n\"nodes\":[\n");
	for (unsigned i = 0; i < s->io.n; i++) {
		const struct storm_node *n = &s->io.nodes[i];
		char ip[INET_ADDRSTRLEN] = "", r[32];
		if (n->ip)
			inet_ntop(AF_INET, &n->ip, ip, sizeof(ip));
		fprintf(f, "{\"idx\":%u,\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"kind\":\"%s\",\"arch\":%u,"
			"\"ip\":", n->idx, n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4], n->mac[5],
			storm_kind_name(n->kind), n->arch);
		if (n->ip)
			json_str(f, ip);
		else
			fputs("null", f);
		fprintf(f, ",\"prefix\":%u,\"status\":\"%s\",\"fail_phase\":", n->prefix,
			n->state == NS_DONE ? "ok" : n->state == NS_FAILED ? "failed" : "unfinished");
		if (n->state == NS_FAILED) {
			json_str(f, storm_phase_name(n->phase));
			fprintf(f, ",\"fail_reason\":");
			json_str(f, storm_reason_str(n->reason, n->fail_code, r, sizeof(r)));
		} else {
			fputs("null,\"fail_reason\":null", f);
		}
		fprintf(f, ",\"tftp_bytes\":%" PRIu64 ",\"tftp_tsize\":%" PRIu64 ",\"tftp_blksize\":%u,"
			"\"tftp_windowsize\":%u,\"http_bytes\":%" PRIu64 ",\"script_bytes\":%" PRIu64
			",\"http_503\":%u,\"proxy_4011\":%u,\"end_ms\":%.3f,\"phases\":{",
			n->tftp_bytes, n->tftp_tsize, n->tftp_blksize, n->tftp_window, n->http_bytes,
			n->script_bytes, n->http_503, n->proxy_acks, ms(n->finished));
		bool first = true;
		for (int p = 0; p < PH__N; p++) {
			const struct storm_span *sp = &n->span[p];
			if (!sp->started)
				continue;
			fprintf(f, "%s\"%s\":{\"start_ms\":%.3f,\"end_ms\":", first ? "" : ",",
				storm_phase_name(p), ms(sp->start));
			if (sp->ended)
				fprintf(f, "%.3f", ms(sp->end));
			else
				fputs("null", f);
			fprintf(f, ",\"retries\":%u", sp->retries);
			if (p == PH_DHCP || p == PH_IPXE_DHCP)
				fprintf(f, ",\"boot_from\":\"%s\"", storm_boot_from_name(sp->boot_from));
			fputc('}', f);
			first = false;
		}
		fprintf(f, "}}%s\n", i + 1 < s->io.n ? "," : "");
	}
	fprintf(f, "]}\n");
	int bad = ferror(f);
	if (fclose(f) != 0 || bad)
		return -EIO;
	return 0;
}
