/*
 * status: `penchant status`, a reader of the region's header, tables and
 * counters. Rates come from two samples 250 ms apart. The JSON is
 * ipc/status_json.h's, which the rank API server answers with too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/rank.h"
#include "ipc/client.h"
#include "ipc/status_json.h"
#include "shm/profiles.h"
#include "shm/ring.h"
#include "shm/segment.h"
#include "tools/cli.h"

static void _exit_text(int status, char *buf, size_t len)
{
	if (status < 0)
		snprintf(buf, len, "-");
	else if (((status & 0x7f) != 0))
		snprintf(buf, len, "signal %d", status & 0x7f);
	else
		snprintf(buf, len, "exit %d", (status >> 8) & 0xff);
}

static void _acc_text(const struct reg *r)
{
	const struct reg_proc *p = reg_proc(r, reg_proc_acceptor(r));
	const uint64_t *c = p->counters;
	if (!p->starts) {
		printf(
		    "acceptor: not running (no listen address or no acceptor slot)\n");
		return;
	}
	printf(
	    "acceptor: %s, %llu listeners, %llu connections, %llu events accepted, %llu back-pressure pauses, %llu stalls\n",
	    p->pid ? "up" : "DOWN", (unsigned long long)c[REG_C_ACC_LISTENERS],
	    (unsigned long long)c[REG_C_ACC_CONNS],
	    (unsigned long long)c[REG_C_ACC_EVENTS],
	    (unsigned long long)c[REG_C_ACC_PAUSED],
	    (unsigned long long)c[REG_C_ACC_STALLS]);
	printf(
	    "  udp: %llu datagrams, %llu bytes, dropped %llu (%llu events, rings full), truncated %llu\n",
	    (unsigned long long)c[REG_C_UDP_DATAGRAMS],
	    (unsigned long long)c[REG_C_UDP_BYTES],
	    (unsigned long long)c[REG_C_UDP_DROPPED],
	    (unsigned long long)c[REG_C_UDP_DROPPED_EVENTS],
	    (unsigned long long)c[REG_C_UDP_TRUNCATED]);
	printf(
	    "  tcp: %llu accepted, %llu bytes; closed: peer %llu, mid-object %llu, idle %llu, too big %llu, protocol %llu, too many %llu\n",
	    (unsigned long long)c[REG_C_TCP_ACCEPTED],
	    (unsigned long long)c[REG_C_TCP_BYTES],
	    (unsigned long long)c[REG_C_TCP_CLOSED_PEER],
	    (unsigned long long)c[REG_C_TCP_CLOSED_PARTIAL],
	    (unsigned long long)c[REG_C_TCP_CLOSED_IDLE],
	    (unsigned long long)c[REG_C_TCP_CLOSED_TOO_BIG],
	    (unsigned long long)c[REG_C_TCP_CLOSED_PROTOCOL],
	    (unsigned long long)c[REG_C_TCP_CLOSED_TOO_MANY]);
	printf(
	    "  forward: %llu accepted, %llu bytes, %llu messages, %llu acks, duplicate chunks %llu (%llu events), resumed %llu, journal lost %llu, pending %u; closed: peer %llu, mid-message %llu, idle %llu, too big %llu, protocol %llu, too many %llu, slow reader %llu\n",
	    (unsigned long long)c[REG_C_FWD_ACCEPTED],
	    (unsigned long long)c[REG_C_FWD_BYTES],
	    (unsigned long long)c[REG_C_FWD_MESSAGES],
	    (unsigned long long)c[REG_C_FWD_ACKS],
	    (unsigned long long)c[REG_C_FWD_DUP_CHUNKS],
	    (unsigned long long)c[REG_C_FWD_DUP_EVENTS],
	    (unsigned long long)c[REG_C_FWD_RESUMED],
	    (unsigned long long)c[REG_C_FWD_JOURNAL_LOST],
	    client_fwd_pending(r), (unsigned long long)c[REG_C_FWD_CLOSED_PEER],
	    (unsigned long long)c[REG_C_FWD_CLOSED_PARTIAL],
	    (unsigned long long)c[REG_C_FWD_CLOSED_IDLE],
	    (unsigned long long)c[REG_C_FWD_CLOSED_TOO_BIG],
	    (unsigned long long)c[REG_C_FWD_CLOSED_PROTOCOL],
	    (unsigned long long)c[REG_C_FWD_CLOSED_TOO_MANY],
	    (unsigned long long)c[REG_C_FWD_CLOSED_SLOW]);
	printf("  rejected:");
	unsigned shown = 0;
	for (unsigned k = 1; k < EVT_REASON_COUNT; k++)
		if (c[REG_C_REJECT0 + k])
			printf("%s %s %llu", shown++ ? "," : "",
			    evt_reason_name(k),
			    (unsigned long long)c[REG_C_REJECT0 + k]);
	printf("%s\n", shown ? "" : " none");
}

/* What catalog and experiment loads refused, by reason ("none" for a
 * load that refused nothing). */
