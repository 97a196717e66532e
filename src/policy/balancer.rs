//! The load balancer of one backend: HAProxy 2.6 server selection, queueing and retries.
//!
//! Job: decide, pick by pick, which server gets each request exactly as HAProxy 2.6 (Debian's
//! 2.6.12) does for `balance roundrobin | static-rr | leastconn | first | source | uri | random(<draws>)`,
//! with `maxconn` slots, the backend (proxy) queue and the per-server queues, `timeout queue`,
//! backup servers (`option allbackup`), `retries`, `option redispatch [<interval>]`, the
//! connection-retry turn-around timer, `slowstart`, per-server `id`, `disabled` and the admin
//! states `ready`/`drain`/`maint` of the runtime API. `tests/it/live_haproxy.rs` compares it
//! with the real program (docs/haproxy-live.md).
//!
//! Where it sits: the policy layer. This is production logic expressed as a sans-IO state
//! machine: the caller (the simulator, or anything else) feeds it events (`handle_*`) with the
//! current simulated time and drains its outboxes (`poll_*`). It knows nothing about the
//! simulator, networks, clients or responses.
//!
//! What it must never do: read a clock, perform I/O, spawn threads, keep global state, iterate
//! a `HashMap`, or allocate per request on the hot path (all buffers are preallocated; the
//! `VecDeque` queues only grow when a queue reaches a new high-water mark). Randomness comes
//! only from the `rand::Rng` handed in by the caller, so a run is a pure function of its seed.
//!
//! Fidelity notes (HAProxy source files named after each item; "code wins over manual"):
//! * roundrobin = `src/lb_fwrr.c` (init/next trees, `curr_pos`, `npos`/`lpos`/`rweight`,
//!   `next_weight`, saturated servers requeued), eb32 duplicate keys are kept in insertion
//!   order (ebtree appends duplicates after the existing ones) which this module reproduces
//!   with a per-insertion sequence number. From 16 servers on the trees are ordered sets
//!   (O(log n) per tree operation, like HAProxy's ebtrees; roundrobin, which only asks a tree
//!   for its first server, keeps them as heaps, `keyheap.rs`); smaller backends scan their
//!   servers, which is cheaper there and picks the same order (`indexed_and_scanned_picks_agree`).
//! * static-rr, `source` and `uri` (default `hash-type map-based`) = `src/lb_map.c`
//!   (`init_server_map` with the GCD of the weights, `recalc_server_map`, `map_get_server_rr`,
//!   `map_get_server_hash`), `get_server_sh` and `get_server_uri` (sdbm, [`UriHash`]) in
//!   `src/backend.c`.
//! * leastconn = `src/lb_fwlc.c`: key `inflight ? (inflight + 1) * SRV_EWGHT_MAX / eweight : 0`
//!   with `inflight = served + server queue length`; ties go to the server that was
//!   (re)inserted first, so idle servers are used in rotation, not by weight.
//! * first = `src/lb_fas.c` (servers ordered by id, i.e. declaration order).
//! * random = `get_server_rnd` in `src/backend.c` over the consistent-hash ring of
//!   `src/lb_chash.c` (`uweight * 16` points per server at `full_hash(puid * 4096 + n)`).
//!   The random numbers come from the caller's RNG, not HAProxy's PRNG, so only the rule,
//!   not the exact stream of picks, can match a live HAProxy.
//! * queues = `src/queue.c` (`pendconn_add`, `process_srv_queue`,
//!   `pendconn_process_next_strm`, `pendconn_grab_from_px`, `pendconn_redistribute`) and
//!   `assign_server_and_queue` in `src/backend.c`.
//! * retries = `back_handle_st_cer` (`src/backend.c`) and `stream_choose_redispatch`
//!   (`include/haproxy/stream.h`).

use super::keyheap::{KeyHeap, Slots};
use crate::units::{SimDuration, SimTime};
use std::collections::{BTreeSet, VecDeque};

/// Index of a server in `BackendSpec::servers` (declaration order; HAProxy `puid` = its `id`).
pub type ServerIdx = usize;

/// HAProxy `BE_WEIGHT_SCALE` (include/haproxy/backend-t.h): user weights are scaled by 16
/// into effective weights for the dynamic algorithms (fwrr, fwlc, fas, chash).
const BE_WEIGHT_SCALE: u32 = 16;
/// HAProxy `SRV_UWGHT_RANGE` (include/haproxy/server-t.h): user weights are 0..=256.
const SRV_UWGHT_RANGE: u32 = 256;
/// HAProxy `SRV_UWGHT_MAX` (include/haproxy/server-t.h).
const SRV_UWGHT_MAX: u32 = SRV_UWGHT_RANGE;
/// HAProxy `SRV_EWGHT_RANGE` = `SRV_UWGHT_RANGE * BE_WEIGHT_SCALE`.
const SRV_EWGHT_RANGE: u32 = SRV_UWGHT_RANGE * BE_WEIGHT_SCALE;
/// HAProxy `SRV_EWGHT_MAX` = `SRV_UWGHT_MAX * BE_WEIGHT_SCALE`.
const SRV_EWGHT_MAX: u32 = SRV_UWGHT_MAX * BE_WEIGHT_SCALE;
/// Retry turn-around cap: `int delay = 1000;` [ms] in `back_handle_st_cer` (src/backend.c).
const TURN_AROUND_MAX: SimDuration = SimDuration::from_millis(1000);
/// The warm-up task of a slow-starting server runs every `MAX(1000, slowstart / 20)` ms with
/// `slowstart` in seconds (`server_warmup`, src/check.c; `srv_parse_slowstart` rounds the
/// configured ms up to seconds): every second in practice.
const WARMUP_PERIOD: SimDuration = SimDuration::from_secs(1);
/// Queue keys are taken from `now_ms` (`MAKE_KEY` in src/queue.c): millisecond resolution.
const QUEUE_KEY_RESOLUTION_NS: u64 = 1_000_000;
/// HAProxy default `retries 3` (src/cfgparse.c `CONN_RETRIES`), for callers building specs.
pub(crate) const DEFAULT_RETRIES: u32 = 3;
/// HAProxy default `<interval>` of `option redispatch` when given without a value: -1,
/// "redispatch on the last retry" (configuration manual, `option redispatch`).
pub(crate) const DEFAULT_REDISPATCH_INTERVAL: i32 = -1;
/// HAProxy default server `weight 1` (configuration manual, server `weight`).
pub(crate) const DEFAULT_WEIGHT: u32 = 1;
/// HAProxy default for `balance random`: 2 draws (`backend_parse_balance`, src/backend.c).
pub(crate) const DEFAULT_RANDOM_DRAWS: u32 = 2;

/// Sentinel for "no tree" (`lb_tree == NULL`).
const NO_TREE: u8 = 0;
/// Trees 1..=6: fwrr init/next/curr per group (active, backup); fwlc/fas use 1 and 2.
const NUM_TREES: usize = 7;
/// From this many servers on, the trees are ordered sets (O(log n)); below, linear scans.
const INDEX_MIN_SERVERS: usize = 16;
/// Sentinel for "no server" in the compact `u32` server references.
const NONE_IDX: u32 = u32::MAX;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The load-balancing algorithm (`balance`).
pub enum Algorithm {
    /// `balance roundrobin` (dynamic weights).
    RoundRobin,
    /// `balance static-rr`.
    StaticRr,
    /// `balance leastconn`.
    LeastConn,
    /// `balance first`: the lowest-id server with a free slot.
    First,
    /// `balance source`: a hash of the client address.
    Source,
    /// `balance uri` with the default `hash-type map-based` (sdbm over the URI).
    Uri(UriHash),
    /// `balance random(<draws>)`: power-of-draws choices.
    Random {
        /// Servers drawn per pick; the least loaded wins (HAProxy default 2).
        draws: u32,
    },
}

/// `balance uri [len <n>] [depth <n>] [whole]`: which part of the request URI is hashed
/// (`backend_parse_balance` and `get_server_uri` in `src/backend.c`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UriHash {
    /// `whole`: the query string is hashed too (else hashing stops at the first `?`).
    pub whole: bool,
    /// `len <n>`: only the first n characters are hashed; 0 = all.
    pub len: u32,
    /// `depth <n>`: hashing stops at the (n+1)-th `/` (n directories); 0 = all.
    pub depth: u32,
}

impl UriHash {
    /// The hash `get_server_uri` computes for `uri` (the request line's URI, origin-form):
    /// truncated to `len` first, then scanned up to the `depth`+1-th slash or (without
    /// `whole`) the first `?`, then `hash_sdbm` (src/hash.c), HAProxy's default hash
    /// function, without `avalanche`.
    pub fn hash(&self, uri: &[u8]) -> u32 {
        let mut uri = uri;
        if self.len > 0 && (self.len as usize) < uri.len() {
            uri = &uri[..self.len as usize];
        }
        // HAProxy stores depth + 1, "the position of the ending '/'"; 0 never matches.
        let ending_slash = if self.depth > 0 { self.depth + 1 } else { 0 };
        let mut slashes = 0;
        let mut end = 0;
        for &c in uri {
            if c == b'/' {
                slashes += 1;
                if slashes == ending_slash {
                    break;
                }
            } else if c == b'?' && !self.whole {
                break;
            }
            end += 1;
        }
        sdbm(&uri[..end])
    }
}

