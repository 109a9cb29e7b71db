#!/usr/bin/python3
"""it_hostile: a second local user against penchantd (needs root, to act as
two unprivileged uids; skips with 77 otherwise).

The daemon runs as uid D, the attacker as uid A (two uids of no account):
- A plants a symlink, or a directory of theirs, where D's lock directory
  goes: D refuses to start, says why, and writes nothing through it;
- with a clean directory D starts; its lock is 0600 in a 0700 directory
  of D's; a clean stop removes the lock;
- a start that fails (a corrupt snapshot) says so precisely and leaves no
  lock behind;
- A runs an instance and is killed with -9, leaving its region behind: D
  refuses to adopt that region and says whose it is;
- D's stop whose final snapshot cannot be written keeps the region and
  fails; the next start adopts it.

Usage: it_hostile.py PENCHANTD
Exit 0 pass, 1 fail, 77 skipped.
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

# Two uids of no account, from the pid: concurrent runs do not meet.
D = 40000 + (os.getpid() % 10000) * 2
A = D + 1
FAILS = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def as_user(uid):
    def drop():
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    return drop


def daemon(exe, uid, inst, state, wait=True, extra=()):
    """penchantd as uid; returns (process, log path)."""
    log = os.path.join(state, "daemon.log")
    f = open(log, "ab")
    p = subprocess.Popen(
        [exe, "--instance", inst, "--state-dir", state, "--shards", "1",
         "--udp-listen=", "--tcp-listen=", "--forward-listen=",
         "--http-listen=", "--rank-listen=", "--log-level=info"]
        + list(extra), stdout=subprocess.DEVNULL, stderr=f,
        preexec_fn=as_user(uid))
    f.close()
    if wait:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
    return p, log


def text(path):
    with open(path, errors="replace") as f:
        return f.read()


def state_dir(root, name, uid):
    d = os.path.join(root, name)
    os.mkdir(d, 0o700)
    os.chown(d, uid, uid)
    return d


def wait_file(path, present, timeout=10):
    t = time.time() + timeout
    while time.time() < t and os.path.exists(path) != present:
        time.sleep(0.05)
    return os.path.exists(path) == present


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 1
    if os.geteuid() != 0:
        print("SKIP: needs root to act as two users")
        return 77
    exe = sys.argv[1]
    lockdir = "/dev/shm/penchant-run-%d" % D
    inst = "hostile-%d" % os.getpid()
    with tempfile.TemporaryDirectory(prefix="it-hostile-") as root:
        os.chmod(root, 0o755)
        subprocess.run(["rm", "-rf", lockdir])
        target = state_dir(root, "attacker", A)

        # 1. a symlink planted where D's lock directory goes
        subprocess.run(["ln", "-s", target, lockdir],
                       preexec_fn=as_user(A), check=True)
        st = state_dir(root, "d1", D)
        p, log = daemon(exe, D, inst, st)
        check(p.returncode not in (None, 0), "refuses a planted symlink")
        check("not a link" in text(log) and lockdir in text(log),
              "and says why: " + text(log).strip().splitlines()[-1][:160])
        check(os.listdir(target) == [], "nothing written through it")
        if p.returncode is None:
            p.kill()
        os.unlink(lockdir)

        # 2. a directory of A's
        subprocess.run(["mkdir", "-m", "777", lockdir],
                       preexec_fn=as_user(A), check=True)
        p, log = daemon(exe, D, inst, st)
        check(p.returncode not in (None, 0),
              "refuses a lock directory of another user")
        if p.returncode is None:
            p.kill()
        os.rmdir(lockdir)

        # 3. clean: starts; lock 0600 in 0700 of D's; removed at stop
        st3 = state_dir(root, "d3", D)
        p, log = daemon(exe, D, inst, st3, wait=False)
        lock = os.path.join(lockdir, inst + ".lock")
        check(wait_file(lock, True), "starts with a lock file")
        ds, ls = os.lstat(lockdir), os.lstat(lock)
        check(ds.st_uid == D and ds.st_mode & 0o777 == 0o700 and
              ls.st_uid == D and ls.st_mode & 0o777 == 0o600,
              "lock 0600 in a 0700 directory of D's")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        check(p.returncode == 0 and not os.path.exists(lock),
              "a clean stop removes the lock")

        # 4. a failed start: corrupt snapshot; precise message, no lock
        snap = os.path.join(st3, inst + ".snap")
        with open(snap, "r+b") as f:
            f.seek(12)
            b = f.read(1)
            f.seek(12)
            f.write(bytes([b[0] ^ 0x10]))
        p, log = daemon(exe, D, inst, st3)
        last = text(log).strip().splitlines()[-3:]
        check(p.returncode not in (None, 0), "a corrupt snapshot fails")
        check(any("corrupt" in l or "record sizes" in l or
                  "with profile layout" in l for l in last),
              "with a message that says so: %s" % last[-1][:160])
        check(not any("this build reads format" in l and
                      "is snapshot format" in l and
                      l.split("is snapshot format")[1].split(";")[0]
                      in l.split("this build reads format")[1]
                      for l in last),
              "no self-contradicting version message")
        check(not os.path.exists(lock), "and leaves no lock behind")
        if p.returncode is None:
            p.kill()
        # the key file missing: a start generates one, fails on the
        # snapshot, and removes the key it made (the right one can be
        # restored without overwriting anything)
        key = os.path.join(st3, inst + ".key")
        os.rename(key, key + ".saved")
        p, log = daemon(exe, D, inst, st3)
        check(p.returncode not in (None, 0) and not os.path.exists(key),
              "a failed start removes the key it generated: %s" %
              text(log).strip().splitlines()[-1][:160])
        if p.returncode is None:
            p.kill()
        os.rename(key + ".saved", key)
        os.unlink(snap)

        # 5. A's region left behind by kill -9: D does not adopt it
        sta = state_dir(root, "a5", A)
        pa, _ = daemon(exe, A, inst, sta, wait=False)
        region = "/dev/shm/penchant." + inst
        check(wait_file(region, True), "A's instance runs")
        time.sleep(0.5)
        pa.send_signal(signal.SIGKILL)
        pa.wait()
        time.sleep(0.3)
        check(os.path.exists(region) and os.stat(region).st_uid == A,
              "A's region stays behind, A's")
        p, log = daemon(exe, D, inst, st3)
        check(p.returncode not in (None, 0),
              "D refuses to adopt A's region")
        check(str(A) in text(log), "and names its owner: " +
              text(log).strip().splitlines()[-1][:200])
        if p.returncode is None:
            p.kill()
        os.unlink(region)

        # 6. a stop whose final snapshot cannot be written (the state
        # dir made read-only under D) keeps the region, says so and
        # fails; the next start adopts it and a clean stop snapshots it
        st6 = state_dir(root, "d6", D)
        p, log = daemon(exe, D, inst, st6, wait=False)
        check(wait_file(region, True), "D's instance runs")
        time.sleep(0.5)
        os.chmod(st6, 0o500)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        os.chmod(st6, 0o700)
        check(p.returncode not in (None, 0),
              "a failed final snapshot fails the stop: %s" % p.returncode)
        check(os.path.exists(region), "and keeps the region")
        check("is kept" in text(log) and st6 in text(log),
              "and says what to do: " +
              text(log).strip().splitlines()[-1][:200])
        p, log = daemon(exe, D, inst, st6, wait=False)
        check(wait_file(os.path.join(lockdir, inst + ".lock"), True),
              "the next start runs")
        time.sleep(0.5)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        check("adopting the region" in text(log), "adopting the region")
        check(p.returncode == 0 and not os.path.exists(region) and
              os.path.exists(os.path.join(st6, inst + ".snap")),
              "a clean stop then snapshots it and removes the region")
        if os.path.exists(region):
            os.unlink(region)

        # 7. a state dir others may write: started, with a warning
        st7 = state_dir(root, "d7", D)
        os.chmod(st7, 0o777)
        p, log = daemon(exe, D, inst, st7, wait=False)
        check(wait_file(os.path.join(lockdir, inst + ".lock"), True),
              "starts with a state dir of mode 0777")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        check("writable by group or others" in text(log) and
              "chmod 700" in text(log), "and warns about it")
        subprocess.run(["rm", "-rf", lockdir,
                        "/dev/shm/penchant-run-%d" % A])
    print("%d failed" % len(FAILS))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