static void _loads_text(const struct reg *r)
{
	const char *kind = NULL;
	unsigned shown = 0;
	printf("loads refused:");
	for (unsigned k = 0; k < REG_L_COUNT; k++) {
		const char *kk = reg_load_kind(k);
		if (!kind || strcmp(kind, kk)) {
			if (kind && !shown)
				printf(" none");
			printf("%s %s:", kind ? ";" : "", kk);
			kind = kk;
			shown = 0;
		}
		uint64_t n = __atomic_load_n(&r->hdr->load_rejected[k],
		    __ATOMIC_RELAXED);
		if (n)
			printf("%s %s %llu", shown++ ? "," : "",
			    reg_load_name(k), (unsigned long long)n);
	}
	printf("%s\n", kind && !shown ? " none" : "");
}

static void _srv_text(const struct reg *r)
{
	const struct reg_proc *p = reg_proc(r, reg_proc_server(r));
	const uint64_t *c = p->counters;
	if (!p->starts) {
		printf(
		    "server: not running (http_listen and rank_listen are empty)\n");
		return;
	}
	printf(
	    "server: %s, %llu candidates ranked; http: %llu requests, %llu rank, %llu profile, 4xx %llu (too big %llu), 5xx %llu, %llu connections refused (max_connections), %llu closed as slow, %llu refused by the HTTP library (malformed), %llu closed with no request, %llu cross-origin refused; msgpack: %llu connections, %llu requests, %llu answered with an error, %llu connections closed for garbage, %llu refused (max_connections), %llu closed as slow\n",
	    p->pid && p->ready ? "up"
		: p->pid       ? "starting"
			       : "DOWN",
	    (unsigned long long)c[REG_C_SRV_RANKED],
	    (unsigned long long)c[REG_C_SRV_HTTP_REQUESTS],
	    (unsigned long long)c[REG_C_SRV_HTTP_RANK],
	    (unsigned long long)c[REG_C_SRV_HTTP_PROFILE],
	    (unsigned long long)c[REG_C_SRV_HTTP_4XX],
	    (unsigned long long)c[REG_C_SRV_HTTP_TOO_BIG],
	    (unsigned long long)c[REG_C_SRV_HTTP_5XX],
	    (unsigned long long)c[REG_C_SRV_HTTP_REFUSED],
	    (unsigned long long)c[REG_C_SRV_HTTP_SLOW],
	    (unsigned long long)c[REG_C_SRV_HTTP_MALFORMED],
	    (unsigned long long)c[REG_C_SRV_HTTP_NO_REQUEST],
	    (unsigned long long)c[REG_C_SRV_HTTP_CROSS_ORIGIN],
	    (unsigned long long)c[REG_C_SRV_MP_CONNS],
	    (unsigned long long)c[REG_C_SRV_MP_REQUESTS],
	    (unsigned long long)c[REG_C_SRV_MP_BAD],
	    (unsigned long long)c[REG_C_SRV_MP_CLOSED],
	    (unsigned long long)c[REG_C_SRV_MP_REFUSED],
	    (unsigned long long)c[REG_C_SRV_MP_SLOW]);
}

/* What privacy did (docs/PRIVACY.md), when it did anything. */
static void _privacy_text(const uint64_t *now)
{
	static const struct {
		unsigned c;
		const char *name;
	} rows[] = { { REG_C_ERASED, "erased" },
		{ REG_C_CONSENTS, "consent decisions" },
		{ REG_C_RETIRED, "retired (retention)" },
		{ REG_C_NO_CONSENT, "not learned without consent" },
		{ REG_C_DNT, "do-not-track" }, { REG_C_SENSITIVE, "sensitive" },
		{ REG_C_EXPIRED, "older than retention" } };
	bool any = false;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		if (now[rows[i].c]) {
			printf("%s %s %llu",
			    any ? "," : "privacy:", rows[i].name,
			    (unsigned long long)now[rows[i].c]);
			any = true;
		}
	if (any)
		printf("\n");
}

