/*
 * acceptor: the network acceptor process. Receives msgpack events over UDP
 * datagrams and TCP streams with one io_uring, decodes them (ipc/mpack.h),
 * validates and enriches them (evt_build), and stages each accepted event
 * into the ring of its shard through the acceptor's producer slot 0.
 *
 * Process: forked and restarted by the supervisor like a shard worker, at
 * reg_proc(r, reg_proc_acceptor(r)). Only that process calls acc_main().
 * It writes its reg_proc (heartbeat, ready, counters REG_C_REJECT0.. and
 * REG_C_ACC0..), producer slot 0 (its rings' producer side and the slot's
 * counters) and the acceptor block (struct acc_block: the forward chunk
 * journal and dedup set, kept across its restarts); it reads everything
 * else.
 *
 * Fluentd forward protocol: connections accepted on forward_listen are
 * decoded by ipc/forward.h's fwd_stream (same events, same staging and
 * back-pressure as plain TCP). A message with a "chunk" option is answered
 * {"ack": chunk} by an io_uring send after its records are committed;
 * chunk ids are de-duplicated across resends and acceptor kills with a
 * journal of the ring positions each commit reaches (docs/PROTOCOL.md,
 * "For the acceptor", has the recipe, the crash windows and the residual
 * cases). A peer that leaves more than 16 KiB of acks unread is closed
 * (REG_C_FWD_CLOSED_SLOW).
 *
 * Shared key: with forward_shared_key set, a forward connection is
 * greeted with HELO (a fresh nonce from libsodium) and nothing it sends is
 * decoded before a PING proving the key (ipc/forward.h, fwd_ping_read);
 * it is answered PONG, and a refused one is closed once its PONG is out
 * (REG_C_FWD_AUTH_FAILED).
 *
 * Sources: with allow_from set (cfg_cidr_parse), a UDP datagram from
 * another source is dropped before decoding (REG_C_UDP_REFUSED) and a TCP
 * or forward connection from one is closed right after accept, before
 * any read (REG_C_TCP_REFUSED, REG_C_FWD_REFUSED). At start, listeners
 * bound beyond loopback without an allow list are logged as a warning.
 *
 * I/O: multishot accept on TCP listeners; multishot recvmsg with a provided
 * buffer ring (registered by hand: liburing 2.3 has no setup helper) on UDP
 * sockets; single-shot recv with buffer selection from a second buffer ring
 * on TCP connections, so an idle connection holds no receive buffer. If the
 * kernel refuses buffer rings or a multishot op, the plain forms are used
 * (plain accept, a few plain recvmsg per UDP socket, recv into a buffer per
 * connection) and the log says so once. PENCHANT_ACC_PLAIN=1 in the
 * environment forces the plain forms (tests).
 *
 * Back-pressure: a TCP connection whose event finds its shard's ring full
 * is paused: its recv is not re-armed (the socket buffer fills and the TCP
 * window stops the sender), the undelivered bytes stay in its mp_stream,
 * and the loop retries it every millisecond until the worker made room.
 * Accepted TCP bytes are never dropped while the process lives. A UDP
 * datagram is all or nothing: when any of its valid events finds no room,
 * none is staged and the datagram is counted in REG_C_UDP_DROPPED.
 *
 * Idle: a connection that sends no event taken, or leaves an object
 * unfinished, for idle_timeout_s is closed (REG_C_TCP_CLOSED_IDLE,
 * REG_C_FWD_CLOSED_IDLE). That time is the acceptor's own running time:
 * a wait that returns 250 ms or more past its timeout (the process was
 * stopped or not scheduled) is a stall, counted in REG_C_ACC_STALLS; it
 * moves every open connection's deadline on by its length and delays the
 * next idle sweep, so what clients sent during it is read before anyone
 * is judged idle.
 *
 * Commits: staged events are made visible once per completion batch (and
 * whenever a quarter of a ring is staged), so a restart after kill -9
 * continues after the last committed record: committed events are applied
 * exactly once, bytes the process had read but not committed are lost
 * (plain TCP has no acknowledgement; see docs/PROTOCOL.md).
 *
 * Shutdown: SIGTERM or SIGINT (kept blocked and read through a signalfd),
 * or the region leaving REG_RUNNING: stop accepting and reading, finish
 * the data already read (paused streams included, bounded by 5 s), commit,
 * exit 0. The supervisor waits for that before it drains the workers.
 */
#ifndef PENCHANT_WORKERS_ACCEPTOR_H
#define PENCHANT_WORKERS_ACCEPTOR_H

#include "conf/config.h"
#include "shm/region.h"

/* Receive buffer sizes (bytes): a UDP datagram's payload may be at most
 * ACC_UDP_PAYLOAD; larger ones are counted in REG_C_UDP_TRUNCATED. */
#define ACC_UDP_PAYLOAD 16000
#define ACC_TCP_CHUNK (32 * 1024)

/*
 * True when the settings ask for an acceptor: some listen address and at
 * least one acceptor producer slot.
 */
bool acc_wanted(const struct cfg *c);

/*
 * The acceptor process body. Returns the exit code: 0 after a clean stop,
 * 1 when it could not start (no io_uring, no listener could be bound: the
 * supervisor restarts it with backoff).
 */
int acc_main(const struct reg *r, const struct cfg *c);

#endif