/// HAProxy `hash_sdbm` (src/hash.c): `hash = c + (hash << 6) + (hash << 16) - hash`, with
/// `c` a C `char` (signed on the x86 and arm64 builds Debian ships).
fn sdbm(key: &[u8]) -> u32 {
    key.iter().fold(0u32, |h, &c| {
        (c as i8 as i32 as u32)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

impl Algorithm {
    /// `BE_LB_PROP_DYN`: the effective weight can change at run time (slowstart applies).
    fn dynamic(self) -> bool {
        !matches!(self, Algorithm::StaticRr | Algorithm::Source | Algorithm::Uri(_))
    }

    /// Hash-based selection (`BE_LB_KIND_HI` other than random): the same request maps to the
    /// same server again, so a retry is never redispatched "for free" (live 2.6.12).
    fn kind_hash(self) -> bool {
        matches!(self, Algorithm::Source | Algorithm::Uri(_))
    }
}

#[derive(Clone, Debug)]
/// One `server` line of the backend.
pub struct ServerSpec {
    /// 0..=256, HAProxy default 1. Weight 0 makes the server unusable for load balancing
    /// (`srv_willbe_usable` requires a non-zero effective weight).
    pub weight: u32,
    /// 0 = unlimited.
    pub maxconn: u32,
    /// `backup`: used only when no non-backup server is usable (or all with `allbackup`).
    pub backup: bool,
    /// `id <n>` (HAProxy's `puid`, >= 1, unique): orders `balance first` and places the
    /// server's points on the `random` ring. None = the lowest id no other server uses, in
    /// declaration order (HAProxy's automatic ids).
    pub id: Option<u32>,
    /// `disabled`: starts in maintenance (`set server ... state ready` brings it in).
    pub disabled: bool,
    /// `slowstart <time>`: after coming UP (or out of maintenance) the effective weight grows
    /// from 1/16 of the weight, one step per second; ZERO = off. Dynamic algorithms only.
    pub slowstart: SimDuration,
}

impl Default for ServerSpec {
    /// HAProxy's defaults: `weight 1`, no `maxconn`, not backup, automatic id, enabled, no
    /// slowstart.
    fn default() -> Self {
        ServerSpec {
            weight: DEFAULT_WEIGHT,
            maxconn: 0,
            backup: false,
            id: None,
            disabled: false,
            slowstart: SimDuration::ZERO,
        }
    }
}

/// The administrative state set by an operator (runtime API `set server <b>/<s> state ...`),
/// independent of what the health checks say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminState {
    /// In rotation (`ready`).
    Ready,
    /// No new requests from load balancing (effective weight 0); its queue is still served
    /// (`drain`).
    Drain,
    /// Out of rotation like a DOWN server, queue redistributed with `option redispatch`
    /// (`maint`, or `disabled` in the configuration).
    Maint,
}

#[derive(Clone, Debug)]
/// A backend: its algorithm, servers and queue/retry settings.
pub struct BackendSpec {
    /// `balance`.
    pub algorithm: Algorithm,
    /// The servers, in declaration order.
    pub servers: Vec<ServerSpec>,
    /// HAProxy: defaults to timeout connect when unset; the caller resolves that. ZERO means
    /// "no timeout" like an unset HAProxy timeout (`tick_add_ifset`).
    pub timeout_queue: SimDuration,
    /// Hard bound on the number of queued requests (backend queue + all server queues);
    /// beyond -> `Rejected(QueueFull)`. Not an HAProxy setting (HAProxy has none by default).
    pub queue_max: usize,
    /// HAProxy default 3 (`DEFAULT_RETRIES`).
    pub retries: u32,
    /// None = no `option redispatch`; Some(interval) per the manual (-1 when the option is
    /// given without a value; Some(0) disables redispatching, as the manual says).
    pub redispatch: Option<i32>,
    /// `option allbackup`: use every usable backup server at once, not only the first.
    pub allbackup: bool,
    /// For the retry turn-around min(timeout connect, 1s); ZERO = unset -> 1s.
    pub timeout_connect: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What happens to a new request.
pub enum Decision {
    /// Sent to this server now.
    Dispatch(ServerIdx),
    /// Waiting in a queue; it comes out through `poll_dispatch` / `poll_rejected`.
    Queued,
    /// Refused, with the reason.
    Rejected(RejectReason),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// Why a request failed at the balancer.
pub enum RejectReason {
    /// 503: no usable server.
    NoServer,
    /// 503: the queue bound `queue_max` is reached.
    QueueFull,
    /// 503 after timeout queue.
    QueueTimeout,
    /// 503: every connection retry failed.
    RetriesExhausted,
}

/// Why a connection attempt failed. HAProxy applies the turn-around timer only after an
/// asynchronous connection error (`SC_FL_ERROR`, e.g. connection refused), not after a
/// connect timeout (`must_tar` in `back_handle_st_cer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ConnectFailure {
    Refused,
    Timeout,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// What to do after a failed connection attempt.
pub enum RetryDecision {
    /// Connect again to `server` after `after`. The request holds a slot on `server`
    /// (kept from the failed attempt when it is the same server, as HAProxy keeps
    /// `srv_conn` across `SC_ST_TAR`; taken anew after an immediate redispatch).
    Retry {
        /// The server to connect to again.
        server: ServerIdx,
        /// Delay before the attempt (the turn-around timer, or zero).
        after: SimDuration,
    },
    /// Redispatch after the turn-around: HAProxy waits in `SC_ST_TAR` *without* an assigned
    /// server and runs the load-balancing algorithm only when the timer fires. The caller
    /// must call [`Backend::handle_redispatch`] at `now + after`. No slot is held meanwhile.
    Redispatch {
        /// The turn-around delay before load balancing runs again.
        after: SimDuration,
    },
    /// An immediate redispatch found every server full: the request is in a queue and will
    /// come out through `poll_dispatch` / `poll_rejected`.
    Queued,
    /// Give up: the request fails.
    Fail(RejectReason),
}

/// One queued request (HAProxy `struct pendconn`).
#[derive(Clone, Copy, Debug)]
struct Pending {
    req: u64,
    hash_key: u64,
    /// `now_ms` at enqueue: the queue key offset (`MAKE_KEY`), compared between the server
    /// queue and the backend queue in `pendconn_process_next_strm`.
    key_ms: u64,
    deadline: SimTime,
    /// Global enqueue order, to expire simultaneous deadlines deterministically.
    seq: u64,
}

#[derive(Clone, Debug)]
struct Server {
    uweight: u32,
    /// The configured weight (HAProxy `iweight`): the only non-zero weight the runtime API
    /// accepts for a static algorithm.
    iweight: u32,
    maxconn: u32,
    backup: bool,
    up: bool,
    admin: AdminState,
    /// HAProxy `puid`.
    puid: u32,
    /// `slowstart` in whole seconds (0 = off).
    slowstart_s: u64,
    /// `SRV_ST_STARTING`: (the UP instant, the next warm-up step).
    starting: Option<(SimTime, SimTime)>,
    served: u32,
    /// Effective weight of the dynamic algorithms (`uweight * BE_WEIGHT_SCALE`).
    eweight: u32,
    /// Effective weight of the map algorithms (`ceil(uweight / gcd)`).
    map_eweight: u32,
    /// Per-server queue (requests assigned to this full server).
    queue: VecDeque<Pending>,
    // --- emulated eb32 node ---
    linked: bool,
    lb_tree: u8,
    key: u32,
    ins_seq: u64,
    // --- fwrr position state (`struct server` npos, lpos, rweight) ---
    npos: i64,
    lpos: i64,
    rweight: i64,
    // --- map ---
    wscore: i64,
}

#[derive(Clone, Copy, Debug)]
struct FwrrGroup {
    init: u8,
    next: u8,
    curr: u8,
    curr_pos: i64,
    curr_weight: i64,
    next_weight: i64,
}

impl Server {
    /// Its leastconn key (fwlc_queue_srv): 0 when idle, else (in flight + 1) scaled by the
    /// inverse of its weight.
    #[inline(always)]
    fn fwlc_key(&self) -> u32 {
        let inflight = self.served as u64 + self.queue.len() as u64;
        if inflight == 0 {
            0
        } else {
            ((inflight + 1) * SRV_EWGHT_MAX as u64 / self.eweight as u64) as u32
        }
    }

    /// Its place in its eb32 tree: the key, then the insertion (duplicate keys in insertion
    /// order), as one number so that a scan compares once per server.
    #[inline(always)]
    fn eb_order(&self) -> u128 {
        u128::from(self.key) << 64 | u128::from(self.ins_seq)
    }

    /// Its fwrr group: 0 active, 1 backup.
    #[inline(always)]
    fn group(&self) -> usize {
        self.backup as usize
    }

    /// `srv_willbe_usable`: UP, not in maintenance or drain, and a non-zero weight.
    #[inline(always)]
    fn usable(&self) -> bool {
        self.up && self.admin == AdminState::Ready && self.uweight > 0
    }

    /// `!srv->maxconn || (!srv->queue.length && srv->served < srv_dynamic_maxconn(srv))`
    #[inline(always)]
    fn has_free_slot(&self) -> bool {
        self.maxconn == 0 || (self.queue.is_empty() && self.served < self.maxconn)
    }
}

impl FwrrGroup {
    /// `sv`, the first server of the current tree, is due at the group's position (the first
    /// choice of `fwrr_get_server_from_group`).
    #[inline(always)]
    fn due(&self, sv: &Server) -> bool {
        sv.eweight != 0 && sv.npos <= self.curr_pos
    }

    /// fwrr_update_position
    #[inline(always)]
    fn update_position(&self, sv: &mut Server) {
        let e = sv.eweight as i64;
        if e == 0 {
            return;
        }
        if sv.npos == 0 {
            sv.npos = self.curr_pos;
        }
        sv.lpos = sv.npos;
        sv.npos += self.next_weight / e;
        sv.rweight += self.next_weight % e;
        if sv.rweight >= e {
            sv.rweight -= e;
            sv.npos += 1;
        }
    }
}

/// The load balancer of one backend. See the module documentation.
#[derive(Clone, Debug)]
pub struct Backend {
    algorithm: Algorithm,
    servers: Vec<Server>,
    timeout_queue: SimDuration,
    queue_max: usize,
    retries: u32,
    redispatch: Option<i32>,
    allbackup: bool,
    turn_around: SimDuration,

    // recount_servers / update_backend_weight results (src/backend.c)
    srv_act: u32,
    srv_bck: u32,
    fbck: u32,
    tot_weight: u32,
    tot_used: u32,

    // fwrr groups: [active, backup]
    fwrr: [FwrrGroup; 2],
    ins_seq: u64,
    full_scratch: Vec<u32>,
    /// The eb32 trees, indexed by tree id: `(key, ins_seq, server)` in tree order. A server
    /// is in `trees[lb_tree]` exactly when it is `linked` and `lb_tree != NO_TREE`.
    trees: [BTreeSet<(u32, u64, u32)>; NUM_TREES],
    /// Whether `trees` is maintained. Small backends scan their servers instead: cheaper
    /// below `INDEX_MIN_SERVERS`, with the same order (`indexed_and_scanned_picks_agree`).
    indexed: bool,
    /// The fwrr trees of an indexed roundrobin backend, which only asks a tree for its first
    /// server: heaps by `(key, ins_seq)`, cheaper than `trees` (issue 15), same first server.
    heaps: [KeyHeap; NUM_TREES],
    /// Each server's place in `heaps`.
    heap_slots: Slots,
    /// The heaps' insertion sequence: the low 32 bits of their keys.
    heap_seq: u32,
    /// Whether roundrobin takes its fast turn (`fwrr_get_next_server`); tests turn it off to
    /// check it against the loop alone.
    #[cfg(test)]
    fwrr_fast: bool,

    // map (static-rr, source)
    map: Vec<u32>,
    rr_idx: usize,

    // chash ring for random: sorted (key, server) per group [active, backup]
    ring: [Vec<(u32, u32)>; 2],

    // queues
    px_queue: VecDeque<Pending>,
    srv_queued: usize,
    /// (seq, server) of every request put in a server queue, in enqueue order, with entries
    /// already taken out left in place until they reach the front (`trim_srv_order`). The
    /// front is the oldest request still waiting in a server queue, so the one with the
    /// earliest deadline (`timeout queue` is the same for all): the next queue timeout costs
    /// O(1) instead of a look at every server.
    srv_order: VecDeque<(u64, u32)>,
    /// Some server can slow-start (a dynamic algorithm and a `slowstart`): decided once per
    /// configuration, so backends without it never look for warm-up steps per request.
    slowstart_any: bool,
    enq_seq: u64,

    dispatch_out: VecDeque<(u64, ServerIdx)>,
    reject_out: VecDeque<(u64, RejectReason)>,
}

/// Bob Jenkins' full avalanche hash, HAProxy `__full_hash` (include/haproxy/tools.h).
fn full_hash(mut a: u32) -> u32 {
    a = a.wrapping_add(0x7ed55d16).wrapping_add(a << 12);
    a = (a ^ 0xc761c23c) ^ (a >> 19);
    a = a.wrapping_add(0x165667b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2646c) ^ (a << 9);
    a = a.wrapping_add(0xfd7046c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a4f09) ^ (a >> 16);
    a.wrapping_mul(3221225473)
}

/// When the heaps' 32-bit insertion sequence is renumbered ([`KeyHeap::renumber`]); small in
/// unit tests, so that `indexed_and_scanned_picks_agree` goes through renumberings.
const HEAP_SEQ_LIMIT: u32 = if cfg!(test) { 1 << 6 } else { u32::MAX };

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

/// init_server_map (src/lb_map.c): GCD of the non-zero user weights, in server order (1 when
/// every weight is 0).
fn weight_gcd(servers: &[ServerSpec]) -> u32 {
    let mut pgcd = 1;
    if let Some(first) = servers.iter().find(|s| s.weight > 0) {
        pgcd = first.weight;
        for s in servers {
            if pgcd <= 1 {
                break;
            }
            if s.weight > 0 {
                pgcd = gcd(pgcd, s.weight);
            }
        }
    }
    pgcd
}

/// Each server's id (`puid`): its `id`, or automatically the lowest id not taken, in
/// declaration order. Panics on an id of 0 or one used twice.
fn server_ids(servers: &[ServerSpec]) -> Vec<u32> {
    let mut puids: Vec<u32> = Vec::with_capacity(servers.len());
    for s in servers {
        if let Some(id) = s.id {
            assert!(id >= 1, "server ids start at 1");
            assert!(
                servers.iter().filter(|o| o.id == Some(id)).count() == 1,
                "server id {id} used twice"
            );
        }
    }
    for s in servers {
        let id = s.id.unwrap_or_else(|| {
            (1..)
                .find(|c| !puids.contains(c) && !servers.iter().any(|o| o.id == Some(*c)))
                .expect("a free id")
        });
        puids.push(id);
    }
    puids
}

impl Server {
    /// Server `s` as it starts: UP, in maintenance if `disabled`, with id `puid` and map
    /// weight scaled down by the weights' GCD `pgcd`.
    fn new(s: &ServerSpec, puid: u32, pgcd: u32) -> Self {
        assert!(s.weight <= SRV_UWGHT_MAX, "weight must be 0..=256");
        Server {
            uweight: s.weight,
            iweight: s.weight,
            maxconn: s.maxconn,
            backup: s.backup,
            up: true,
            admin: if s.disabled {
                AdminState::Maint
            } else {
                AdminState::Ready
            },
            puid,
            slowstart_s: s.slowstart.as_nanos().div_ceil(1_000_000_000),
            starting: None,
            served: 0,
            eweight: s.weight * BE_WEIGHT_SCALE,
            map_eweight: s.weight.div_ceil(pgcd),
            queue: VecDeque::new(),
            linked: false,
            lb_tree: NO_TREE,
            key: 0,
            ins_seq: 0,
            npos: 0,
            lpos: 0,
            rweight: 0,
            wscore: 0,
        }
    }
}

impl FwrrGroup {
    /// The active and backup groups before `fwrr_init`: each with its three trees (init,
    /// next, curr) and nothing scheduled.
    const PAIR: [FwrrGroup; 2] = [
        FwrrGroup {
            init: 1,
            next: 2,
            curr: 3,
            curr_pos: 0,
            curr_weight: 0,
            next_weight: 0,
        },
        FwrrGroup {
            init: 4,
            next: 5,
            curr: 6,
            curr_pos: 0,
            curr_weight: 0,
            next_weight: 0,
        },
    ];
}

impl Backend {
    /// All servers start UP (the health checker tells otherwise).
    pub fn new(spec: BackendSpec) -> Self {
        assert!(!spec.servers.is_empty(), "a backend needs at least one server");
        assert!(spec.servers.len() <= 4096, "too many servers");
        if let Algorithm::Random { draws } = spec.algorithm {
            assert!(draws >= 1, "random: number of draws must be at least 1");
        }
        let pgcd = weight_gcd(&spec.servers);
        let puids = server_ids(&spec.servers);
        let servers: Vec<Server> = spec
            .servers
            .iter()
            .zip(&puids)
            .map(|(s, &puid)| Server::new(s, puid, pgcd))
            .collect();
        let turn_around = if spec.timeout_connect != SimDuration::ZERO && spec.timeout_connect < TURN_AROUND_MAX {
            spec.timeout_connect
        } else {
            TURN_AROUND_MAX
        };
        let (act_map, bck_map) = servers.iter().fold((0u32, 0u32), |(a, b), s| {
            if s.backup {
                (a, b + s.map_eweight)
            } else {
                (a + s.map_eweight, b)
            }
        });
        let map_size = act_map.max(bck_map).max(1) as usize;
        let n = servers.len();
        let heap_trees = n >= INDEX_MIN_SERVERS && spec.algorithm == Algorithm::RoundRobin;
        let mut be = Backend {
            algorithm: spec.algorithm,
            servers,
            timeout_queue: spec.timeout_queue,
            queue_max: spec.queue_max,
            retries: spec.retries,
            redispatch: spec.redispatch,
            allbackup: spec.allbackup,
            turn_around,
            srv_act: 0,
            srv_bck: 0,
            fbck: NONE_IDX,
            tot_weight: 0,
            tot_used: 0,
            fwrr: FwrrGroup::PAIR,
            ins_seq: 0,
            full_scratch: Vec::with_capacity(n),
            trees: Default::default(),
            indexed: n >= INDEX_MIN_SERVERS,
            heaps: Default::default(),
            heap_slots: Slots::new(if heap_trees { n } else { 0 }),
            heap_seq: 0,
            #[cfg(test)]
            fwrr_fast: true,
            map: Vec::with_capacity(map_size),
            rr_idx: 0,
            ring: [Vec::new(), Vec::new()],
            px_queue: VecDeque::with_capacity(spec.queue_max.min(1 << 16)),
            srv_queued: 0,
            srv_order: VecDeque::new(),
            slowstart_any: false,
            enq_seq: 0,
            dispatch_out: VecDeque::with_capacity(n.max(16)),
            reject_out: VecDeque::with_capacity(16),
        };
        be.slowstart_any = be.algorithm.dynamic() && be.servers.iter().any(|sv| sv.slowstart_s > 0);
        be.recount_servers();
        be.init_lb();
        be
    }

    /// Build the algorithm's structures over the servers as they start: the fwrr trees, the
    /// leastconn/first tree, the map or the random rings.
    fn init_lb(&mut self) {
        match self.algorithm {
            Algorithm::RoundRobin => self.fwrr_init(),
            Algorithm::LeastConn | Algorithm::First => {
                for s in 0..self.servers.len() {
                    if self.usable(s) {
                        self.tree_queue(s);
                    }
                }
            }
            Algorithm::StaticRr | Algorithm::Source | Algorithm::Uri(_) => self.recalc_server_map(),
            Algorithm::Random { .. } => self.rebuild_rings(),
        }
    }

    // ------------------------------------------------------------------------------------
    // Public API
    // ------------------------------------------------------------------------------------

    /// Health-check transitions. DOWN servers are never picked. A server going DOWN has its
    /// own queue redistributed only with `option redispatch` (`pendconn_redistribute`);
    /// a server coming UP grabs requests from the backend queue (`pendconn_grab_from_px`).
    pub fn handle_server_state(&mut self, now: SimTime, server: ServerIdx, up: bool) {
        if self.servers[server].up == up {
            return; // srv_lb_status_changed() == 0
        }
        let was_usable = self.usable(server);
        let was_running = self.running(server);
        self.servers[server].up = up;
        self.start_or_stop_warmup(now, server, was_running);
        let is_usable = self.usable(server);
        if was_usable != is_usable {
            self.lb_status_changed(server, is_usable);
        }
        if up {
            self.pendconn_grab_from_px(server);
        } else {
            self.pendconn_redistribute(now, server);
        }
    }

    /// The operator changed `server`'s administrative state (runtime API `set server <b>/<s>
    /// state ready|drain|maint`, `srv_set_admin_flag` / `srv_clr_admin_flag`). Entering
    /// maintenance redistributes its queue like going DOWN; leaving it grabs requests from the
    /// backend queue like coming UP. Drain only stops new picks.
    pub fn handle_admin_state(&mut self, now: SimTime, server: ServerIdx, state: AdminState) {
        let old = self.servers[server].admin;
        if old == state {
            return;
        }
        let was_usable = self.usable(server);
        let was_running = self.running(server);
        self.servers[server].admin = state;
        // `srv_update_status`: entering maintenance stops the server; leaving it sets its
        // check health to `rise`, so it is UP at once, whatever its health before (live
        // 2.6.12: "UP/READY (leaving forced maintenance)", docs/haproxy-live.md).
        if state == AdminState::Maint {
            self.servers[server].up = false;
        } else if old == AdminState::Maint {
            self.servers[server].up = true;
        }
        // leaving maintenance starts "at least at the minimal step" (server_recalc_eweight)
        self.start_or_stop_warmup(now, server, was_running);
        let is_usable = self.usable(server);
        if was_usable != is_usable {
            self.lb_status_changed(server, is_usable);
        }
        if is_usable {
            self.pendconn_grab_from_px(server);
        } else if state == AdminState::Maint {
            self.pendconn_redistribute(now, server);
        }
    }

    /// The operator set `server`'s weight (runtime API `set server <b>/<s> weight <n>`,
    /// `server_parse_weight_change_request` then `server_recalc_eweight` of HAProxy 2.6):
    /// 0..=256; a static algorithm (`static-rr`, `source`, `uri`) accepts only 0 and the
    /// configured weight. The effective weight follows at once (`weight * 16`, or the current
    /// warm-up step while the server slow-starts); weight 0 takes the server out of load
    /// balancing like `drain` (its own queue is still served) and a non-zero weight brings it
    /// back. The algorithm re-places the server as `lbprm.update_server_eweight` does
    /// (`fwrr_update_server_weight` for roundrobin). No queue moves (not checked against the
    /// running program: `live_set_server_weight` sends one request at a time).
    pub fn handle_weight(&mut self, now: SimTime, server: ServerIdx, weight: u32) -> Result<(), WeightError> {
        if weight > SRV_UWGHT_MAX {
            return Err(WeightError::OutOfRange(weight));
        }
        if weight != 0 && weight != self.servers[server].iweight && !self.algorithm.dynamic() {
            return Err(WeightError::StaticAlgorithm(weight));
        }
        let was_usable = self.usable(server);
        let sv = &mut self.servers[server];
        sv.uweight = weight;
        // server_recalc_eweight: w = the warm-up step while SRV_ST_STARTING, else BE_WEIGHT_SCALE
        let new = match sv.starting {
            Some((since, _)) if self.algorithm.dynamic() => {
                let ss = sv.slowstart_s;
                let elapsed = now.since(since).as_nanos() / 1_000_000_000;
                if elapsed >= ss {
                    sv.starting = None;
                    weight * BE_WEIGHT_SCALE
                } else {
                    weight * ((u64::from(BE_WEIGHT_SCALE) * elapsed + ss) / ss) as u32
                }
            }
            _ => weight * BE_WEIGHT_SCALE,
        };
        let is_usable = self.usable(server);
        match (was_usable, is_usable) {
            (true, true) if self.algorithm.dynamic() => self.update_eweight(server, new),
            // a static algorithm's map weight never changes (only 0 and the configured weight)
            (true, true) => {}
            (false, false) => self.servers[server].eweight = new,
            (false, true) => {
                self.servers[server].eweight = new;
                self.lb_status_changed(server, true);
            }
            (true, false) => {
                // set_server_status_down takes the old weight out of its group
                self.lb_status_changed(server, false);
                self.servers[server].eweight = new;
            }
        }
        Ok(())
    }

    /// The administrative state of `server`.
    pub(crate) fn admin_state(&self, server: ServerIdx) -> AdminState {
        self.servers[server].admin
    }

    /// A new request (id chosen by the caller) with a hash key (client id for
    /// `balance source`: its low 32 bits are the IPv4 source address, higher bits are
    /// XOR-folded like the 32-bit words of an IPv6 address in `get_server_sh`).
    #[inline(always)]
    pub fn handle_request<R: rand::Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u64,
        hash_key: u64,
        rng: &mut R,
    ) -> Decision {
        self.assign_server_and_queue(now, req, hash_key, None, rng)
    }

    /// A connection to `server` ended (response done, failed, timed out): frees its slot and
    /// dequeues pending requests into the dispatch outbox (`process_srv_queue`).
    #[inline(always)]
    pub fn handle_done(&mut self, _now: SimTime, server: ServerIdx) {
        self.release_slot(server);
    }

    /// The connection attempt `attempt` (1-based) of `req` to `server` failed with a
    /// refusal/asynchronous error (turn-around timer applies). See
    /// [`Backend::handle_connect_failure_with`].
    pub fn handle_connect_failure<R: rand::Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u64,
        server: ServerIdx,
        attempt: u32,
        hash_key: u64,
        rng: &mut R,
    ) -> RetryDecision {
        self.handle_connect_failure_with(now, req, server, attempt, hash_key, ConnectFailure::Refused, rng)
    }

    /// The connection attempt `attempt` (1-based) of `req` to `server` failed. Models
    /// `back_handle_st_cer` + `stream_choose_redispatch` (HAProxy 2.6):
    /// * attempt > retries -> slot freed, `Fail(RetriesExhausted)`;
    /// * redispatch when `option redispatch` is on and (the server is DOWN, or this retry
    ///   number matches the interval, or [live 2.6.12, not in the manual] the algorithm is not
    ///   a hash (every one but `source`) and more than one active server remains: then
    ///   *every* retry redispatches);
    /// * turn-around min(timeout connect, 1s) only after `Refused`, and only when retrying
    ///   the same server or when at most one active server remains [live 2.6.12: a
    ///   redispatch with `source` at the last retry does not wait]. See docs/haproxy-live.md.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn handle_connect_failure_with<R: rand::Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u64,
        server: ServerIdx,
        attempt: u32,
        hash_key: u64,
        cause: ConnectFailure,
        rng: &mut R,
    ) -> RetryDecision {
        assert!(attempt >= 1, "attempts are 1-based");
        if attempt > self.retries {
            self.release_slot(server);
            return RetryDecision::Fail(RejectReason::RetriesExhausted);
        }
        // `conn_retries` after the increment = number of this retry (1-based).
        let k = attempt as i64;
        let interval_match = match self.redispatch {
            Some(p) if p > 0 => k % p as i64 == 0,
            Some(n) if n < 0 => {
                let div = self.retries as i64 + 1 + n as i64;
                div > 0 && k % div == 0
            }
            _ => false,
        };
        let redispatch_on = matches!(self.redispatch, Some(p) if p != 0);
        let redisp = redispatch_on
            && (!self.servers[server].up || interval_match || (self.srv_act > 1 && !self.algorithm.kind_hash()));
        let must_tar = cause == ConnectFailure::Refused;
        if !redisp {
            // SC_ST_ASS: same server, the slot is kept.
            let after = if must_tar { self.turn_around } else { SimDuration::ZERO };
            return RetryDecision::Retry { server, after };
        }
        // sess_change_server(s, NULL) + process_srv_queue(old server)
        self.release_slot(server);
        if must_tar && self.srv_act <= 1 {
            return RetryDecision::Redispatch {
                after: self.turn_around,
            };
        }
        match self.assign_server_and_queue(now, req, hash_key, Some(server), rng) {
            Decision::Dispatch(s) => RetryDecision::Retry {
                server: s,
                after: SimDuration::ZERO,
            },
            Decision::Queued => RetryDecision::Queued,
            Decision::Rejected(r) => RetryDecision::Fail(r),
        }
    }

    /// Runs the load-balancing algorithm for a request whose redispatch turn-around expired
    /// (`RetryDecision::Redispatch`), avoiding `avoid` (the server that failed) when possible.
    pub fn handle_redispatch<R: rand::Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u64,
        avoid: ServerIdx,
        hash_key: u64,
        rng: &mut R,
    ) -> Decision {
        self.assign_server_and_queue(now, req, hash_key, Some(avoid), rng)
    }

    /// Queued requests that got a server (their slot is already counted in `served`).
    pub fn poll_dispatch(&mut self) -> Option<(u64, ServerIdx)> {
        self.dispatch_out.pop_front()
    }

    /// Queued requests that were rejected (queue timeout, or no server on redistribution).
    pub(crate) fn poll_rejected(&mut self) -> Option<(u64, RejectReason)> {
        self.reject_out.pop_front()
    }

    /// Earliest queue deadline or slow-start step.
    pub fn poll_timeout(&self) -> Option<SimTime> {
        let mut best = self.px_queue.front().map(|p| p.deadline);
        if self.slowstart_any {
            for sv in &self.servers {
                if let Some((_, step)) = sv.starting {
                    best = Some(best.map_or(step, |b| b.min(step)));
                }
            }
        }
        if let Some((_, p)) = self.oldest_in_server_queue() {
            best = Some(best.map_or(p.deadline, |b| b.min(p.deadline)));
        }
        best.filter(|&d| d != SimTime::MAX)
    }

    /// Steps slow-starting servers whose warm-up is due (`server_warmup`), then expires queued
    /// requests whose deadline <= now (503, `STRM_ET_QUEUE_TO`), in deadline order, then
    /// enqueue order.
    pub fn handle_timeout(&mut self, now: SimTime) {
        let warming = if self.slowstart_any { self.servers.len() } else { 0 };
        for s in 0..warming {
            if let Some((since, step)) = self.servers[s].starting
                && step <= now
            {
                self.warmup_step(now, s, since);
            }
        }
        loop {
            // (deadline, seq, queue): queue == NONE_IDX for the backend queue
            let mut best: Option<(SimTime, u64, u32)> = self.px_queue.front().map(|p| (p.deadline, p.seq, NONE_IDX));
            if let Some((s, p)) = self.oldest_in_server_queue() {
                let c = (p.deadline, p.seq, s);
                if best.is_none_or(|b| (c.0, c.1) < (b.0, b.1)) {
                    best = Some(c);
                }
            }
            match best {
                Some((d, _, q)) if d <= now => {
                    let p = if q == NONE_IDX {
                        self.px_queue.pop_front()
                    } else {
                        self.srv_queued -= 1;
                        let p = self.servers[q as usize].queue.pop_front();
                        self.trim_srv_order();
                        p
                    };
                    let p = p.expect("queue front vanished");
                    self.reject_out.push_back((p.req, RejectReason::QueueTimeout));
                }
                _ => break,
            }
        }
    }

    /// Connections lb1 counts on `server` (HAProxy's `scur`, what `show servers conn`
    /// shows): a draining server is idle at 0.
    pub(crate) fn served(&self, server: ServerIdx) -> u32 {
        self.servers[server].served
    }

    /// Requests waiting in the backend queue and in all server queues.
    pub(crate) fn queued(&self) -> usize {
        self.px_queue.len() + self.srv_queued
    }

    /// Requests waiting in `server`'s own queue.
    pub(crate) fn server_queued(&self, server: ServerIdx) -> usize {
        self.servers[server].queue.len()
    }

    /// Whether server `s` is UP as far as the balancer knows (health and admin state).
    pub fn is_up(&self, s: ServerIdx) -> bool {
        self.servers[s].up
    }

    #[cfg(test)]
    pub(crate) fn num_servers(&self) -> usize {
        self.servers.len()
    }

    // ------------------------------------------------------------------------------------
    // Server state bookkeeping (src/backend.c recount_servers / update_backend_weight)
    // ------------------------------------------------------------------------------------

    /// `srv_willbe_usable` of server `s` (`Server::usable`).
    fn usable(&self, s: ServerIdx) -> bool {
        self.servers[s].usable()
    }

    fn lb_weight(&self, s: ServerIdx) -> u32 {
        match self.algorithm {
            Algorithm::StaticRr | Algorithm::Source | Algorithm::Uri(_) => self.servers[s].map_eweight,
            _ => self.servers[s].eweight,
        }
    }

    fn recount_servers(&mut self) {
        self.srv_act = 0;
        self.srv_bck = 0;
        self.fbck = NONE_IDX;
        let mut tot_wact = 0;
        let mut tot_wbck = 0;
        for s in 0..self.servers.len() {
            if !self.usable(s) {
                continue;
            }
            let w = self.lb_weight(s);
            if self.servers[s].backup {
                if self.srv_bck == 0 && !self.allbackup {
                    self.fbck = s as u32;
                }
                self.srv_bck += 1;
                tot_wbck += w;
            } else {
                self.srv_act += 1;
                tot_wact += w;
            }
        }
        // update_backend_weight
        if self.srv_act > 0 {
            self.tot_weight = tot_wact;
            self.tot_used = self.srv_act;
        } else if self.fbck != NONE_IDX {
            self.tot_weight = self.lb_weight(self.fbck as usize);
            self.tot_used = 1;
        } else {
            self.tot_weight = tot_wbck;
            self.tot_used = self.srv_bck;
        }
    }

    fn lb_status_changed(&mut self, s: ServerIdx, now_usable: bool) {
        match self.algorithm {
            Algorithm::RoundRobin => {
                if now_usable {
                    self.fwrr_set_server_status_up(s);
                } else {
                    self.fwrr_set_server_status_down(s);
                }
                self.recount_servers();
            }
            Algorithm::LeastConn | Algorithm::First => {
                if now_usable {
                    self.tree_queue(s);
                } else {
                    self.eb_delete(s);
                    self.servers[s].lb_tree = NO_TREE;
                }
                self.recount_servers();
            }
            Algorithm::StaticRr | Algorithm::Source | Algorithm::Uri(_) => {
                self.recount_servers();
                self.recalc_server_map();
            }
            Algorithm::Random { .. } => {
                self.recount_servers();
                self.rebuild_rings();
            }
        }
    }

    // ------------------------------------------------------------------------------------
    // slowstart: server_recalc_eweight (src/server.c), server_warmup (src/check.c)
    // ------------------------------------------------------------------------------------

    /// UP and not in maintenance (drain still runs: it only has no weight).
    fn running(&self, s: ServerIdx) -> bool {
        self.servers[s].up && self.servers[s].admin != AdminState::Maint
    }

    /// Full effective weight (`uweight * BE_WEIGHT_SCALE`).
    fn full_eweight(&self, s: ServerIdx) -> u32 {
        self.servers[s].uweight * BE_WEIGHT_SCALE
    }

    /// After a health or admin change of `s`: a server that just became able to take traffic
    /// again (UP and out of maintenance) with `slowstart` enters `SRV_ST_STARTING` at the
    /// minimal step `uweight * 1` (1/16 of its weight); one that stopped leaves it. Called
    /// before the load-balancing trees are updated, which then see the new weight.
    fn start_or_stop_warmup(&mut self, now: SimTime, s: ServerIdx, was_running: bool) {
        let sv = &self.servers[s];
        if !self.running(s) {
            // The warm-up task stops; the weight is reset when the server starts again (the
            // trees still count the current one until they are told it is gone).
            self.servers[s].starting = None;
            return;
        }
        if sv.slowstart_s == 0 || !self.algorithm.dynamic() || was_running {
            return;
        }
        let sv = &mut self.servers[s];
        sv.starting = Some((now, now + WARMUP_PERIOD));
        // w = (wdiv * 0 + slowstart) / slowstart = 1
        sv.eweight = sv.uweight;
    }

    /// One run of the warm-up task: `w = (16 * elapsed_s + slowstart) / slowstart`, full
    /// weight once `elapsed_s >= slowstart`.
    fn warmup_step(&mut self, now: SimTime, s: ServerIdx, since: SimTime) {
        let ss = self.servers[s].slowstart_s;
        let elapsed = now.since(since).as_nanos() / 1_000_000_000;
        let new = if elapsed >= ss {
            self.servers[s].starting = None;
            self.full_eweight(s)
        } else {
            self.servers[s].starting = Some((since, now + WARMUP_PERIOD));
            let w = (u64::from(BE_WEIGHT_SCALE) * elapsed + ss) / ss;
            self.servers[s].uweight * w as u32
        };
        self.update_eweight(s, new);
        self.pendconn_grab_from_px(s);
    }

    /// `lbprm.update_server_eweight` of each algorithm for a server that stays usable.
    fn update_eweight(&mut self, s: ServerIdx, new: u32) {
        let old = self.servers[s].eweight;
        if old == new {
            return;
        }
        if !self.usable(s) {
            self.servers[s].eweight = new;
            return;
        }
        match self.algorithm {
            Algorithm::RoundRobin => self.fwrr_update_server_weight(s, new),
            Algorithm::LeastConn | Algorithm::First => {
                // fwlc/fas_update_server_weight: dequeue, then queue with the new weight
                self.servers[s].eweight = new;
                self.tree_queue(s);
            }
            Algorithm::Random { .. } => {
                self.servers[s].eweight = new;
                self.rebuild_rings();
            }
            Algorithm::StaticRr | Algorithm::Source | Algorithm::Uri(_) => {
                unreachable!("static algorithms have no slowstart")
            }
        }
        self.recount_servers();
    }

    /// fwrr_update_server_weight (src/lb_fwrr.c) for a server usable before and after.
    fn fwrr_update_server_weight(&mut self, s: ServerIdx, new: u32) {
        let g = self.grp_of(s);
        let old = self.servers[s].eweight as i64;
        self.fwrr[g].next_weight = self.fwrr[g].next_weight - old + new as i64;
        self.servers[s].eweight = new;
        let grp = self.fwrr[g];
        let tree = self.servers[s].lb_tree;
        if tree == grp.init {
            self.fwrr_queue_by_weight(grp.init, s);
        } else if tree == NO_TREE {
            self.fwrr_get_srv(s);
            let grp = self.fwrr[g];
            self.servers[s].npos = grp.curr_pos + (grp.next_weight + grp.curr_weight - grp.curr_pos) / new as i64;
            self.fwrr_queue_srv(s);
        } else {
            self.fwrr_get_srv(s);
            let grp = self.fwrr[g];
            let sv = &mut self.servers[s];
            if new > 0 {
                let prev_next = sv.npos;
                let step = grp.next_weight / new as i64;
                sv.npos = sv.lpos + step;
                sv.rweight = 0;
                if sv.npos > prev_next {
                    sv.npos = prev_next;
                }
                if sv.npos < grp.curr_pos + 2 {
                    sv.npos = grp.curr_pos + step;
                }
            } else {
                sv.npos = grp.curr_pos + grp.curr_weight;
            }
            self.fwrr_queue_srv(s);
        }
    }

    // ------------------------------------------------------------------------------------
    // Emulated eb32 trees: a node is (linked, lb_tree, key, ins_seq) mirrored in the ordered
    // set `trees[lb_tree]`; duplicate keys are ordered by insertion. O(log n) per operation.
    // ------------------------------------------------------------------------------------

    /// (Re)inserts `s` into `tree` with `key`, after any previous position (eb32_insert after
    /// eb32_delete: a re-inserted duplicate goes last among equal keys).
    #[inline(always)]
    fn eb_insert(&mut self, s: ServerIdx, tree: u8, key: u32) {
        let seq = self.ins_seq;
        self.ins_seq += 1;
        // A small backend's node is its fields alone; a large one's is also in an index.
        if self.indexed {
            let sv = &self.servers[s];
            let rr = matches!(self.algorithm, Algorithm::RoundRobin);
            if rr && sv.linked && sv.lb_tree == tree && tree != NO_TREE {
                // back into the heap it is in: one re-keying instead of a removal and an insertion
                let hk = self.next_heap_key(key);
                self.heaps[tree as usize].rekey(&mut self.heap_slots, s as u32, hk);
            } else {
                self.eb_delete(s);
                if tree != NO_TREE && rr {
                    let hk = self.next_heap_key(key);
                    self.heaps[tree as usize].insert(&mut self.heap_slots, s as u32, hk);
                } else if tree != NO_TREE {
                    self.trees[tree as usize].insert((key, seq, s as u32));
                }
            }
        }
        let sv = &mut self.servers[s];
        sv.linked = true;
        sv.lb_tree = tree;
        sv.key = key;
        sv.ins_seq = seq;
    }

    /// The heap order of an eb32 node inserted now: its key, then its insertion (unique in
    /// its heap), renumbering the heaps when the 32-bit sequence runs out.
    fn next_heap_key(&mut self, key: u32) -> u64 {
        if self.heap_seq == HEAP_SEQ_LIMIT {
            for h in &mut self.heaps {
                h.forget_stale(&self.heap_slots);
            }
            let slots = &mut self.heap_slots;
            self.heap_seq = self.heaps.iter_mut().map(|h| h.renumber(slots)).max().unwrap_or(0);
        }
        let k = u64::from(key) << 32 | u64::from(self.heap_seq);
        self.heap_seq += 1;
        k
    }

    /// eb32_delete: unlinks `s` from its tree (its `lb_tree` is kept, as in HAProxy).
    #[inline]
    fn eb_delete(&mut self, s: ServerIdx) {
        let sv = &mut self.servers[s];
        if self.indexed && sv.linked && sv.lb_tree != NO_TREE {
            if matches!(self.algorithm, Algorithm::RoundRobin) {
                self.heaps[sv.lb_tree as usize].remove(&mut self.heap_slots, s as u32);
            } else {
                let removed = self.trees[sv.lb_tree as usize].remove(&(sv.key, sv.ins_seq, s as u32));
                debug_assert!(removed, "server {s} missing from its tree");
            }
        }
        sv.linked = false;
    }

    #[inline(always)]
    fn eb_first(&self, tree: u8) -> Option<ServerIdx> {
        if self.indexed {
            if matches!(self.algorithm, Algorithm::RoundRobin) {
                return self.heaps[tree as usize].first().map(|s| s as usize);
            }
            return self.trees[tree as usize].first().map(|&(_, _, s)| s as usize);
        }
        let mut best = (u128::MAX, usize::MAX);
        for (i, sv) in self.servers.iter().enumerate() {
            let order = sv.eb_order();
            if sv.linked && sv.lb_tree == tree && order < best.0 {
                best = (order, i);
            }
        }
        (best.1 != usize::MAX).then_some(best.1)
    }

    // ------------------------------------------------------------------------------------
    // roundrobin: src/lb_fwrr.c
    // ------------------------------------------------------------------------------------

    fn grp_of(&self, s: ServerIdx) -> usize {
        self.servers[s].group()
    }

    fn fwrr_init(&mut self) {
        // fwrr_init_server_groups
        let mut tot = [0i64; 2];
        for s in 0..self.servers.len() {
            if self.usable(s) {
                tot[self.grp_of(s)] += self.servers[s].eweight as i64;
            }
        }
        for (g, &t) in tot.iter().enumerate() {
            let grp = &mut self.fwrr[g];
            grp.curr_pos = t;
            grp.curr_weight = t;
            grp.next_weight = t;
        }
        for s in 0..self.servers.len() {
            if self.usable(s) {
                let init = self.fwrr[self.grp_of(s)].init;
                self.fwrr_queue_by_weight(init, s);
            }
        }
    }

    /// fwrr_queue_by_weight: heavier servers first.
    fn fwrr_queue_by_weight(&mut self, tree: u8, s: ServerIdx) {
        let key = SRV_EWGHT_MAX - self.servers[s].eweight;
        self.eb_insert(s, tree, key);
    }

    /// fwrr_queue_srv
    #[inline]
    fn fwrr_queue_srv(&mut self, s: ServerIdx) {
        let sv = &mut self.servers[s];
        let grp = self.fwrr[sv.group()];
        if !sv.usable() {
            self.eb_delete(s);
            self.servers[s].lb_tree = NO_TREE;
            return;
        }
        let e = sv.eweight as i64;
        if e <= 0 || sv.npos >= 2 * grp.curr_weight || sv.npos >= grp.curr_weight + grp.next_weight {
            sv.npos -= grp.curr_weight;
            self.fwrr_queue_by_weight(grp.next, s);
        } else {
            let key = SRV_UWGHT_RANGE
                .wrapping_mul(sv.npos as u32)
                .wrapping_add(((SRV_EWGHT_MAX as i64 + sv.rweight - e) as u32) / BE_WEIGHT_SCALE);
            self.eb_insert(s, grp.curr, key);
        }
    }

    /// fwrr_get_srv: prepares a server when extracting it from its tree.
    fn fwrr_get_srv(&mut self, s: ServerIdx) {
        let grp = self.fwrr[self.grp_of(s)];
        let sv = &mut self.servers[s];
        if sv.lb_tree == grp.init {
            sv.npos = 0;
            sv.rweight = 0;
        } else if sv.lb_tree == grp.next {
            sv.npos += grp.curr_weight;
        } else if sv.lb_tree == NO_TREE {
            sv.npos = grp.curr_pos;
        }
    }

    fn fwrr_set_server_status_down(&mut self, s: ServerIdx) {
        let g = self.grp_of(s);
        self.fwrr[g].next_weight -= self.servers[s].eweight as i64;
        // fwrr_dequeue_srv + fwrr_remove_from_tree
        self.eb_delete(s);
        self.servers[s].lb_tree = NO_TREE;
    }

    fn fwrr_set_server_status_up(&mut self, s: ServerIdx) {
        let g = self.grp_of(s);
        let e = self.servers[s].eweight as i64;
        self.fwrr[g].next_weight += e;
        self.fwrr_get_srv(s);
        let grp = self.fwrr[g];
        self.servers[s].npos = grp.curr_pos + (grp.next_weight + grp.curr_weight - grp.curr_pos) / e;
        self.fwrr_queue_srv(s);
    }

    fn fwrr_switch_trees(&mut self, g: usize) {
        let grp = &mut self.fwrr[g];
        std::mem::swap(&mut grp.init, &mut grp.next);
        grp.curr_weight = grp.next_weight;
        grp.curr_pos = grp.curr_weight;
    }

    /// fwrr_get_server_from_group
    #[inline]
    fn fwrr_get_server_from_group(&mut self, g: usize) -> Option<ServerIdx> {
        let grp = self.fwrr[g];
        let s1 = self.eb_first(grp.curr);
        if let Some(s1) = s1
            && grp.due(&self.servers[s1])
        {
            return Some(s1);
        }
        if let Some(s2) = self.eb_first(grp.init)
            && self.servers[s2].eweight != 0
        {
            self.servers[s2].npos = 0;
            self.servers[s2].rweight = 0;
            return Some(s2);
        }
        s1
    }

    /// fwrr_get_next_server (inlined into `assign_server`, its one caller).
    #[inline(always)]
    fn fwrr_get_next_server(&mut self, avoid: Option<ServerIdx>) -> Option<ServerIdx> {
        let g = if self.srv_act > 0 {
            0
        } else if self.fbck != NONE_IDX {
            return Some(self.fbck as usize);
        } else if self.srv_bck > 0 {
            1
        } else {
            return None;
        };
        // The first turn of the loop below when it takes the current tree's first server,
        // as most picks do, without the loop's bookkeeping.
        #[cfg(test)]
        let fast = self.fwrr_fast;
        #[cfg(not(test))]
        let fast = true;
        if fast
            && self.fwrr[g].curr_weight != 0
            && let Some(s) = self.eb_first(self.fwrr[g].curr)
        {
            // The group and the server indexed once each.
            let (grp, sv) = (&mut self.fwrr[g], &mut self.servers[s]);
            if grp.due(sv) && sv.has_free_slot() && Some(s) != avoid {
                grp.update_position(sv);
                grp.curr_pos += 1;
                self.fwrr_queue_srv(s);
                return Some(s);
            }
        }
        self.fwrr_next_server_slow(g, avoid)
    }

    /// fwrr_get_next_server from the group `g` on, when the fast turn does not apply.
    #[inline(never)]
    fn fwrr_next_server_slow(&mut self, g: usize, avoid: Option<ServerIdx>) -> Option<ServerIdx> {
        let mut switched = false;
        let mut avoided: Option<ServerIdx> = None;
        // The full servers skipped, taken from `full_scratch` at the first one (most picks
        // skip none).
        let mut full: Option<Vec<u32>> = None;
        let mut chosen: Option<ServerIdx> = None;
        let mut take = false;
        'outer: loop {
            if self.fwrr[g].curr_weight == 0 {
                let nw = self.fwrr[g].next_weight;
                self.fwrr[g].curr_pos = nw;
                self.fwrr[g].curr_weight = nw;
            }
            let srv = loop {
                if let Some(s) = self.fwrr_get_server_from_group(g) {
                    break s;
                }
                if switched {
                    if let Some(a) = avoided {
                        chosen = Some(a);
                        take = true;
                    }
                    break 'outer;
                }
                switched = true;
                self.fwrr_switch_trees(g);
            };
            let (grp, sv) = (&mut self.fwrr[g], &mut self.servers[srv]);
            grp.update_position(sv);
            grp.curr_pos += 1;
            let free = sv.has_free_slot();
            if free && (Some(srv) != avoid || avoided.is_some()) {
                // fwrr_dequeue_srv then fwrr_queue_srv below: nothing reads the trees in
                // between, so the server stays linked and is re-keyed in one step.
                chosen = Some(srv);
                take = true;
                break;
            }
            self.eb_delete(srv); // fwrr_dequeue_srv
            if free {
                avoided = Some(srv);
            }
            full.get_or_insert_with(|| {
                let mut v = std::mem::take(&mut self.full_scratch);
                v.clear();
                v
            })
            .push(srv as u32);
        }
        if take {
            self.fwrr_queue_srv(chosen.expect("take implies a server"));
        }
        let Some(full) = full else {
            return chosen;
        };
        // requeue_servers: the C chain is LIFO.
        for &f in full.iter().rev() {
            let f = f as usize;
            if Some(f) != chosen {
                if switched {
                    let init = self.fwrr[g].init;
                    self.fwrr_queue_by_weight(init, f);
                } else {
                    self.fwrr_queue_srv(f);
                }
            }
        }
        self.full_scratch = full;
        chosen
    }

    // ------------------------------------------------------------------------------------
    // leastconn (src/lb_fwlc.c) and first (src/lb_fas.c): one tree per group.
    // ------------------------------------------------------------------------------------

    fn lc_key(&self, s: ServerIdx) -> u32 {
        let sv = &self.servers[s];
        match self.algorithm {
            Algorithm::LeastConn => sv.fwlc_key(),
            // fas_queue_srv: key = puid
            _ => sv.puid,
        }
    }

    fn tree_queue(&mut self, s: ServerIdx) {
        let tree = 1 + self.servers[s].backup as u8;
        let key = self.lc_key(s);
        self.eb_insert(s, tree, key);
    }

    /// fwlc_srv_reposition (server_take_conn / server_drop_conn). The 2.6 version skips
    /// the reinsertion when the key did not change.
    #[inline(always)]
    fn lb_reposition(&mut self, s: ServerIdx) {
        if !matches!(self.algorithm, Algorithm::LeastConn) {
            return;
        }
        let sv = &self.servers[s];
        if sv.lb_tree == NO_TREE {
            return;
        }
        let key = sv.fwlc_key();
        if sv.linked && sv.key == key {
            return;
        }
        let tree = sv.lb_tree;
        self.eb_insert(s, tree, key);
    }

    /// fwlc_get_next_server / fas_get_next_server: first eligible in tree order.
    fn tree_get_next_server(&mut self, avoid: Option<ServerIdx>) -> Option<ServerIdx> {
        let tree = if self.srv_act > 0 {
            1
        } else if self.fbck != NONE_IDX {
            return Some(self.fbck as usize);
        } else if self.srv_bck > 0 {
            2
        } else {
            return None;
        };
        let lc = matches!(self.algorithm, Algorithm::LeastConn);
        let eligible = |sv: &Server| {
            if lc {
                // fwlc: served + queue < maxconn (+ maxqueue, 0 here)
                sv.maxconn == 0 || sv.served + (sv.queue.len() as u32) < sv.maxconn
            } else {
                sv.has_free_slot()
            }
        };
        let mut avoided: Option<ServerIdx> = None;
        if self.indexed {
            // In tree order: the first eligible server wins; only full servers are skipped.
            for &(_, _, i) in &self.trees[tree as usize] {
                let i = i as usize;
                if !eligible(&self.servers[i]) {
                    continue;
                }
                if Some(i) == avoid {
                    avoided = Some(i);
                    continue;
                }
                return Some(i);
            }
            return avoided;
        }
        let mut best = (u128::MAX, usize::MAX);
        for (i, sv) in self.servers.iter().enumerate() {
            if !sv.linked || sv.lb_tree != tree || !eligible(sv) {
                continue;
            }
            if Some(i) == avoid {
                avoided = Some(i);
                continue;
            }
            let order = sv.eb_order();
            if order < best.0 {
                best = (order, i);
            }
        }
        (best.1 != usize::MAX).then_some(best.1).or(avoided)
    }

    // ------------------------------------------------------------------------------------
    // static-rr and source: src/lb_map.c
    // ------------------------------------------------------------------------------------

    fn recalc_server_map(&mut self) {
        self.map.clear();
        if self.tot_used == 0 {
            return;
        }
        let tot = self.tot_weight as i64;
        let want_backup = self.srv_act == 0;
        for sv in self.servers.iter_mut() {
            sv.wscore = 0;
        }
        for _ in 0..tot {
            let mut max = 0i64;
            let mut best: Option<usize> = None;
            for i in 0..self.servers.len() {
                if self.servers[i].backup != want_backup || !self.usable(i) {
                    continue;
                }
                if tot == 1 {
                    best = Some(i);
                    break;
                }
                let sv = &mut self.servers[i];
                sv.wscore += sv.map_eweight as i64;
                let v = (sv.wscore + tot) / tot; // C division truncates toward zero
                if best.is_none() || v > max {
                    max = v;
                    best = Some(i);
                }
            }
            let b = best.expect("tot_used > 0 implies a usable server");
            self.map.push(b as u32);
            self.servers[b].wscore -= tot;
        }
    }

    /// map_get_server_rr
    fn map_get_server_rr(&mut self, avoid: Option<ServerIdx>) -> Option<ServerIdx> {
        let tot = self.tot_weight as usize;
        if tot == 0 {
            return None;
        }
        if self.rr_idx >= tot {
            self.rr_idx = 0;
        }
        let mut newidx = self.rr_idx;
        let mut avoided: Option<(ServerIdx, usize)> = None;
        loop {
            let srv = self.map[newidx] as usize;
            newidx += 1;
            if self.servers[srv].has_free_slot() {
                avoided = Some((srv, newidx));
                if Some(srv) != avoid {
                    self.rr_idx = newidx;
                    return Some(srv);
                }
            }
            if newidx == tot {
                newidx = 0;
            }
            if newidx == self.rr_idx {
                break;
            }
        }
        if let Some((_, idx)) = avoided {
            self.rr_idx = idx;
        }
        avoided.map(|a| a.0)
    }

    /// get_server_sh with an IPv4-like key, then map_get_server_hash.
    fn map_get_server_hash(&self, hash_key: u64) -> Option<ServerIdx> {
        self.map_get_server_by_hash((hash_key as u32) ^ ((hash_key >> 32) as u32))
    }

    /// `map_get_server_hash`: `map[hash % tot_weight]`; with one server left the hash is 0
    /// ("we won't hash if there's only one server left", `get_server_sh`/`get_server_uri`).
    fn map_get_server_by_hash(&self, hash: u32) -> Option<ServerIdx> {
        if self.tot_weight == 0 {
            return None;
        }
        let h = if self.tot_used == 1 { 0 } else { hash };
        Some(self.map[(h % self.tot_weight) as usize] as usize)
    }

    // ------------------------------------------------------------------------------------
    // random: src/lb_chash.c ring + get_server_rnd (src/backend.c)
    // ------------------------------------------------------------------------------------

    fn rebuild_rings(&mut self) {
        for g in 0..2 {
            let mut ring = std::mem::take(&mut self.ring[g]);
            ring.clear();
            for s in 0..self.servers.len() {
                if self.grp_of(s) != g || !self.usable(s) {
                    continue;
                }
                let puid = self.servers[s].puid;
                for node in 0..self.servers[s].eweight {
                    ring.push((
                        full_hash(puid.wrapping_mul(SRV_EWGHT_RANGE).wrapping_add(node)),
                        s as u32,
                    ));
                }
            }
            ring.sort_unstable();
            self.ring[g] = ring;
        }
    }

    /// chash_get_server_hash
    fn chash_get_server_hash(&self, hash: u32, avoid: Option<ServerIdx>) -> Option<ServerIdx> {
        let g = if self.srv_act > 0 {
            0
        } else if self.fbck != NONE_IDX {
            return Some(self.fbck as usize);
        } else if self.srv_bck > 0 {
            1
        } else {
            return None;
        };
        let ring = &self.ring[g];
        if ring.is_empty() {
            return None;
        }
        let n = ring.len();
        // eb32_lookup_ge, wrapping to the first node
        let mut next = ring.partition_point(|&(k, _)| k < hash);
        if next == n {
            next = 0;
        }
        let prev = if next == 0 { n - 1 } else { next - 1 };
        let dp = hash.wrapping_sub(ring[prev].0);
        let dn = ring[next].0.wrapping_sub(hash);
        if dp <= dn {
            next = prev;
        }
        let mut nsrv = ring[next].1 as usize;
        let mut loops = 0;
        while Some(nsrv) == avoid {
            next += 1;
            if next == n {
                next = 0;
                loops += 1;
                if loops > 1 {
                    break;
                }
            }
            nsrv = ring[next].1 as usize;
        }
        Some(nsrv)
    }

    /// get_server_rnd
    fn get_server_rnd<R: rand::Rng + ?Sized>(
        &self,
        draws: u32,
        avoid: Option<ServerIdx>,
        rng: &mut R,
    ) -> Option<ServerIdx> {
        if self.tot_weight == 0 {
            return None;
        }
        let mut curr: Option<ServerIdx> = None;
        let mut left = draws;
        loop {
            let prev = curr;
            let hash = rng.next_u32();
            curr = self.chash_get_server_hash(hash, avoid);
            let Some(c) = curr else { break };
            if let Some(p) = prev {
                let (cs, ps) = (&self.servers[c], &self.servers[p]);
                if p != c && cs.served as u64 * ps.eweight as u64 > ps.served as u64 * cs.eweight as u64 {
                    curr = Some(p);
                }
            }
            left -= 1;
            if left == 0 {
                break;
            }
        }
        // "if the selected server is full, pretend we have none so that we reach the
        // backend's queue instead."
        if let Some(c) = curr {
            let sv = &self.servers[c];
            if !sv.queue.is_empty() || (sv.maxconn > 0 && sv.served >= sv.maxconn) {
                return None;
            }
        }
        curr
    }

    // ------------------------------------------------------------------------------------
    // assign_server / assign_server_and_queue (src/backend.c), queues (src/queue.c)
    // ------------------------------------------------------------------------------------

    /// Returns Err(NoServer) when no server is usable, Ok(None) when all candidates are full.
    fn assign_server<R: rand::Rng + ?Sized>(
        &mut self,
        hash_key: u64,
        avoid: Option<ServerIdx>,
        rng: &mut R,
    ) -> Result<Option<ServerIdx>, RejectReason> {
        if self.tot_weight == 0 {
            return Err(RejectReason::NoServer);
        }
        // "if there's some queue on the backend, with certain algos we know it's because all
        // servers are full" (`assign_server`, src/backend.c line 691 of 2.6.12, read in
        // Debian's source package): `be->queue.length && be->queue.length != be->beconn` for
        // first, roundrobin and static-rr. `beconn` counts this request too, so it always
        // exceeds the queue's length here. (HAProxy 3.x adds `be->served`; 2.6 does not.)
        if !self.px_queue.is_empty()
            && matches!(
                self.algorithm,
                Algorithm::First | Algorithm::RoundRobin | Algorithm::StaticRr
            )
        {
            return Ok(None);
        }
        let srv = match self.algorithm {
            Algorithm::RoundRobin => self.fwrr_get_next_server(avoid),
            Algorithm::LeastConn | Algorithm::First => self.tree_get_next_server(avoid),
            Algorithm::StaticRr => self.map_get_server_rr(avoid),
            Algorithm::Source => self.map_get_server_hash(hash_key),
            // The caller hands the URI's hash (`UriHash::hash`) as the key.
            Algorithm::Uri(_) => self.map_get_server_by_hash(hash_key as u32),
            Algorithm::Random { draws } => self.get_server_rnd(draws, avoid, rng),
        };
        if let Some(s) = srv {
            debug_assert!(self.usable(s), "the algorithm returned an unusable server {s}");
        }
        Ok(srv)
    }

    #[inline(always)]
    fn assign_server_and_queue<R: rand::Rng + ?Sized>(
        &mut self,
        now: SimTime,
        req: u64,
        hash_key: u64,
        avoid: Option<ServerIdx>,
        rng: &mut R,
    ) -> Decision {
        match self.assign_server(hash_key, avoid, rng) {
            Err(r) => Decision::Rejected(r),
            Ok(None) => {
                // SRV_STATUS_FULL: queue into the backend's queue.
                if self.queued() >= self.queue_max {
                    return Decision::Rejected(RejectReason::QueueFull);
                }
                let p = self.make_pending(now, req, hash_key);
                self.px_queue.push_back(p);
                Decision::Queued
            }
            Ok(Some(s)) => {
                let sv = &self.servers[s];
                if sv.maxconn > 0 && (!sv.queue.is_empty() || sv.served >= sv.maxconn) {
                    // Assigned server is full: queue into the server's own queue.
                    if self.queued() >= self.queue_max {
                        return Decision::Rejected(RejectReason::QueueFull);
                    }
                    let p = self.make_pending(now, req, hash_key);
                    self.srv_order.push_back((p.seq, s as u32));
                    self.servers[s].queue.push_back(p);
                    self.srv_queued += 1;
                    // fwlc keys count the server queue, but HAProxy only repositions on
                    // take/drop of a connection, so the tree is not touched here.
                    return Decision::Queued;
                }
                self.take_slot(s);
                Decision::Dispatch(s)
            }
        }
    }

    /// Whether the request enqueued as `seq` still waits in `server`'s queue: a server queue
    /// only loses its front (or everything), so it holds every entry from its front on.
    fn waits_in_server_queue(&self, (seq, server): (u64, u32)) -> bool {
        self.servers[server as usize]
            .queue
            .front()
            .is_some_and(|p| p.seq <= seq)
    }

    /// Drops the entries of `srv_order` taken out of their queue from its front, and all of
    /// them once they outnumber the waiting requests twice over (amortized O(1)).
    fn trim_srv_order(&mut self) {
        while let Some(&e) = self.srv_order.front() {
            if self.waits_in_server_queue(e) {
                break;
            }
            self.srv_order.pop_front();
        }
        if self.srv_order.len() > 2 * self.srv_queued + 64 {
            let mut order = std::mem::take(&mut self.srv_order);
            order.retain(|&e| self.waits_in_server_queue(e));
            self.srv_order = order;
        }
        debug_assert!(self.srv_order.len() >= self.srv_queued);
    }

    /// The request waiting longest in any server queue (the earliest deadline among them),
    /// and its server.
    #[inline]
    fn oldest_in_server_queue(&self) -> Option<(u32, &Pending)> {
        if self.srv_queued == 0 {
            return None;
        }
        let &(seq, server) = self.srv_order.front()?;
        let p = self.servers[server as usize]
            .queue
            .front()
            .expect("srv_order's front waits");
        assert_eq!(p.seq, seq, "srv_order's front is its server's queue front");
        Some((server, p))
    }

    fn make_pending(&mut self, now: SimTime, req: u64, hash_key: u64) -> Pending {
        let seq = self.enq_seq;
        self.enq_seq += 1;
        let deadline = if self.timeout_queue == SimDuration::ZERO {
            SimTime::MAX
        } else {
            now.saturating_add(self.timeout_queue)
        };
        Pending {
            req,
            hash_key,
            key_ms: now.as_nanos() / QUEUE_KEY_RESOLUTION_NS,
            deadline,
            seq,
        }
    }

    /// sess_change_server(s, srv): served++ then server_take_conn.
    #[inline(always)]
    fn take_slot(&mut self, s: ServerIdx) {
        self.servers[s].served += 1;
        self.lb_reposition(s);
    }

    /// sess_change_server(s, NULL) then process_srv_queue if it may dequeue.
    #[inline(always)]
    fn release_slot(&mut self, s: ServerIdx) {
        let sv = &mut self.servers[s];
        assert!(sv.served > 0, "served underflow on server {s}");
        sv.served -= 1;
        self.lb_reposition(s);
        self.process_srv_queue(s);
    }

    /// process_srv_queue + pendconn_process_next_strm.
    #[inline(always)]
    fn process_srv_queue(&mut self, s: ServerIdx) {
        // No slot to fill (always so without `maxconn`): nothing to dequeue.
        if self.servers[s].served < self.servers[s].maxconn {
            self.fill_free_slots(s);
        }
    }

    /// `process_srv_queue`'s loop, for a server with a free slot.
    fn fill_free_slots(&mut self, s: ServerIdx) {
        let maxconn = self.servers[s].maxconn;
        let px_ok = self.usable(s)
            && (!self.servers[s].backup || (self.srv_act == 0 && (self.fbck == s as u32 || self.allbackup)));
        let mut done = 0;
        while self.servers[s].served < maxconn {
            let p = self.servers[s].queue.front().map(|p| p.key_ms);
            let pp = if px_ok {
                self.px_queue.front().map(|p| p.key_ms)
            } else {
                None
            };
            let from_srv = match (p, pp) {
                (None, None) => break,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                // `if (pkey <= ppkey) goto use_p;` (ms keys, same priority class)
                (Some(a), Some(b)) => a <= b,
            };
            let pend = if from_srv {
                self.srv_queued -= 1;
                let p = self.servers[s].queue.pop_front();
                self.trim_srv_order();
                p
            } else {
                self.px_queue.pop_front()
            }
            .expect("queue front vanished");
            self.servers[s].served += 1;
            self.dispatch_out.push_back((pend.req, s));
            done += 1;
        }
        if done > 0 {
            self.lb_reposition(s);
        }
    }

    /// pendconn_grab_from_px: a server coming UP takes requests from the backend queue.
    fn pendconn_grab_from_px(&mut self, s: ServerIdx) {
        if !self.usable(s) {
            return;
        }
        if self.servers[s].backup && (self.srv_act > 0 || (self.fbck != s as u32 && !self.allbackup)) {
            return;
        }
        let maxconn = self.servers[s].maxconn;
        let mut done = 0;
        while !self.px_queue.is_empty() {
            if maxconn > 0 && self.servers[s].served >= maxconn {
                break;
            }
            let p = self.px_queue.pop_front().expect("non-empty");
            self.servers[s].served += 1;
            self.dispatch_out.push_back((p.req, s));
            done += 1;
        }
        if done > 0 {
            self.lb_reposition(s);
        }
    }

    /// pendconn_redistribute: with `option redispatch`, requests waiting in the queue of a
    /// server that went DOWN are load-balanced again (re-queued with a fresh deadline if
    /// everything is full). Without it they stay until a slot frees or `timeout queue`.
    fn pendconn_redistribute(&mut self, now: SimTime, s: ServerIdx) {
        if !matches!(self.redispatch, Some(p) if p != 0) || self.servers[s].queue.is_empty() {
            return;
        }
        let mut q = std::mem::take(&mut self.servers[s].queue);
        self.srv_queued -= q.len();
        self.trim_srv_order();
        // Only non-random algorithms ever fill a server queue (see `NoRng`).
        let mut dummy = NoRng;
        while let Some(p) = q.pop_front() {
            let d = self.assign_server_and_queue(now, p.req, p.hash_key, Some(s), &mut dummy);
            match d {
                Decision::Dispatch(to) => self.dispatch_out.push_back((p.req, to)),
                Decision::Queued => {}
                Decision::Rejected(r) => self.reject_out.push_back((p.req, r)),
            }
        }
        // give the (empty) buffer back to keep its capacity
        self.servers[s].queue = q;
    }
}