/* Segments, serving by strategy and experiments, in a line each. */
static void _serving_text(pen_t *p)
{
	struct pen_segments *sg = malloc(sizeof(*sg));
	int src = sg ? pen_segments_read(p, sg, 0) : -ENOMEM;
	uint64_t answered;
	int why;
	char msg[SEG_NOTE_MAX + 1];
	if (!src)
		printf(
		    "segments: %u of %llu users (refresh %llu, silhouette %.2f)\n",
		    sg->k, (unsigned long long)sg->users,
		    (unsigned long long)sg->version, sg->silhouette);
	if (seg_last_note(client_region(p), &answered, &why, msg,
		sizeof(msg)) == 0 &&
	    why)
		printf("segments: the last refresh made no table: %s\n", msg);
	free(sg);
	bool any = false;
	for (unsigned s = 0; s < RANK_STRATEGY_COUNT; s++) {
		struct pen_serving v;
		const char *n = rank_strategy_name(s);
		if (pen_serving_read(p, n, 0, &v) || !v.impressions)
			continue;
		printf("%s %s %llu impressions, CTR %.2f%%",
		    any ? "," : "serving:", n,
		    (unsigned long long)v.impressions,
		    100.0 * (double)v.clicks / (double)v.impressions);
		any = true;
	}
	if (any)
		printf("\n");
	struct pen_experiments *x = malloc(sizeof(*x));
	if (x && pen_experiments_read(p, x) == 0 && x->n) {
		printf("experiments:");
		for (unsigned i = 0; i < x->n; i++) {
			printf("%s %s (%s, %u variants%s", i ? "," : "",
			    x->e[i].name,
			    x->e[i].active ? "running" : "stopped",
			    x->e[i].n_variants,
			    x->e[i].srm_broken ? ", SPLIT BROKEN" : "");
			/* when the rates are approximate, and why */
			if (x->e[i].evicted)
				printf(", %llu requests evicted",
				    (unsigned long long)x->e[i].evicted);
			if (x->e[i].stale)
				printf(", %llu outcomes of an earlier run",
				    (unsigned long long)x->e[i].stale);
			printf(")");
		}
		printf("; penchant experiments for the results\n");
	}
	free(x);
}

