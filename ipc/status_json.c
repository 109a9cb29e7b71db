/*
 * status_json: the one JSON writer of the instance's status (contract in
 * status_json.h).
 */
#include "ipc/status_json.h"

#include "shm/profiles.h"

#include <string.h>

#include "ipc/profile_json.h"

const char *const client_state_names[4] = { "starting", "running", "draining",
	"stopped" };
const char *const client_role_names[REG_ROLE_COUNT] = { "supervisor", "worker",
	"acceptor", "segmenter", "server" };

const char *client_role_name(unsigned role)
{
	return role < REG_ROLE_COUNT ? client_role_names[role] : "?";
}

void client_status_sum(const struct reg *r, uint64_t *sum)
{
	memset(sum, 0, sizeof(uint64_t) * REG_C_COUNT);
	for (unsigned i = 0; i < reg_nprocs(r); i++)
		for (unsigned k = 0; k < REG_C_COUNT; k++)
			sum[k] += reg_proc(r, i)->counters[k];
	for (unsigned q = 0; q < r->hdr->geo.producer_slots; q++)
		for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
			sum[REG_C_REJECT0 + k] +=
			    reg_producer(r, q)->rejected_by[k];
}

unsigned client_fwd_pending(const struct reg *r)
{
	const struct acc_block *b = reg_acceptor_block(r);
	unsigned n = 0;
	for (unsigned j = 0; b && j < REG_FWD_JOURNAL; j++)
		n += __atomic_load_n(&b->journal[j].token, __ATOMIC_RELAXED) !=
		    0;
	return n;
}

static void _acc_json(FILE *f, const struct reg *r)
{
	const struct reg_proc *p = reg_proc(r, reg_proc_acceptor(r));
	fprintf(f, ",\"acceptor\":{\"running\":%s", p->pid ? "true" : "false");
	for (unsigned k = REG_C_ACC0; k < REG_C_SRV0; k++)
		fprintf(f, ",\"%s\":%llu", reg_counter_name(k),
		    (unsigned long long)p->counters[k]);
	fprintf(f, ",\"fwd_pending\":%u", client_fwd_pending(r));
	fprintf(f, ",\"rejected\":{");
	for (unsigned k = 1; k < EVT_REASON_COUNT; k++)
		fprintf(f, "%s\"%s\":%llu", k > 1 ? "," : "",
		    evt_reason_name(k),
		    (unsigned long long)p->counters[REG_C_REJECT0 + k]);
	fprintf(f, "}}");
}

static void _srv_json(FILE *f, const struct reg *r)
{
	const struct reg_proc *p = reg_proc(r, reg_proc_server(r));
	fprintf(f,
	    ",\"server\":{\"running\":%s,\"ready\":%s,\"pid\":%d,\"starts\":%u,\"last_exit\":%d",
	    p->pid ? "true" : "false", p->pid && p->ready ? "true" : "false",
	    p->pid, p->starts, p->last_exit);
	for (unsigned k = REG_C_SRV0; k < REG_C_COUNT; k++)
		fprintf(f, ",\"%s\":%llu", reg_counter_name(k),
		    (unsigned long long)p->counters[k]);
	fprintf(f, "}");
}

static void _procs_json(FILE *f, const struct reg *r)
{
	fprintf(f, ",\"processes\":[");
	for (unsigned i = 0; i < reg_nprocs(r); i++) {
		const struct reg_proc *p = reg_proc(r, i);
		fprintf(f,
		    "%s{\"role\":\"%s\",\"index\":%u,\"pid\":%d,\"starts\":%u,\"last_exit\":%d,\"applied\":%llu}",
		    i ? "," : "", client_role_name(p->role), p->index, p->pid,
		    p->starts, p->last_exit,
		    (unsigned long long)p->counters[REG_C_APPLIED]);
	}
	fprintf(f, "]");
}

/* "loads":{"catalog":{reason:n,...},"experiments":{...}}: what loads
 * refused (shm/counters.h, REG_LOADS; rows grouped by load, in order). */
