"""worker_prefault: with the setting on, each worker maps its shard's
whole table before it takes events, so the region's file holds every
profile page once the first events are applied; off, only the pages the
users touched. Run: it_prefault.py PENCHANTD PENCHANT."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pentest import Daemon, check, done  # noqa: E402

PER_SHARD = 16384  # profiles a shard: 12 MiB of 768-byte records
SLOT = 768


def allocated(name):
    """Bytes the region's file has in memory (tmpfs blocks)."""
    return os.stat("/dev/shm/penchant." + name).st_blocks * 512


def run(daemon, pen, d, on):
    name = "pf%d-%d" % (os.getpid(), on)
    dm = Daemon(daemon, pen, d, name,
                ["--profiles-per-shard", str(PER_SHARD),
                 "--worker-prefault" if on else "--no-worker-prefault"])
    try:
        users = ["u%d" % i for i in range(16)]  # both shards, surely
        dm.send([{"user_id": u, "entity_id": "e1", "event_type": "view",
                  "timestamp": "2026-01-01T00:00:00Z"} for u in users])
        applied = all((dm.wait_events(u, 1) or {}).get("events") == 1
                      for u in users)
        check(applied, "worker_prefault %s: 16 events applied" % on)
        return allocated(name)
    finally:
        dm.stop()


def main():
    daemon, pen = sys.argv[1], sys.argv[2]
    tables = 2 * PER_SHARD * SLOT
    with tempfile.TemporaryDirectory() as d:
        off = run(daemon, pen, d, False)
        on = run(daemon, pen, d, True)
    check(on >= tables,
          "on: the region holds both shards' tables, %d bytes (>= %d)"
          % (on, tables))
    check(off < tables / 2,
          "off: only touched pages, %d bytes (< %d)" % (off, tables // 2))
    return done()


if __name__ == "__main__":
    sys.exit(main())