static void _text(const struct reg *r, const uint64_t *now, double rate)
{
	const struct reg_header *h = r->hdr;
	const struct reg_geometry *g = &h->geo;
	uint64_t profiles = 0, backlog = 0, published = 0, waits = 0, rej = 0;
	for (unsigned s = 0; s < g->shards; s++)
		profiles += prof_count(r, s);
	for (unsigned p = 0; p < g->producer_slots; p++) {
		published += reg_producer(r, p)->published;
		waits += reg_producer(r, p)->full_waits;
		rej += reg_producer(r, p)->rejected;
		for (unsigned s = 0; s < g->shards; s++)
			backlog += ring_backlog(reg_ring(r, p, s));
	}
	uint64_t cap = (uint64_t)g->profiles_per_shard * g->shards;
	printf(
	    "instance %s: %s, supervisor pid %d, layout version %u, region %zu MiB\n",
	    h->instance, client_state_names[h->state & 3], h->supervisor_pid,
	    h->layout_version, r->size >> 20);
	char huge[32];
	int hp = reg_huge_mode(huge, sizeof(huge));
	printf("huge pages: %s (/dev/shm huge=%s%s)\n", hp > 0 ? "yes" : "no",
	    huge,
	    hp > 0 ? ""
		   : "; as root, mount -o remount,huge=advise /dev/shm before "
		     "penchantd starts gives the tables 2 MiB pages");
	printf(
	    "shards %u, producer slots %u (%u for the acceptor), ring depth %u\n",
	    g->shards, g->producer_slots, g->acceptor_slots, g->ring_depth);
	printf("profiles %llu / %llu (%.1f%%), %zu bytes each\n",
	    (unsigned long long)profiles, (unsigned long long)cap,
	    cap ? 100.0 * (double)profiles / (double)cap : 0.0,
	    sizeof(struct prof_slot) + 2 * sizeof(struct prof_index));
	for (unsigned s = 0; s < g->shards; s++)
		printf("  shard %u: %u profiles (%.1f%%)\n", s,
		    prof_count(r, s),
		    100.0 * prof_count(r, s) / g->profiles_per_shard);
	printf("catalog %u / %u entities, %u names\n", reg_catalog(r)->count,
	    g->catalog_capacity, reg_catalog(r)->names);
	_loads_text(r);
	const struct nbr_block *nb = reg_neighbors(r);
	if (g->neighbor_capacity)
		printf(
		    "item neighbours: %u / %u items with lists, %llu passes, %llu lists written, %llu items refused\n",
		    nb->items, g->neighbor_capacity,
		    (unsigned long long)nb->passes,
		    (unsigned long long)nb->published,
		    (unsigned long long)nb->refused);
	else
		printf("item neighbours: off (neighbor_items 0)\n");
	printf(
	    "events: applied %llu (%.0f/s), published %llu, in rings %llu, full-ring waits %llu, unknown entity %llu\n",
	    (unsigned long long)now[REG_C_APPLIED], rate,
	    (unsigned long long)published, (unsigned long long)backlog,
	    (unsigned long long)waits,
	    (unsigned long long)now[REG_C_UNKNOWN_ENTITY]);
	printf("rejected: %llu at producers", (unsigned long long)rej);
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		if (now[REG_C_REJECT0 + k])
			printf(", %s %llu", evt_reason_name(k),
			    (unsigned long long)now[REG_C_REJECT0 + k]);
	printf(
	    "\nrecovery: %llu half-applied events rolled back, %llu already-applied records skipped\n",
	    (unsigned long long)now[REG_C_RECOVERED],
	    (unsigned long long)now[REG_C_SKIPPED]);
	_privacy_text(now);
	_acc_text(r);
	_srv_text(r);
	printf("processes:\n");
	int64_t mono = reg_now_mono_ms();
	for (unsigned i = 0; i < reg_nprocs(r); i++) {
		const struct reg_proc *p = reg_proc(r, i);
		if (!p->starts)
			continue;
		char ex[32];
		_exit_text(p->last_exit, ex, sizeof(ex));
		printf(
		    "  %-10s %2u pid %-7d %s heartbeat %lld ms ago, starts %u, last exit %s, applied %llu\n",
		    client_role_name(p->role), p->index, p->pid,
		    p->pid ? "up  " : "DOWN",
		    (long long)(mono - p->heartbeat_ms), p->starts, ex,
		    (unsigned long long)p->counters[REG_C_APPLIED]);
	}
	for (unsigned q = 0; q < g->producer_slots; q++) {
		const struct reg_producer *pr = reg_producer(r, q);
		if (!pr->owner && !pr->published)
			continue;
		printf(
		    "  producer %2u owner %-7d published %llu, full waits %llu, rejected %llu\n",
		    q, pr->owner, (unsigned long long)pr->published,
		    (unsigned long long)pr->full_waits,
		    (unsigned long long)pr->rejected);
	}
}

int cli_status(const struct cli *c, int argc, char **argv)
{
	bool json = c->json;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") ||
		    !strcmp(argv[i], "-h")) {
			printf(
			    "usage: penchant status [--json]\n\nLayout, table fill, event rates, reject reasons by name and the\n"
			    "health of every process. Exit 0, or 3 when the instance is unreachable.\n");
			return CLI_OK;
		} else {
			fprintf(stderr,
			    argv[i][0] == '-'
				? "penchant status: unknown option '%s'\n"
				: "penchant status: unexpected argument '%s' (it takes none)\n",
			    argv[i]);
			return CLI_USAGE;
		}
	}
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc)
		return rc;
	const struct reg *r = client_region(p);
	uint64_t before[REG_C_COUNT], now[REG_C_COUNT];
	client_status_sum(r, before);
	struct timespec ts = { 0, 250000000 };
	nanosleep(&ts, NULL);
	client_status_sum(r, now);
	double rate = (double)(now[REG_C_APPLIED] - before[REG_C_APPLIED]) * 4;
	if (json)
		client_status_json(stdout, r, now, rate);
	else {
		_text(r, now, rate);
		_serving_text(p);
	}
	pen_close(&p);
	return CLI_OK;
}