static void _loads_json(FILE *f, const struct reg *r)
{
	const char *kind = NULL;
	fprintf(f, ",\"loads\":{");
	for (unsigned k = 0; k < REG_L_COUNT; k++) {
		const char *kk = reg_load_kind(k);
		bool first = !kind || strcmp(kind, kk);
		if (first)
			fprintf(f, "%s\"%s\":{", kind ? "}," : "", kk);
		fprintf(f, "%s\"%s\":%llu", first ? "" : ",", reg_load_name(k),
		    (unsigned long long)
			__atomic_load_n(&r->hdr->load_rejected[k],
			    __ATOMIC_RELAXED));
		kind = kk;
	}
	fprintf(f, "%s}", kind ? "}" : "");
}

static void _producers_json(FILE *f, const struct reg *r)
{
	fprintf(f, ",\"producers\":[");
	for (unsigned q = 0; q < r->hdr->geo.producer_slots; q++) {
		const struct reg_producer *pr = reg_producer(r, q);
		fprintf(f,
		    "%s{\"owner\":%d,\"published\":%llu,\"full_waits\":%llu,\"rejected\":%llu}",
		    q ? "," : "", pr->owner, (unsigned long long)pr->published,
		    (unsigned long long)pr->full_waits,
		    (unsigned long long)pr->rejected);
	}
	fprintf(f, "]");
}

void client_status_json(FILE *f, const struct reg *r, const uint64_t *now,
    double rate)
{
	const struct reg_header *h = r->hdr;
	const struct reg_geometry *g = &h->geo;
	char huge[32];
	int hp = reg_huge_mode(huge, sizeof(huge));
	fprintf(f, "{\"instance\":");
	client_json_fstr(f, h->instance);
	fprintf(f,
	    ",\"huge_pages\":%s,\"shm_huge\":", hp > 0 ? "true" : "false");
	client_json_fstr(f, huge);
	fprintf(f,
	    ",\"state\":\"%s\",\"supervisor_pid\":%d,\"layout_version\":%u,\"region_bytes\":%zu,\"shards\":%u,\"producer_slots\":%u,\"ring_depth\":%u,\"profiles_per_shard\":%u,\"applied\":%llu,\"applied_per_s\":%.1f,\"unknown_entity\":%llu,\"recovered\":%llu,\"skipped\":%llu,\"shard_profiles\":[",
	    client_state_names[h->state & 3], h->supervisor_pid,
	    h->layout_version, r->size, g->shards, g->producer_slots,
	    g->ring_depth, g->profiles_per_shard,
	    (unsigned long long)now[REG_C_APPLIED], rate,
	    (unsigned long long)now[REG_C_UNKNOWN_ENTITY],
	    (unsigned long long)now[REG_C_RECOVERED],
	    (unsigned long long)now[REG_C_SKIPPED]);
	for (unsigned s = 0; s < g->shards; s++)
		fprintf(f, "%s%u", s ? "," : "", prof_count(r, s));
	const struct nbr_block *nb = reg_neighbors(r);
	fprintf(f,
	    "],\"catalog\":%u,\"neighbors\":{\"capacity\":%u,\"items\":%u,\"passes\":%llu,\"lists_written\":%llu,\"refused\":%llu,\"last_pass_ms\":%lld},\"rejected\":{",
	    reg_catalog(r)->count, g->neighbor_capacity,
	    ck_pr_load_uint(&nb->items),
	    (unsigned long long)ck_pr_load_64(&nb->passes),
	    (unsigned long long)ck_pr_load_64(&nb->published),
	    (unsigned long long)ck_pr_load_64(&nb->refused),
	    (long long)ck_pr_load_64((const uint64_t *)&nb->last_pass_ms));
	for (unsigned k = 0; k < EVT_REASON_COUNT; k++)
		fprintf(f, "%s\"%s\":%llu", k ? "," : "", evt_reason_name(k),
		    (unsigned long long)now[REG_C_REJECT0 + k]);
	fprintf(f, "}");
	_loads_json(f, r);
	_procs_json(f, r);
	_acc_json(f, r);
	_srv_json(f, r);
	_producers_json(f, r);
	fprintf(f, "}\n");
}
