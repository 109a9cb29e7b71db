/*
 * catalog_cmd: `penchant catalog load FILE`: JSON lines into the catalog,
 * under the catalog writer lock, while the engine runs.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/geo.h"
#include "ipc/audit.h"
#include "ipc/client.h"
#include "ipc/json.h"
#include "shm/catalog.h"
#include "tools/cli.h"
#include "tools/logread.h"

#define _TOKS 128

static int _put_names(const struct reg *r, const struct json_catalog_item *ci)
{
	int rc = 0;
	if (ci->category.len) {
		uint32_t id = evt_tag_id(ci->category.p, ci->category.len);
		rc = cat_name_put(r, NAME_CATEGORY, id, ci->category.p,
		    ci->category.len);
	}
	for (unsigned i = 0; i < ci->n_tags && (rc == 0 || rc == -EEXIST); i++)
		rc = cat_name_put(r, NAME_TAG,
		    evt_tag_id(ci->tags[i].p, ci->tags[i].len), ci->tags[i].p,
		    ci->tags[i].len);
	return rc == -EEXIST ? 0 : rc;
}

static int _to_item(const struct reg *r, const struct json_catalog_item *ci,
    int64_t now_ms, struct cat_item *it)
{
	memset(it, 0, sizeof(*it));
	if (ci->category.len)
		it->item.category =
		    evt_tag_id(ci->category.p, ci->category.len);
	for (unsigned i = 0; i < ci->n_tags && i < LRN_ITEM_TAGS; i++)
		it->item.tags[it->item.n_tags++] =
		    evt_tag_id(ci->tags[i].p, ci->tags[i].len);
	it->start_ms = ci->has_start ? ci->start_ms : 0;
	it->start_tz_min = (int16_t)ci->start_tz_min;
	it->device_mask = ci->device_mask;
	it->platform_mask = ci->platform_mask;
	/* When it became available: as given, else when first loaded (a
	 * reload keeps the first time, so freshness is not reset); one time
	 * for a whole load, so items loaded together are equally fresh (a
	 * millisecond apart, they would rank apart on equal scores). */
	struct cat_item old;
	uint64_t key = evt_entity_key(ci->id.p, ci->id.len);
	/* A torn entry (a load that died) knows no first time: now. */
	bool known = cat_get(r, key, &old) == 0 && !(old.flags & ITEM_F_TORN);
	it->added_ms = ci->has_added ? ci->added_ms
	    : known		     ? old.added_ms
				     : now_ms;
	if (ci->has_location &&
	    geo_encode(ci->lat, ci->lon, r->hdr->limits.geo_precision,
		&it->geo_cell))
		return -EINVAL;
	/* indoor: false says outdoor, as outdoor: true does (and the
	 * parser refused the two saying opposite things). */
	it->setting = ci->indoor == 1 || ci->outdoor == 0 ? ITEM_INDOOR
	    : ci->indoor == 0 || ci->outdoor == 1	  ? ITEM_OUTDOOR
						  : ITEM_SETTING_UNKNOWN;
	it->group_friendly =
	    ci->group_friendly < 0 ? 0 : (uint8_t)(ci->group_friendly + 1);
	it->price_level = ci->price_level < 0 ? 255 : (uint8_t)ci->price_level;
	if (ci->sensitive == 1)
		it->flags |= ITEM_F_SENSITIVE;
	return 0;
}

struct _cat_load {
	const struct reg *r;
	const char *name;
	int64_t now_ms;
	char *scratch;
	size_t scap;
	unsigned *loaded, *failed;
	unsigned shown; /* rejected lines */
	cli_catalog_seen_fn seen;
	void *seen_arg;
};