/// Server queues only fill with algorithms that do not consult the RNG (`random` sends
/// requests for full servers to the backend queue), so redistribution never draws. This
/// RNG panics if that reasoning is ever broken.
struct NoRng;

impl rand::RngCore for NoRng {
    fn next_u32(&mut self) -> u32 {
        unreachable!("redistribution must not draw random numbers")
    }
    fn next_u64(&mut self) -> u64 {
        unreachable!("redistribution must not draw random numbers")
    }
    fn fill_bytes(&mut self, _dst: &mut [u8]) {
        unreachable!("redistribution must not draw random numbers")
    }
}

// ------------------------------------------------------------------------------------
// Steady-state routing shares: a pure query for drivers that do not route request by request
// (the long-horizon availability driver). Added in its own block; it reads the machine's own
// state (group counts, map, ring) and never changes it.
// ------------------------------------------------------------------------------------

/// Why the runtime API refused a weight ([`Backend::handle_weight`]); the messages are
/// HAProxy 2.6's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WeightError {
    /// Beyond `SRV_UWGHT_MAX`.
    #[error("weight {0}: Absolute weight can only be between 0 and 256 inclusive.")]
    OutOfRange(u32),
    /// A static algorithm and neither 0 nor the configured weight.
    #[error("weight {0}: Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.")]
    StaticAlgorithm(u32),
}