/* One catalog line (no line end): 0 loaded, else the error (said). */
static int _catalog_line(struct _cat_load *x, const char *line, size_t n,
    size_t lineno)
{
	const struct reg *r = x->r;
	char **scratch = &x->scratch;
	size_t *scap = &x->scap;
	struct json_tok toks[_TOKS];
	char err[512];
	if (*scap < n + 1) {
		free(*scratch);
		*scap = n + 1;
		if (!(*scratch = malloc(*scap))) {
			*scap = 0;
			return -ENOMEM;
		}
	}
	struct json_work w;
	struct json_catalog_item ci;
	struct cat_item it;
	json_work_init(&w, toks, _TOKS, *scratch, *scap);
	/* why a refused line is counted under (status "loads") */
	enum reg_load why = REG_L_CAT_INVALID;
	int e = json_catalog_item(line, n, &w, &ci, err, sizeof(err));
	if (!e && _to_item(r, &ci, x->now_ms, &it)) {
		snprintf(err, sizeof(err), "location: out of range");
		why = REG_L_CAT_LOCATION;
		e = -EINVAL;
	}
	if (!e &&
	    (e = cat_put(r, evt_entity_key(ci.id.p, ci.id.len), &it)) ==
		-ENOSPC) {
		snprintf(err, sizeof(err),
		    "catalog is full (%u entities): raise catalog_capacity",
		    r->hdr->geo.catalog_capacity);
		why = REG_L_CAT_FULL;
	}
	if (!e && (e = _put_names(r, &ci)) == -ENOSPC) {
		snprintf(err, sizeof(err),
		    "name table is full: raise names_capacity");
		why = REG_L_CAT_NAMES_FULL;
	}
	if (e && e != -ENOMEM) /* out of memory: no fault of the line */
		reg_load_rejected(r, why);
	if (!e) {
		if (x->seen)
			x->seen(x->seen_arg, ci.id.p, ci.id.len, lineno);
	} else if (++x->shown <= LR_SHOWN_REJECTS) {
		fprintf(stderr, "%s:%zu: %s\n", x->name, lineno, err);
	}
	return e;
}

/* Set by the handler of `catalog load`'s SIGINT, SIGTERM and SIGHUP. */
static volatile sig_atomic_t _cat_stop;

static void _cat_on_signal(int sig)
{
	_cat_stop = sig;
}

/* One line of a catalog file: 0 go on, else stop (-ENOMEM, -ENOSPC,
 * -EINTR when interrupted). */
static int _cat_load_line(char *text, size_t len, size_t lineno, void *ctx)
{
	struct _cat_load *x = ctx;
	if (_cat_stop)
		return -EINTR;
	/* blank: white space only, as send takes it (not "expected a
	 * value", a rejected line and exit 1) */
	if (strspn(text, " \t") >= len)
		return 0;
	int k = _catalog_line(x, text, len, lineno);
	if (k == -ENOMEM || k == -ENOSPC) {
		(*x->failed) += k == -ENOSPC;
		return k;
	}
	(*(k ? x->failed : x->loaded))++;
	return 0;
}

int cli_catalog_load_stream(const struct reg *r, void *file, const char *name,
    unsigned *loaded, unsigned *failed)
{
	return cli_catalog_load_seen(r, file, name, loaded, failed, NULL, NULL);
}

int cli_catalog_load_seen(const struct reg *r, void *file, const char *name,
    unsigned *loaded, unsigned *failed, cli_catalog_seen_fn seen, void *arg)
{
	struct _cat_load x = { .r = r,
		.name = name,
		.now_ms = reg_now_wall_ms(),
		.loaded = loaded,
		.failed = failed,
		.seen = seen,
		.seen_arg = arg };
	*loaded = *failed = 0;
	int rc = cli_lines(file, _cat_load_line, &x);
	free(x.scratch);
	if (x.shown > LR_SHOWN_REJECTS)
		fprintf(stderr,
		    "%s: %u more rejected lines not shown (the first %d are; counts are exact)\n",
		    name, x.shown - LR_SHOWN_REJECTS, LR_SHOWN_REJECTS);
	return rc == -ENOMEM || rc == -EINTR ? rc : 0;
}

/* Records the load in the instance's audit trail. The catalog is loaded
 * by then, so a failure to record it is a warning, not a failed load. */
void cli_catalog_audit(const struct reg *r, const char *file, unsigned loaded,
    unsigned failed)
{
	char detail[AUD_DETAIL_MAX], err[512];
	if (!r->hdr->state_dir[0])
		return;
	snprintf(detail, sizeof(detail), "file=%.300s loaded=%u rejected=%u%s",
	    strcmp(file, "-") ? file : "(stdin)", loaded, failed,
	    _cat_stop ? " interrupted" : "");
	if (aud_append(r->hdr->state_dir, r->hdr->instance, AUD_CATALOG_LOAD,
		AUD_NO_SUBJECT, detail, err, sizeof(err)))
		fprintf(stderr,
		    "penchant catalog: warning: the load is not in the audit trail: %s\n",
		    err);
}