/// Why a backend's steady-state routing shares are not a fixed fact of its configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum SharesError {
    /// `balance first` with a per-server `maxconn`: a server takes traffic only while the ones
    /// before it are full, which depends on the load and not on the configuration.
    #[error(
        "`balance first` with a per-server maxconn sends traffic to the next server only while the previous ones are full, so its shares depend on the load; use maxconn = 0 or another algorithm"
    )]
    FirstWithMaxconn,
    /// `balance source` over more client keys than IPv4 addresses: keys are folded like IPv6
    /// addresses, whose spread over the map is not computed.
    #[error("`balance source` shares are computed for at most 2^32 client keys")]
    SourceKeysBeyondIpv4,
}

impl Backend {
    /// The share of requests each server receives, index for index, in the steady state of
    /// the current UP/DOWN states: requests arrive at a backend with no server full and no
    /// queue (a park below saturation), so every pick is the algorithm's free choice. Shares
    /// sum to 1, or are all 0 when no server is usable (`tot_weight == 0`: HAProxy answers
    /// 503). `clients` is the number of distinct, uniformly used client keys (`balance
    /// source`).
    ///
    /// Exact for the configuration, per algorithm:
    /// * every algorithm picks from one group (`recount_servers`): the usable active servers,
    ///   else the first usable backup alone (`fbck`), else every usable backup
    ///   (`option allbackup`); usable = UP with a non-zero weight (`srv_willbe_usable`);
    /// * roundrobin: each server's effective weight over the group's (one fwrr cycle);
    /// * static-rr: each server's slots of the map (`recalc_server_map`) over its size;
    /// * source: the clients whose key lands on the server's map slots
    ///   (`map[key % tot_weight]`, `key = 0` with one server left);
    /// * uri: the popularity of the URIs whose hash lands on the server's map slots; `uris`
    ///   is the URI population as (`UriHash::hash`, share of requests), shares summing to 1;
    /// * random (any number of draws): the part of the 32-bit hash space nearest to the
    ///   server's ring points (`chash_get_server_hash`); with every server idle, a second draw
    ///   never beats the first, so the last draw decides;
    /// * leastconn: equal shares (idle servers all have key 0 and rotate regardless of
    ///   weight, as in the live transcript);
    /// * first: everything to the first server of the group without `maxconn`; with `maxconn`
    ///   the shares depend on the load ([`SharesError::FirstWithMaxconn`]).
    ///
    /// Not in the steady state: servers holding connections (a hung server under leastconn or
    /// random(2) is avoided as its connections pile up, which these shares ignore: the
    /// estimate of what such a server fails is then pessimistic).
    pub(crate) fn routing_shares(&self, clients: u64, uris: &[(u32, f64)]) -> Result<Vec<f64>, SharesError> {
        let n = self.servers.len();
        let mut shares = vec![0.0; n];
        let group = self.routing_group();
        if self.tot_weight == 0 || group.is_empty() {
            return Ok(shares);
        }
        match self.algorithm {
            Algorithm::RoundRobin => {
                let tot: u64 = group.iter().map(|&s| u64::from(self.servers[s].eweight)).sum();
                for &s in &group {
                    shares[s] = f64::from(self.servers[s].eweight) / tot as f64;
                }
            }
            Algorithm::StaticRr => {
                for &s in &self.map {
                    shares[s as usize] += 1.0 / self.map.len() as f64;
                }
            }
            Algorithm::Source => {
                if clients > 1 << 32 {
                    return Err(SharesError::SourceKeysBeyondIpv4);
                }
                let tot = u64::from(self.tot_weight);
                assert_eq!(self.map.len() as u64, tot, "the map has tot_weight slots");
                if self.tot_used == 1 {
                    shares[self.map[0] as usize] = 1.0;
                } else {
                    // Keys 0..clients: slot j gets every key k with k % tot == j.
                    let (whole, rest) = (clients / tot, clients % tot);
                    for (j, &s) in self.map.iter().enumerate() {
                        let keys = whole + u64::from((j as u64) < rest);
                        shares[s as usize] += keys as f64 / clients as f64;
                    }
                }
            }
            Algorithm::Uri(_) => {
                for &(hash, share) in uris {
                    let s = self.map_get_server_by_hash(hash).expect("tot_weight > 0 here");
                    shares[s] += share;
                }
            }
            Algorithm::Random { .. } => {
                if group.len() == 1 {
                    shares[group[0]] = 1.0;
                } else {
                    let g = usize::from(self.servers[group[0]].backup);
                    for (s, hashes) in ring_ownership(&self.ring[g]) {
                        shares[s] += hashes as f64 / (1u64 << 32) as f64;
                    }
                }
            }
            Algorithm::LeastConn => {
                for &s in &group {
                    shares[s] = 1.0 / group.len() as f64;
                }
            }
            Algorithm::First => {
                if group.iter().any(|&s| self.servers[s].maxconn > 0) {
                    return Err(SharesError::FirstWithMaxconn);
                }
                // fas: the tree is keyed by puid, i.e. declaration order.
                shares[group[0]] = 1.0;
            }
        }
        let sum: f64 = shares.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "routing shares sum to {sum}");
        Ok(shares)
    }
}

impl Backend {
    /// The servers every algorithm picks from, first pick or retry (`recount_servers`): the
    /// usable active servers, else the first usable backup alone (`fbck`), else every usable
    /// backup (`option allbackup`); usable = UP with a non-zero weight (`srv_willbe_usable`).
    /// Empty when none is usable. A server may be in the group with no share of first picks
    /// (`balance first`) and still take redispatched retries.
    pub(crate) fn routing_group(&self) -> Vec<ServerIdx> {
        let n = self.servers.len();
        if self.srv_act > 0 {
            (0..n).filter(|&s| !self.servers[s].backup && self.usable(s)).collect()
        } else if self.fbck != NONE_IDX {
            vec![self.fbck as usize]
        } else {
            (0..n).filter(|&s| self.servers[s].backup && self.usable(s)).collect()
        }
    }
}

/// How many of the 2^32 hash values `chash_get_server_hash` sends to each ring point's server:
/// a hash goes to the nearer of the ring points around it (`eb32_lookup_ge`, wrapping; the
/// lower one on a tie), i.e. between neighbouring keys `a < b` the hashes `a+1 ..= a+d/2` go to
/// the last point at `a` and the rest up to `b` to the first point at `b`.
fn ring_ownership(ring: &[(u32, u32)]) -> Vec<(usize, u64)> {
    assert!(!ring.is_empty(), "a usable group has ring points");
    let n = ring.len();
    let mut owned = Vec::with_capacity(2 * n);
    // Indices of the first and last point of each distinct key, in ring order.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in 0..n {
        match runs.last_mut() {
            Some(r) if ring[r.1].0 == ring[i].0 => r.1 = i,
            _ => runs.push((i, i)),
        }
    }
    for (k, &(_, last)) in runs.iter().enumerate() {
        let (first_next, _) = runs[(k + 1) % runs.len()];
        let a = u64::from(ring[last].0);
        let b = u64::from(ring[first_next].0);
        let d = if runs.len() == 1 {
            1u64 << 32
        } else {
            (b + (1 << 32) - a) % (1 << 32)
        };
        owned.push((ring[last].1 as usize, d / 2));
        owned.push((ring[first_next].1 as usize, d - d / 2));
    }
    owned
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const T0: SimTime = SimTime::ZERO;

    fn srv(weight: u32) -> ServerSpec {
        ServerSpec {
            weight,
            ..ServerSpec::default()
        }
    }
    fn srv_mc(weight: u32, maxconn: u32) -> ServerSpec {
        ServerSpec {
            weight,
            maxconn,
            ..ServerSpec::default()
        }
    }
    fn bck(weight: u32) -> ServerSpec {
        ServerSpec {
            weight,
            backup: true,
            ..ServerSpec::default()
        }
    }
    fn spec(algorithm: Algorithm, servers: Vec<ServerSpec>) -> BackendSpec {
        BackendSpec {
            algorithm,
            servers,
            timeout_queue: SimDuration::from_secs(5),
            queue_max: 1000,
            retries: DEFAULT_RETRIES,
            redispatch: None,
            allbackup: false,
            timeout_connect: SimDuration::from_secs(5),
        }
    }
    fn rng() -> ChaCha8Rng {
        ChaCha8Rng::seed_from_u64(42)
    }

    /// Sequential requests, each completed before the next one (like sequential curl):
    /// returns 1-based server names as in the live HAProxy transcripts ("s1", ...).
    fn seq(be: &mut Backend, n: usize) -> Vec<String> {
        let mut r = rng();
        (0..n)
            .map(|i| match be.handle_request(T0, i as u64, i as u64, &mut r) {
                Decision::Dispatch(s) => {
                    be.handle_done(T0, s);
                    format!("s{}", s + 1)
                }
                d => panic!("unexpected {d:?}"),
            })
            .collect()
    }
    /// The ordered-set trees (large backends) and the linear scans (small ones) pick the
    /// same servers in the same order, and so do roundrobin with its fast turn and its loop
    /// alone, through saturation, queues, redispatches and DOWN/UP changes.
    #[test]
    fn indexed_and_scanned_picks_agree() {
        use rand::Rng;
        let cases = [Algorithm::RoundRobin, Algorithm::LeastConn, Algorithm::First]
            .into_iter()
            .flat_map(|a| [(a, 20u32), (a, 3)]);
        for (algorithm, n) in cases {
            let servers: Vec<ServerSpec> = (0..n)
                .map(|i| ServerSpec {
                    backup: i >= n * 17 / 20,
                    ..srv_mc(1 + i % 4, 1 + i % 3)
                })
                .collect();
            let mut a = Backend::new(spec(algorithm, servers));
            assert_eq!(a.indexed, n >= 16, "20 servers use the ordered sets, 3 the scans");
            let mut b = a.clone();
            b.indexed = false;
            // roundrobin's fast turn only in `a`: it is the loop's first turn.
            b.fwrr_fast = false;
            let mut drive = rng();
            let (mut ra, mut rb) = (rng(), rng());
            let mut busy: Vec<ServerIdx> = Vec::new();
            for i in 0..20_000u64 {
                let x: u32 = drive.random_range(0..100);
                if x < 50 {
                    // A new request, or a redispatch away from a server (`avoid`).
                    let avoid = (x >= 40).then(|| drive.random_range(0..n as usize));
                    let (da, db) = match avoid {
                        None => (a.handle_request(T0, i, i, &mut ra), b.handle_request(T0, i, i, &mut rb)),
                        Some(s) => (
                            a.handle_redispatch(T0, i, s, i, &mut ra),
                            b.handle_redispatch(T0, i, s, i, &mut rb),
                        ),
                    };
                    assert_eq!(format!("{da:?}"), format!("{db:?}"), "{algorithm:?} step {i}");
                    if let Decision::Dispatch(s) = da {
                        busy.push(s);
                    }
                } else if x < 95 {
                    if !busy.is_empty() {
                        let s = busy.swap_remove(drive.random_range(0..busy.len()));
                        a.handle_done(T0, s);
                        b.handle_done(T0, s);
                    }
                } else {
                    let s = drive.random_range(0..n as usize);
                    let up = !a.is_up(s);
                    a.handle_server_state(T0, s, up);
                    b.handle_server_state(T0, s, up);
                }
                loop {
                    let (pa, pb) = (a.poll_dispatch(), b.poll_dispatch());
                    assert_eq!(pa, pb, "{algorithm:?} step {i}");
                    match pa {
                        Some((_, s)) => busy.push(s),
                        None => break,
                    }
                }
                assert_eq!(a.poll_rejected(), b.poll_rejected());
            }
            if algorithm == Algorithm::RoundRobin && a.indexed {
                assert!(
                    a.ins_seq > 4 * u64::from(HEAP_SEQ_LIMIT),
                    "the heaps were renumbered several times ({} insertions)",
                    a.ins_seq
                );
            }
        }
    }

    /// The next queue timeout from the list of server-queued requests (O(1)) is the one a
    /// look at every queue gives, through arrivals, completions, timeouts and servers going
    /// down (with redispatch: their queues are load-balanced again) and up.
    #[test]
    fn next_queue_timeout_needs_no_scan() {
        for n in [3, 24] {
            next_queue_timeout_matches_a_scan(n);
        }
    }

    fn next_queue_timeout_matches_a_scan(n: u32) {
        use rand::Rng;
        let servers: Vec<ServerSpec> = (0..n).map(|i| srv_mc(1 + i % 3, 1 + i % 2)).collect();
        let mut be = Backend::new(BackendSpec {
            redispatch: Some(1),
            queue_max: 10_000,
            ..spec(Algorithm::Source, servers)
        });
        let scan = |be: &Backend| {
            let fronts = be.servers.iter().filter_map(|s| s.queue.front());
            let d = be.px_queue.front().into_iter().chain(fronts).map(|p| p.deadline).min();
            d.filter(|&d| d != SimTime::MAX)
        };
        let (mut drive, mut r) = (rng(), rng());
        let mut busy: Vec<ServerIdx> = Vec::new();
        let (mut now, mut timeouts, mut most_queued) = (T0, 0, 0);
        for i in 0..40_000u64 {
            now += SimDuration::from_millis(drive.random_range(0..40));
            while let Some(d) = be.poll_timeout().filter(|&d| d <= now) {
                assert_eq!(Some(d), scan(&be));
                be.handle_timeout(d);
            }
            let x: u32 = drive.random_range(0..100);
            if x < 55 {
                if let Decision::Dispatch(s) = be.handle_request(now, i, drive.random_range(0..500), &mut r) {
                    busy.push(s);
                }
            } else if x < 97 {
                if !busy.is_empty() && drive.random_range(0..4) == 0 {
                    let s = busy.swap_remove(drive.random_range(0..busy.len()));
                    be.handle_done(now, s);
                }
            } else {
                let s = drive.random_range(0..n as usize);
                let up = !be.is_up(s);
                be.handle_server_state(now, s, up);
            }
            while let Some((_, s)) = be.poll_dispatch() {
                busy.push(s);
            }
            while be.poll_rejected().is_some() {
                timeouts += 1;
            }
            assert_eq!(be.poll_timeout(), scan(&be), "step {i}");
            assert!(be.srv_order.len() <= 2 * be.srv_queued + 64 + 1);
            most_queued = most_queued.max(be.srv_queued);
        }
        assert!(
            timeouts > 1000 && most_queued > 100,
            "{timeouts} timeouts, {most_queued} queued at most"
        );
    }

    fn names(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    // Live HAProxy 2.6.12 (Debian 2.6.12-1+deb12u4), nbthread 1, 3 python HTTP servers on
    // 127.0.0.1, sequential requests; server state changes via the stats socket
    // (`set server b/sN state maint|ready`, which goes through the same
    // fwrr_set_server_status_down/up and map recalc paths as health checks).

    /// src/lb_fwrr.c fwrr_get_next_server; observed on a live haproxy (table above).
    #[test]
    fn roundrobin_orders_match_live_haproxy() {
        let cases: &[(&[u32], usize, &str)] = &[
            (
                &[3, 2, 1],
                24,
                "s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2 s1 s2 s1 s3 s1 s2",
            ),
            (&[5, 1], 18, "s1 s1 s1 s1 s1 s2 s1 s1 s1 s1 s1 s2 s1 s1 s1 s1 s1 s2"),
            (&[1, 1, 1], 4, "s1 s2 s3 s1"),
        ];
        for (weights, n, want) in cases {
            let mut be = Backend::new(spec(Algorithm::RoundRobin, weights.iter().map(|&w| srv(w)).collect()));
            assert_eq!(seq(&mut be, *n), names(want), "weights {weights:?}");
        }
    }

    /// fwrr_set_server_status_down/up: live transcript for 1/1/1 with s2 in maintenance.
    #[test]
    fn roundrobin_down_up_matches_live_haproxy() {
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv(1), srv(1), srv(1)]));
        assert_eq!(seq(&mut be, 4), names("s1 s2 s3 s1"));
        be.handle_server_state(T0, 1, false);
        assert_eq!(seq(&mut be, 4), names("s3 s1 s3 s1"));
        be.handle_server_state(T0, 1, true);
        assert_eq!(seq(&mut be, 9), names("s3 s1 s2 s3 s1 s2 s3 s1 s2"));
    }

    /// fwrr with unequal weights, heavy server down mid-window then back (live transcript
    /// continuing the 24 picks of the 3/2/1 case).
    #[test]
    fn roundrobin_321_down_up_matches_live_haproxy() {
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv(3), srv(2), srv(1)]));
        seq(&mut be, 24);
        assert_eq!(seq(&mut be, 2), names("s1 s2"));
        be.handle_server_state(T0, 0, false);
        assert_eq!(seq(&mut be, 6), names("s3 s2 s2 s3 s2 s2"));
        be.handle_server_state(T0, 0, true);
        assert_eq!(
            seq(&mut be, 18),
            names("s1 s3 s2 s1 s1 s2 s1 s3 s2 s1 s1 s2 s1 s3 s2 s1 s1 s2")
        );
    }

    /// src/lb_map.c recalc_server_map + map_get_server_rr; live transcripts.
    #[test]
    fn static_rr_matches_live_haproxy() {
        let mut be = Backend::new(spec(Algorithm::StaticRr, vec![srv(3), srv(2), srv(1)]));
        assert_eq!(
            seq(&mut be, 18),
            names("s1 s1 s2 s1 s2 s3 s1 s1 s2 s1 s2 s3 s1 s1 s2 s1 s2 s3")
        );
        be.handle_server_state(T0, 1, false);
        assert_eq!(seq(&mut be, 8), names("s1 s1 s1 s3 s1 s1 s1 s3"));
        be.handle_server_state(T0, 1, true);
        assert_eq!(seq(&mut be, 12), names("s2 s3 s1 s1 s2 s1 s2 s3 s1 s1 s2 s1"));
        let mut be = Backend::new(spec(Algorithm::StaticRr, vec![srv(5), srv(1)]));
        assert_eq!(seq(&mut be, 12), names("s1 s1 s1 s1 s1 s2 s1 s1 s1 s1 s1 s2"));
    }

    /// src/lb_fwlc.c: idle servers all have key 0 and are reinserted at the end of the
    /// duplicates, so sequential requests rotate regardless of weight (live transcript).
    #[test]
    fn leastconn_idle_rotation_matches_live_haproxy() {
        let mut be = Backend::new(spec(Algorithm::LeastConn, vec![srv(3), srv(2), srv(1)]));
        assert_eq!(seq(&mut be, 9), names("s1 s2 s3 s1 s2 s3 s1 s2 s3"));
    }

    /// fwlc_get_next_server picks the smallest (inflight+1)*4096/eweight, ties by tree order.
    #[test]
    fn leastconn_picks_least_loaded() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::LeastConn, vec![srv(1), srv(1), srv(1)]));
        // concurrent: 0,1,2 then tie at 1 conn each: s0 (reinserted first) etc.
        let picks: Vec<_> = (0..6).map(|i| be.handle_request(T0, i, 0, &mut r)).collect();
        use Decision::Dispatch as D;
        assert_eq!(picks, vec![D(0), D(1), D(2), D(0), D(1), D(2)]);
        // s1 finishes one: it is now the least loaded
        be.handle_done(T0, 1);
        assert_eq!(be.handle_request(T0, 6, 0, &mut r), D(1));
        // weights 2/1: keys (n+1)*4096/32 vs (n+1)*4096/16 -> 0:0 1:0 ... table
        let mut be = Backend::new(spec(Algorithm::LeastConn, vec![srv(2), srv(1)]));
        let picks: Vec<_> = (0..6)
            .map(|i| match be.handle_request(T0, i, 0, &mut r) {
                D(s) => s,
                d => panic!("{d:?}"),
            })
            .collect();
        // keys: s0: 0,256,384,512..  s1: 0,512,768
        // p1 s0(0,first) -> s0=256; p2 s1(0) -> s1=512; p3 s0(256)->384; p4 s0(384)->512;
        // p5: s1=512 (inserted before s0's 512) -> s1=768; p6 s0(512)
        assert_eq!(picks, vec![0, 1, 0, 0, 1, 0]);
    }

    /// src/lb_fas.c: first server (declaration order) with a free slot.
    #[test]
    fn first_fills_servers_in_order() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::First, vec![srv_mc(1, 2), srv_mc(1, 2), srv_mc(1, 1)]));
        let picks: Vec<_> = (0..6).map(|i| be.handle_request(T0, i, 0, &mut r)).collect();
        use Decision::*;
        assert_eq!(
            picks,
            vec![Dispatch(0), Dispatch(0), Dispatch(1), Dispatch(1), Dispatch(2), Queued]
        );
        // a slot frees on s1: the queued request goes there
        be.handle_done(T0, 1);
        assert_eq!(be.poll_dispatch(), Some((5, 1)));
        // without maxconn, `first` always picks the first server
        let mut be = Backend::new(spec(Algorithm::First, vec![srv(1), srv(1)]));
        for i in 0..5 {
            assert_eq!(be.handle_request(T0, i, 0, &mut r), Dispatch(0));
        }
    }

    /// get_server_sh + map_get_server_hash: map-based hash = map[ipv4 % tot_weight].
    #[test]
    fn source_is_stable_and_redistributes() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::Source, vec![srv(1), srv(1), srv(1)]));
        // map is [s0, s1, s2]; key % 3
        let table: &[(u64, usize)] = &[(0, 0), (1, 1), (2, 2), (3, 0), (0x0a00_0001, 0x0a00_0001 % 3)];
        for _ in 0..3 {
            for &(key, want) in table {
                assert_eq!(be.handle_request(T0, 0, key, &mut r), Decision::Dispatch(want));
                be.handle_done(T0, want);
            }
        }
        // s1 down: map [s0, s2], key % 2
        be.handle_server_state(T0, 1, false);
        for &(key, want) in &[(0u64, 0usize), (1, 2), (2, 0), (3, 2)] {
            assert_eq!(be.handle_request(T0, 0, key, &mut r), Decision::Dispatch(want));
            be.handle_done(T0, want);
        }
        // weights 4/2 are reduced by their GCD (init_server_map) to 2/1: a 3-entry map
        // filled by recalc_server_map as [s0, s0, s1].
        let be = Backend::new(spec(Algorithm::Source, vec![srv(4), srv(2)]));
        assert_eq!(be.map, vec![0, 0, 1]);
    }

    /// get_server_uri: the part of the URI `len`, `depth` and `whole` select, hashed by
    /// `hash_sdbm`, then `map[hash % tot_weight]` like `source`.
    #[test]
    fn uri_hashes_the_selected_part_with_sdbm() {
        assert_eq!(sdbm(b""), 0);
        assert_eq!(sdbm(b"a"), 97);
        assert_eq!(sdbm(b"ab"), 98 + (97 << 6) + (97 << 16) - 97);
        // A byte above 0x7f is a negative C char.
        assert_eq!(sdbm(&[0xff]), u32::MAX);
        let uri = b"/a/b/c?x=1";
        let h = |u: UriHash| u.hash(uri);
        assert_eq!(h(UriHash::default()), sdbm(b"/a/b/c"));
        let whole = UriHash {
            whole: true,
            ..UriHash::default()
        };
        assert_eq!(h(whole), sdbm(uri));
        assert_eq!(
            h(UriHash {
                depth: 1,
                ..UriHash::default()
            }),
            sdbm(b"/a")
        );
        assert_eq!(
            h(UriHash {
                depth: 2,
                ..UriHash::default()
            }),
            sdbm(b"/a/b")
        );
        assert_eq!(
            h(UriHash {
                depth: 9,
                ..UriHash::default()
            }),
            sdbm(b"/a/b/c")
        );
        assert_eq!(
            h(UriHash {
                len: 3,
                ..UriHash::default()
            }),
            sdbm(b"/a/")
        );
        assert_eq!(
            h(UriHash {
                len: 8,
                whole: true,
                depth: 0
            }),
            sdbm(b"/a/b/c?x")
        );
        // The map as for `source`: weights 2/1 -> [s0, s0, s1]; one server left -> hash 0.
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::Uri(UriHash::default()), vec![srv(2), srv(1)]));
        for key in [0u32, 1, 2, 3, 5, u32::MAX] {
            let want = [0, 0, 1][(key % 3) as usize];
            assert_eq!(
                be.handle_request(T0, 0, u64::from(key), &mut r),
                Decision::Dispatch(want)
            );
            be.handle_done(T0, want);
        }
        let uris = [(0u32, 0.5), (2, 0.25), (5, 0.25)];
        assert_shares(&be.routing_shares(0, &uris).unwrap(), &[0.5, 0.5]);
        be.handle_server_state(T0, 0, false);
        assert_eq!(be.handle_request(T0, 0, 3, &mut r), Decision::Dispatch(1));
        assert_shares(&be.routing_shares(0, &uris).unwrap(), &[0.0, 1.0]);
    }

    /// get_server_rnd: with draws=2 the less loaded (served/eweight) of two ring picks.
    #[test]
    fn random_two_draws_prefers_less_loaded_and_is_deterministic() {
        let run = |seed: u64| {
            let mut r = ChaCha8Rng::seed_from_u64(seed);
            let mut be = Backend::new(spec(
                Algorithm::Random { draws: 2 },
                vec![srv(1), srv(1), srv(1), srv(1)],
            ));
            let mut picks = Vec::new();
            for i in 0..200 {
                if let Decision::Dispatch(s) = be.handle_request(T0, i, 0, &mut r) {
                    picks.push(s);
                }
            }
            (picks, (0..4).map(|s| be.served(s)).collect::<Vec<_>>())
        };
        let (a, served) = run(7);
        assert_eq!(a, run(7).0, "same seed, same picks");
        assert_ne!(a, run(8).0);
        // power of two choices keeps the load tight: never more than a few apart
        let (mn, mx) = (served.iter().min().unwrap(), served.iter().max().unwrap());
        assert!(mx - mn <= 6, "{served:?}");
        // with one server loaded, two draws hitting it and another -> the other wins
        let mut be = Backend::new(spec(Algorithm::Random { draws: 2 }, vec![srv(1), srv(1)]));
        be.servers[0].served = 100;
        let mut r = rng();
        let mut n0 = 0;
        for i in 0..100 {
            if be.handle_request(T0, i, 0, &mut r) == Decision::Dispatch(0) {
                n0 += 1;
                be.handle_done(T0, 0);
            }
        }
        // s0 only wins when both draws land on it (~1/4)
        assert!((10..45).contains(&n0), "{n0}");
        // ring: 16 points per unit of weight
        assert_eq!(be.ring[0].len(), 32);
    }

    /// random with draws=1 and full servers: get_server_rnd returns NULL -> backend queue.
    #[test]
    fn random_full_server_goes_to_backend_queue() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::Random { draws: 1 }, vec![srv_mc(1, 1)]));
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        assert_eq!(be.handle_request(T0, 1, 0, &mut r), Decision::Queued);
        assert_eq!(be.server_queued(0), 0);
        assert_eq!(be.queued(), 1);
    }

    /// assign_server_and_queue + pendconn_add + process_srv_queue: maxconn 1 on every
    /// server gives one shared FIFO (M/M/c), and `timeout queue` expires the waiters.
    #[test]
    fn maxconn_queue_fifo_and_timeout() {
        let mut r = rng();
        for algo in [
            Algorithm::RoundRobin,
            Algorithm::StaticRr,
            Algorithm::LeastConn,
            Algorithm::First,
            Algorithm::Random { draws: 2 },
        ] {
            let mut be = Backend::new(spec(algo, vec![srv_mc(1, 1), srv_mc(1, 1)]));
            let d0 = be.handle_request(T0, 0, 0, &mut r);
            let d1 = be.handle_request(T0, 1, 0, &mut r);
            assert!(matches!(d0, Decision::Dispatch(_)) && matches!(d1, Decision::Dispatch(_)));
            assert_ne!(d0, d1, "{algo:?}");
            let t1 = SimTime::from_millis(1);
            let t2 = SimTime::from_millis(2);
            assert_eq!(be.handle_request(t1, 2, 0, &mut r), Decision::Queued);
            assert_eq!(be.handle_request(t2, 3, 0, &mut r), Decision::Queued);
            assert_eq!(be.queued(), 2);
            assert_eq!(be.poll_timeout(), Some(t1.saturating_add(SimDuration::from_secs(5))));
            // a slot frees on server 1: the oldest waiter takes it
            be.handle_done(t2, 1);
            assert_eq!(be.poll_dispatch(), Some((2, 1)), "{algo:?}");
            assert_eq!(be.poll_dispatch(), None);
            assert_eq!(be.served(1), 1);
            // the other expires after timeout queue
            let dl = t2.saturating_add(SimDuration::from_secs(5));
            assert_eq!(be.poll_timeout(), Some(dl));
            be.handle_timeout(SimTime::from_nanos(dl.as_nanos() - 1));
            assert_eq!(be.poll_rejected(), None);
            be.handle_timeout(dl);
            assert_eq!(be.poll_rejected(), Some((3, RejectReason::QueueTimeout)));
            assert_eq!(be.queued(), 0);
            assert_eq!(be.poll_timeout(), None);
        }
    }

    /// Without maxconn nothing queues; with no usable server -> 503 NoServer; queue bound.
    #[test]
    fn no_queue_without_maxconn_and_rejections() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv(1), srv(1)]));
        for i in 0..1000 {
            assert!(matches!(be.handle_request(T0, i, 0, &mut r), Decision::Dispatch(_)));
        }
        assert_eq!(be.served(0) + be.served(1), 1000);
        be.handle_server_state(T0, 0, false);
        be.handle_server_state(T0, 1, false);
        assert_eq!(
            be.handle_request(T0, 0, 0, &mut r),
            Decision::Rejected(RejectReason::NoServer)
        );
        let mut s = spec(Algorithm::RoundRobin, vec![srv_mc(1, 1)]);
        s.queue_max = 1;
        let mut be = Backend::new(s);
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        assert_eq!(be.handle_request(T0, 1, 0, &mut r), Decision::Queued);
        assert_eq!(
            be.handle_request(T0, 2, 0, &mut r),
            Decision::Rejected(RejectReason::QueueFull)
        );
        // weight 0 servers are never used
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv(0), srv(1)]));
        assert_eq!(seq(&mut be, 3), names("s2 s2 s2"));
    }

    /// update_backend_weight / fbck: backups only when all actives are down, only the first
    /// usable backup unless `option allbackup`.
    #[test]
    fn backup_servers() {
        for algo in [
            Algorithm::RoundRobin,
            Algorithm::StaticRr,
            Algorithm::LeastConn,
            Algorithm::First,
            Algorithm::Source,
            Algorithm::Random { draws: 2 },
        ] {
            let servers = vec![srv(1), bck(1), bck(1)];
            let mut be = Backend::new(spec(algo, servers.clone()));
            assert!(seq(&mut be, 6).iter().all(|s| s == "s1"), "{algo:?}");
            be.handle_server_state(T0, 0, false);
            assert!(seq(&mut be, 6).iter().all(|s| s == "s2"), "{algo:?}");
            be.handle_server_state(T0, 1, false);
            assert!(seq(&mut be, 6).iter().all(|s| s == "s3"), "{algo:?}");
            be.handle_server_state(T0, 1, true);
            assert!(seq(&mut be, 6).iter().all(|s| s == "s2"), "{algo:?}");
            be.handle_server_state(T0, 0, true);
            assert!(seq(&mut be, 6).iter().all(|s| s == "s1"), "{algo:?}");
            let mut s = spec(algo, servers);
            s.allbackup = true;
            let mut be = Backend::new(s);
            be.handle_server_state(T0, 0, false);
            let picks = seq(&mut be, 40);
            assert!(picks.iter().all(|s| s != "s1"), "{algo:?}");
            if algo != Algorithm::First {
                assert!(picks.iter().any(|s| s == "s2") && picks.iter().any(|s| s == "s3"));
            }
        }
    }

    /// pendconn_grab_from_px: a server coming UP takes queued requests up to its maxconn.
    #[test]
    fn server_up_grabs_backend_queue() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv_mc(1, 1), srv_mc(1, 2)]));
        be.handle_server_state(T0, 1, false);
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        for i in 1..4 {
            assert_eq!(be.handle_request(T0, i, 0, &mut r), Decision::Queued);
        }
        be.handle_server_state(T0, 1, true);
        assert_eq!(be.poll_dispatch(), Some((1, 1)));
        assert_eq!(be.poll_dispatch(), Some((2, 1)));
        assert_eq!(be.poll_dispatch(), None);
        assert_eq!(be.queued(), 1);
    }

    /// `source` assigns a full server anyway: the request waits in that server's queue
    /// (assign_server_and_queue), which a server going DOWN redistributes only with
    /// `option redispatch` (pendconn_redistribute).
    #[test]
    fn server_queue_and_redistribution() {
        let mut r = rng();
        for redispatch in [None, Some(-1)] {
            let mut s = spec(Algorithm::Source, vec![srv_mc(1, 1), srv_mc(1, 1)]);
            s.redispatch = redispatch;
            let mut be = Backend::new(s);
            assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
            assert_eq!(be.handle_request(T0, 1, 2, &mut r), Decision::Queued);
            assert_eq!(be.server_queued(0), 1);
            be.handle_server_state(T0, 0, false);
            if redispatch.is_some() {
                // only s1 left: map[0] = s1
                assert_eq!(be.poll_dispatch(), Some((1, 1)));
                assert_eq!(be.queued(), 0);
            } else {
                assert_eq!(be.poll_dispatch(), None);
                // the in-flight request on s0 ends: its own queue is still served
                be.handle_done(T0, 0);
                assert_eq!(be.poll_dispatch(), Some((1, 0)));
            }
        }
    }

    /// process_srv_queue / pendconn_process_next_strm: between the server queue and the
    /// backend queue the older (ms key) wins, ties to the server queue.
    #[test]
    fn server_queue_vs_backend_queue_order() {
        let mut r = rng();
        // A backend-queue entry via a full active server, then the backup becomes fbck.
        let mut be = Backend::new(spec(
            Algorithm::RoundRobin,
            vec![
                srv_mc(1, 1),
                ServerSpec {
                    maxconn: 1,
                    backup: true,
                    ..ServerSpec::default()
                },
            ],
        ));
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        assert_eq!(
            be.handle_request(SimTime::from_millis(1), 1, 0, &mut r),
            Decision::Queued
        ); // backend queue
        be.handle_server_state(SimTime::from_millis(2), 0, false); // now backup is fbck
        // backup did not grab (grab only on the backup's own UP transition)
        assert_eq!(be.poll_dispatch(), None);
        // 2.6 `assign_server`: a backend queue while the backend serves means "all full",
        // without asking the algorithm, so the idle backup is not picked.
        assert_eq!(
            be.handle_request(SimTime::from_millis(3), 2, 0, &mut r),
            Decision::Queued
        );
        // The down server's connection ends: it does not dequeue (not usable). Nothing is
        // served now, but 2.6.12 still answers "all full" while the backend queue is
        // non-empty (3.x adds `be->served` to the test), so the idle backup stays unused and
        // the queue empties only through `timeout queue`.
        be.handle_done(SimTime::from_millis(4), 0);
        assert_eq!(be.poll_dispatch(), None);
        assert_eq!(
            be.handle_request(SimTime::from_millis(5), 3, 0, &mut r),
            Decision::Queued
        );
        assert_eq!(be.server_queued(1), 0, "the backend queue, not the backup's");
        let deadline = be.poll_timeout().expect("queued requests have a deadline");
        be.handle_timeout(deadline);
        assert_eq!(be.poll_rejected().map(|(req, _)| req), Some(1), "FIFO: oldest first");
        assert_eq!(be.poll_dispatch(), None);
    }

    /// back_handle_st_cer + stream_choose_redispatch (2.6): decision table.
    #[test]
    fn retries_and_redispatch_table() {
        use RetryDecision::*;
        let ms = SimDuration::from_millis;
        struct Case {
            algo: Algorithm,
            redispatch: Option<i32>,
            attempt: u32,
            cause: ConnectFailure,
            want: RetryDecision,
        }
        let rr = Algorithm::RoundRobin;
        let lc = Algorithm::LeastConn;
        let sh = Algorithm::Source;
        let refused = ConnectFailure::Refused;
        let timeout = ConnectFailure::Timeout;
        let cases = [
            // no redispatch: same server, turn-around min(timeout connect=200ms, 1s) on refusal
            Case {
                algo: rr,
                redispatch: None,
                attempt: 1,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(200),
                },
            },
            Case {
                algo: rr,
                redispatch: None,
                attempt: 3,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(200),
                },
            },
            Case {
                algo: rr,
                redispatch: None,
                attempt: 1,
                cause: timeout,
                want: Retry {
                    server: 0,
                    after: ms(0),
                },
            },
            Case {
                algo: rr,
                redispatch: None,
                attempt: 4,
                cause: refused,
                want: Fail(RejectReason::RetriesExhausted),
            },
            // roundrobin + redispatch with 2 active servers: every retry redispatches at once
            Case {
                algo: rr,
                redispatch: Some(-1),
                attempt: 1,
                cause: refused,
                want: Retry {
                    server: 1,
                    after: ms(0),
                },
            },
            Case {
                algo: rr,
                redispatch: Some(-1),
                attempt: 4,
                cause: refused,
                want: Fail(RejectReason::RetriesExhausted),
            },
            // leastconn (every algorithm but source) + redispatch with 2 active servers:
            // every retry redispatches at once [live 2.6.12]
            Case {
                algo: lc,
                redispatch: Some(-1),
                attempt: 1,
                cause: refused,
                want: Retry {
                    server: 1,
                    after: ms(0),
                },
            },
            // source: -1 = on the last retry (3rd), without the turn-around (2 active servers);
            // the hash maps the request to the same server again [live 2.6.12]
            Case {
                algo: sh,
                redispatch: Some(-1),
                attempt: 2,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(200),
                },
            },
            Case {
                algo: sh,
                redispatch: Some(-1),
                attempt: 3,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(0),
                },
            },
            // every 2nd retry
            Case {
                algo: sh,
                redispatch: Some(2),
                attempt: 1,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(200),
                },
            },
            Case {
                algo: sh,
                redispatch: Some(2),
                attempt: 2,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(0),
                },
            },
            // -2: second retry before the last: retries 3 -> 3+1-2 = 2 -> k % 2
            Case {
                algo: sh,
                redispatch: Some(-2),
                attempt: 2,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(0),
                },
            },
            Case {
                algo: sh,
                redispatch: Some(-2),
                attempt: 3,
                cause: refused,
                want: Retry {
                    server: 0,
                    after: ms(200),
                },
            },
            // 0 disables
            Case {
                algo: rr,
                redispatch: Some(0),
                attempt: 1,
                cause: timeout,
                want: Retry {
                    server: 0,
                    after: ms(0),
                },
            },
        ];
        for (i, c) in cases.iter().enumerate() {
            let mut s = spec(c.algo, vec![srv(1), srv(1)]);
            s.redispatch = c.redispatch;
            s.timeout_connect = ms(200);
            let mut be = Backend::new(s);
            let mut r = rng();
            assert_eq!(be.handle_request(T0, 7, 0, &mut r), Decision::Dispatch(0));
            let got = be.handle_connect_failure_with(T0, 7, 0, c.attempt, 0, c.cause, &mut r);
            assert_eq!(got, c.want, "case {i}");
            let (s0, s1) = (be.served(0), be.served(1));
            match got {
                Retry { server: 0, .. } => assert_eq!((s0, s1), (1, 0), "slot kept, case {i}"),
                Retry { server: 1, .. } => assert_eq!((s0, s1), (0, 1), "case {i}"),
                _ => assert_eq!((s0, s1), (0, 0), "slot freed, case {i}"),
            }
        }
    }

    /// Turn-around = min(timeout connect, 1s); unset (0) timeout connect -> 1s. A DOWN
    /// server with redispatch redispatches; a single active server waits even then.
    #[test]
    fn turn_around_and_down_server_redispatch() {
        let mut r = rng();
        for (tc, want) in [(5000, 1000), (0, 1000), (300, 300)] {
            let mut s = spec(Algorithm::RoundRobin, vec![srv(1)]);
            s.timeout_connect = SimDuration::from_millis(tc);
            let mut be = Backend::new(s);
            be.handle_request(T0, 0, 0, &mut r);
            assert_eq!(
                be.handle_connect_failure(T0, 0, 0, 1, 0, &mut r),
                RetryDecision::Retry {
                    server: 0,
                    after: SimDuration::from_millis(want)
                }
            );
        }
        // first + redispatch: server marked DOWN -> redispatch after turn-around (kind CB)
        let mut s = spec(Algorithm::First, vec![srv(1), srv(1)]);
        s.redispatch = Some(-1);
        let mut be = Backend::new(s);
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        be.handle_server_state(T0, 0, false);
        assert_eq!(
            be.handle_connect_failure(T0, 0, 0, 1, 0, &mut r),
            RetryDecision::Redispatch {
                after: SimDuration::from_secs(1)
            }
        );
        assert_eq!(be.handle_redispatch(T0, 0, 0, 0, &mut r), Decision::Dispatch(1));
        // roundrobin, one active left: redispatch still waits (srv_act <= 1)
        let mut s = spec(Algorithm::RoundRobin, vec![srv(1), srv(1)]);
        s.redispatch = Some(1);
        let mut be = Backend::new(s);
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        be.handle_server_state(T0, 0, false);
        assert_eq!(
            be.handle_connect_failure(T0, 0, 0, 1, 0, &mut r),
            RetryDecision::Redispatch {
                after: SimDuration::from_secs(1)
            }
        );
        // a failed attempt's freed slot first serves the queue (process_srv_queue)
        let mut s = spec(Algorithm::RoundRobin, vec![srv_mc(1, 1)]);
        s.retries = 0;
        let mut be = Backend::new(s);
        be.handle_request(T0, 0, 0, &mut r);
        assert_eq!(be.handle_request(T0, 1, 0, &mut r), Decision::Queued);
        assert_eq!(
            be.handle_connect_failure(T0, 0, 0, 1, 0, &mut r),
            RetryDecision::Fail(RejectReason::RetriesExhausted)
        );
        assert_eq!(be.poll_dispatch(), Some((1, 0)));
    }

    /// Admin states: drain stops new picks but its own queue is still served; maint takes the
    /// server out and (with redispatch) moves its queue; ready brings it back and it grabs the
    /// backend queue. `disabled` starts in maint; `id` orders `first`.
    #[test]
    fn admin_states_disabled_and_ids() {
        let mut r = rng();
        let mut s = spec(Algorithm::RoundRobin, vec![srv_mc(1, 1), srv_mc(1, 1)]);
        s.redispatch = Some(-1);
        let mut be = Backend::new(s);
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        assert_eq!(be.handle_request(T0, 1, 0, &mut r), Decision::Dispatch(1));
        assert_eq!(be.handle_request(T0, 2, 0, &mut r), Decision::Queued);
        be.handle_admin_state(T0, 0, AdminState::Drain);
        assert_eq!(be.admin_state(0), AdminState::Drain);
        be.handle_done(T0, 0);
        // the backend queue is not served by a draining server
        assert_eq!(be.poll_dispatch(), None);
        be.handle_done(T0, 1);
        assert_eq!(be.poll_dispatch(), Some((2, 1)));
        assert_eq!(be.handle_request(T0, 3, 0, &mut r), Decision::Queued);
        be.handle_admin_state(T0, 0, AdminState::Ready);
        assert_eq!(be.poll_dispatch(), Some((3, 0)), "ready grabs the backend queue");
        be.handle_admin_state(T0, 1, AdminState::Maint);
        assert_eq!(be.handle_request(T0, 4, 0, &mut r), Decision::Queued);
        be.handle_done(T0, 0);
        assert_eq!(be.poll_dispatch(), Some((4, 0)));
        // disabled + ids
        let mut s = spec(Algorithm::First, vec![srv(1), srv(1), srv(1)]);
        s.servers[0].id = Some(2);
        s.servers[1].disabled = true;
        let mut be = Backend::new(s);
        assert_eq!(be.admin_state(1), AdminState::Maint);
        // ids: s0 = 2, s1 = 1 (automatic, in maint), s2 = 3
        assert_eq!(be.handle_request(T0, 0, 0, &mut r), Decision::Dispatch(0));
        be.handle_admin_state(T0, 1, AdminState::Ready);
        assert_eq!(be.handle_request(T0, 1, 0, &mut r), Decision::Dispatch(1));
    }

    /// `set server ... weight`: a dynamic algorithm takes the new weight at once (shares over
    /// whole rounds follow it), 0 takes the server out like drain, and a static algorithm
    /// refuses anything but 0 and the configured weight (HAProxy 2.6's messages).
    #[test]
    fn runtime_weight_changes() {
        let mut r = rng();
        let count = |be: &mut Backend, n: u64, r: &mut ChaCha8Rng| {
            let mut c = [0u32; 3];
            for i in 0..n {
                let Decision::Dispatch(s) = be.handle_request(T0, i, i, r) else {
                    panic!("no server")
                };
                be.handle_done(T0, s);
                c[s] += 1;
            }
            c
        };
        for algorithm in [Algorithm::RoundRobin, Algorithm::LeastConn] {
            let mut be = Backend::new(spec(algorithm, vec![srv(1), srv(1), srv(1)]));
            assert_eq!(count(&mut be, 30, &mut r), [10, 10, 10]);
            be.handle_weight(T0, 0, 3).unwrap();
            // leastconn with no connection in flight rotates, whatever the weights (fwlc key 0)
            let want = if algorithm == Algorithm::RoundRobin {
                [300, 100, 100]
            } else {
                [167, 167, 166]
            };
            let got = count(&mut be, 500, &mut r);
            assert!(
                got.iter().zip(want).all(|(&g, w)| g.abs_diff(w) <= 1),
                "{algorithm:?}: {got:?}"
            );
            be.handle_weight(T0, 1, 0).unwrap();
            let got = count(&mut be, 40, &mut r);
            assert_eq!(got[1], 0, "{algorithm:?}: weight 0 takes no new request");
            be.handle_weight(T0, 1, 1).unwrap();
            assert!(
                count(&mut be, 40, &mut r)[1] > 0,
                "{algorithm:?}: weight 1 brings it back"
            );
            assert_eq!(be.handle_weight(T0, 0, 257), Err(WeightError::OutOfRange(257)));
        }
        // static: only 0 and the configured weight; 0 remaps without the server
        let mut be = Backend::new(spec(Algorithm::StaticRr, vec![srv(2), srv(1), srv(1)]));
        assert_eq!(be.handle_weight(T0, 0, 3), Err(WeightError::StaticAlgorithm(3)));
        be.handle_weight(T0, 0, 0).unwrap();
        assert_eq!(count(&mut be, 20, &mut r), [0, 10, 10]);
        be.handle_weight(T0, 0, 2).unwrap();
        assert_eq!(count(&mut be, 40, &mut r), [20, 10, 10]);
        // during slowstart the new weight takes the current warm-up step (1/16 at the UP)
        let mut sp = spec(Algorithm::RoundRobin, vec![srv(8), srv(8), srv(8)]);
        sp.servers[0].slowstart = SimDuration::from_secs(4);
        let mut be = Backend::new(sp);
        be.handle_server_state(T0, 0, false);
        be.handle_server_state(T0, 0, true);
        be.handle_weight(T0, 0, 16).unwrap();
        assert_eq!(be.servers[0].eweight, 16, "step 1 of 16 of weight 16");
        let t = T0 + SimDuration::from_secs(4);
        while let Some(d) = be.poll_timeout().filter(|&d| d <= t) {
            be.handle_timeout(d);
        }
        assert_eq!(
            be.servers[0].eweight,
            16 * BE_WEIGHT_SCALE,
            "full weight after the warm-up"
        );
    }

    /// fwrr_get_next_server skips saturated servers and requeues them.
    #[test]
    fn roundrobin_skips_full_servers() {
        let mut r = rng();
        let mut be = Backend::new(spec(Algorithm::RoundRobin, vec![srv_mc(1, 1), srv(1), srv(1)]));
        let picks: Vec<_> = (0..7)
            .map(|i| match be.handle_request(T0, i, 0, &mut r) {
                Decision::Dispatch(s) => s,
                d => panic!("{d:?}"),
            })
            .collect();
        assert_eq!(picks[0], 0);
        assert!(picks[1..].iter().all(|&s| s != 0), "{picks:?}");
        assert_eq!(picks[1..].iter().filter(|&&s| s == 1).count(), 3);
    }

    /// Shares counted from `n` sequential picks (each request done before the next; request i
    /// has client key i, so `balance source` sees the keys 0..n).
    fn picked_shares(be: &mut Backend, n: usize) -> Vec<f64> {
        let mut count = vec![0.0; be.num_servers()];
        for name in seq(be, n) {
            let s: usize = name[1..].parse().expect("s<k>");
            count[s - 1] += 1.0 / n as f64;
        }
        count
    }

    fn assert_shares(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    /// `routing_shares` against the machine's own picks over whole cycles, for every
    /// deterministic algorithm, with weight 0, a server DOWN and backups.
    #[test]
    fn routing_shares_match_the_picks() {
        use Algorithm::*;
        /// (algorithm, weights, servers DOWN, shares)
        type Row = (Algorithm, &'static [u32], &'static [usize], &'static [f64]);
        let table: &[Row] = &[
            (RoundRobin, &[1, 1, 1], &[], &[1. / 3., 1. / 3., 1. / 3.]),
            (RoundRobin, &[3, 2, 1], &[], &[0.5, 1. / 3., 1. / 6.]),
            (RoundRobin, &[0, 1, 1], &[], &[0.0, 0.5, 0.5]),
            (RoundRobin, &[3, 2, 1], &[0], &[0.0, 2. / 3., 1. / 3.]),
            (StaticRr, &[3, 2, 1], &[], &[0.5, 1. / 3., 1. / 6.]),
            (StaticRr, &[0, 1, 1], &[2], &[0.0, 1.0, 0.0]),
            (Source, &[3, 2, 1], &[], &[0.5, 1. / 3., 1. / 6.]),
            (Source, &[1, 1, 1], &[1], &[0.5, 0.0, 0.5]),
            (LeastConn, &[3, 2, 1], &[], &[1. / 3., 1. / 3., 1. / 3.]),
            (LeastConn, &[0, 2, 1], &[], &[0.0, 0.5, 0.5]),
            (First, &[1, 1, 1], &[], &[1.0, 0.0, 0.0]),
            (First, &[0, 1, 1], &[1], &[0.0, 0.0, 1.0]),
        ];
        for &(algorithm, weights, down, want) in table {
            let mut be = Backend::new(spec(algorithm, weights.iter().map(|&w| srv(w)).collect()));
            for &s in down {
                be.handle_server_state(T0, s, false);
            }
            let shares = be.routing_shares(600, &[]).unwrap();
            assert_shares(&shares, want);
            assert_shares(&picked_shares(&mut be, 600), want);
        }
        // Backups: the first usable backup alone, or all of them with `option allbackup`.
        for allbackup in [false, true] {
            let mut s = spec(RoundRobin, vec![srv(1), bck(1), bck(3)]);
            s.allbackup = allbackup;
            let mut be = Backend::new(s);
            assert_shares(&be.routing_shares(1, &[]).unwrap(), &[1.0, 0.0, 0.0]);
            be.handle_server_state(T0, 0, false);
            let want: &[f64] = if allbackup {
                &[0.0, 0.25, 0.75]
            } else {
                &[0.0, 1.0, 0.0]
            };
            assert_shares(&be.routing_shares(1, &[]).unwrap(), want);
            assert_shares(&picked_shares(&mut be, 400), want);
            be.handle_server_state(T0, 1, false);
            be.handle_server_state(T0, 2, false);
            assert_shares(&be.routing_shares(1, &[]).unwrap(), &[0.0; 3]);
        }
        // `first` with maxconn: the spill-over depends on the load.
        let be = Backend::new(spec(First, vec![srv_mc(1, 2), srv_mc(1, 2)]));
        assert_eq!(be.routing_shares(1, &[]), Err(SharesError::FirstWithMaxconn));
    }

    /// `random`: the shares are the ring's hash-space ownership; 400,000 idle picks (two draws
    /// each) land within 5 standard deviations of them.
    #[test]
    fn random_routing_shares_match_the_picks() {
        let mut be = Backend::new(spec(
            Algorithm::Random { draws: 2 },
            vec![srv(3), srv(2), srv(0), srv(1)],
        ));
        let shares = be.routing_shares(1, &[]).unwrap();
        assert_eq!(shares[2], 0.0, "weight 0 is never picked");
        let n = 400_000;
        let mut r = rng();
        let mut count = [0u64; 4];
        for i in 0..n {
            match be.handle_request(T0, i, 0, &mut r) {
                Decision::Dispatch(s) => {
                    count[s] += 1;
                    be.handle_done(T0, s);
                }
                d => panic!("{d:?}"),
            }
        }
        for s in 0..4 {
            let want = shares[s] * n as f64;
            let sd = (n as f64 * shares[s] * (1.0 - shares[s])).sqrt();
            assert!(
                (count[s] as f64 - want).abs() <= 5.0 * sd + 1e-9,
                "{count:?} vs {shares:?}"
            );
        }
    }
}