int cli_catalog(const struct cli *c, int argc, char **argv)
{
	static const char help[] =
	    "usage: penchant catalog load FILE\n\n"
	    "Loads entities from JSON lines (FILE, or - for stdin), one per line:\n"
	    "  {\"id\":\"e1\",\"category\":\"music\",\"tags\":[\"jazz\",\"live\"],\n"
	    "   \"start_time\":\"2026-12-01T20:00:00+01:00\",\"lat\":52.52,\"lon\":13.40,\n"
	    "   \"indoor\":true,\"group_friendly\":true,\"price_level\":2}\n"
	    "Existing ids are updated in place while the engine runs. Bad lines\n"
	    "are reported as FILE:LINE: field: reason and skipped, and counted\n"
	    "(penchant status --json: \"loads\"). Exit 0 all loaded, 1 some lines\n"
	    "rejected, 2 usage, 3 instance unreachable, 5 another load is running\n"
	    "(nothing loaded: load again once it ends).\n";
	if (cli_help(argc, argv, help)) /* "catalog load --help" too */
		return CLI_OK;
	/* Say what is wrong before the usage: a bare usage after "catalog
	 * load a b" left the reader to find the extra word. */
	const char *why = NULL, *word = NULL;
	if (argc < 2)
		why = "which subcommand? (load FILE)";
	else if (strcmp(argv[1], "load"))
		why = "unknown subcommand", word = argv[1];
	else if (argc < 3)
		why = "load needs a FILE ('-' for stdin)";
	else if (argc > 3)
		why = "load takes one FILE; extra", word = argv[3];
	if (why) {
		if (word)
			fprintf(stderr, "penchant catalog: %s '%s'\n", why,
			    word);
		else
			fprintf(stderr, "penchant catalog: %s\n", why);
		fputs(help, stderr);
		return CLI_USAGE;
	}
	FILE *f = cli_fopen_in("catalog", argv[2]);
	if (!f)
		return CLI_USAGE;
	pen_t *p;
	int rc = cli_open(c, &p);
	if (rc) {
		if (f != stdin)
			fclose(f);
		return rc;
	}
	const struct reg *r = client_region(p);
	char err[256];
	unsigned loaded = 0, failed = 0;
	/* Ctrl-C (or a stop) in the middle of a load: what is loaded stays
	 * loaded, so the load ends as a partial one, said and in the audit
	 * trail; killed by the signal it was in neither. No SA_RESTART: a
	 * read of a pipe or terminal that waits is interrupted too. */
	struct sigaction sa = { .sa_handler = _cat_on_signal };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if ((rc = cat_lock(r, err, sizeof(err)))) {
		/* Another load at work: the instance is reachable, and this
		 * one only has to wait (exit 3 sent scripts looking for a
		 * stopped daemon). */
		fprintf(stderr,
		    "penchant catalog: %s: nothing of %s was loaded; load it again once that load ends (exit %d: busy)\n",
		    err, argv[2], CLI_BUSY);
		rc = rc == -EBUSY ? CLI_BUSY : CLI_UNREACHABLE;
	} else {
		rc = cli_catalog_load_stream(r, f, argv[2], &loaded, &failed);
		if (_cat_stop) {
			fprintf(stderr,
			    "penchant catalog: interrupted (%s) after %u lines of %s: what was loaded stays loaded; load the file again to finish\n",
			    strsignal(_cat_stop), loaded + failed, argv[2]);
			rc = -EIO;
		}
		/* A read error is no end of file: what came before it is
		 * loaded (each line stands alone), and the load is partial. */
		else if (!rc && ferror(f)) {
			fprintf(stderr,
			    "penchant catalog: cannot read %s after line %u: %s\n",
			    argv[2], loaded + failed, strerror(errno));
			rc = -EIO;
		}
		cat_unlock(r);
		fprintf(stderr, "loaded %u entities, rejected %u lines\n",
		    loaded, failed);
		cli_catalog_audit(r, argv[2], loaded, failed);
		rc = rc == -EIO ? CLI_PARTIAL
		    : rc	? CLI_UNREACHABLE
		    : failed	? CLI_PARTIAL
				: CLI_OK;
	}
	if (f != stdin)
		fclose(f);
	pen_close(&p);
	return rc;
}
