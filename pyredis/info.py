"""INFO: the sections of Redis's INFO reply, in Redis's order and line format.

Each section is a function of the server returning its "field:value" lines; `SECTIONS`
lists them with their title and whether plain INFO (the "default" set) shows them. A
feature that owns figures of its own (persistence, replication ...) replaces its section's
function with `register_section`.
"""
from __future__ import annotations

import itertools
import os
import platform
import random
import re
import resource
import struct
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Iterable

from . import BUILD, commands
from .blocking import blocked_clients_with_timeout
from .client import FLAG_REPLICA
from .sizes import CLUSTER_ENTRY_METADATA, DICT_ENTRY, POINTER, ROBJ
from .replication import ONLINE, STATE_NAMES

if TYPE_CHECKING:
    from .db import Database
    from .server import Server

SectionFn = Callable[["Server"], list[str]]


@dataclass
class Section:
    name: str          # what INFO <section> asks for
    title: str         # its header ("# Server")
    build: SectionFn
    default: bool      # shown by plain INFO and INFO default


SECTIONS: list[Section] = []


def info_section(name: str, title: str, default: bool = True) -> Callable[[SectionFn],
                                                                              SectionFn]:
    def register(build: SectionFn) -> SectionFn:
        register_section(name, build, title, default)
        return build
    return register


def register_section(name: str, build: SectionFn, title: str = "",
                     default: bool = True) -> None:
    """Add a section, or replace the one of that name (keeping its place)."""
    for section in SECTIONS:
        if section.name == name:
            section.build = build
            return
    SECTIONS.append(Section(name, title or name.capitalize(), build, default))


def generate(server: "Server", args: list[bytes]) -> bytes:
    """The INFO text for `INFO arg ...`: sections by name (any case), "default", "all"
    (every section) and "everything" (all, and module sections: pyredis has none)."""
    wanted: set[str] = set()
    everything = False
    if not args:
        wanted = {s.name for s in SECTIONS if s.default}
    for arg in args:
        word = arg.decode(errors="replace").lower()
        if word == "default":
            wanted |= {s.name for s in SECTIONS if s.default}
        elif word in ("all", "everything"):
            everything = True
        else:
            wanted.add(word)
    if "module_list" in wanted:
        wanted.add("modules")
    blocks = []
    for section in SECTIONS:
        if everything or section.name in wanted:
            lines = [f"# {section.title}"] + section.build(server)
            blocks.append("".join(line + "\r\n" for line in lines))
    return "\r\n".join(blocks).encode(errors="surrogateescape")


def bytes_to_human(n: int) -> str:
    """Redis's bytesToHuman: 1.50K, 2.00M ..."""
    if n < 1024:
        return f"{n}B"
    for power, unit in enumerate("KMGTP", 1):
        if n < 1024 ** (power + 1):
            return "%.2f%s" % (n / 1024 ** power, unit)
    return f"{n}B"


def safe_name(name: str) -> str:
    """Names in INFO lines may not contain the characters of its format."""
    for ch in "#:\n\r":
        name = name.replace(ch, "_")
    return name


def _cpu(seconds: float) -> str:
    usec = int(round(seconds * 1_000_000))
    return "%d.%06d" % (usec // 1_000_000, usec % 1_000_000)


def _trim_double(value: float) -> str:
    text = "%f" % value
    return text.rstrip("0").rstrip(".") if "." in text else text


BUILD_ID = "a9c3e5d70f2b1846"


def _gcc_version() -> str:
    """The GCC that built the interpreter running the server ("GCC 12.2.0"), as Redis names
    the one that built it; 0.0.0 for another compiler, as Redis says for one not GCC."""
    found = re.search(r"GCC (\d+)\.(\d+)\.(\d+)", platform.python_compiler())
    return ".".join(found.groups()) if found else "0.0.0"


_GCC_VERSION = _gcc_version()
_UNAME = os.uname()


@info_section("server", "Server")
def server_section(server: "Server") -> list[str]:
    from .server import REDIS_VERSION
    config = server.config
    now = server.clock.time()
    uptime = int(now - server.start_time)
    lines = [
        f"redis_version:{REDIS_VERSION}",
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        f"redis_build_id:{BUILD_ID}",
        f"redis_mode:{'cluster' if config.cluster_enabled else 'standalone'}",
        f"pyredis_build:{BUILD}",   # pyredis's own: mypyc (compiled hot path) or pure
        f"os:{_UNAME.sysname} {_UNAME.release} {_UNAME.machine}",
        f"arch_bits:{64 if sys.maxsize > 2**32 else 32}",
        "monotonic_clock:POSIX clock_gettime",
        f"multiplexing_api:{_multiplexing_api(server)}",
        f"atomicvar_api:{platform.python_implementation().lower()}-gil",
        f"gcc_version:{_GCC_VERSION}",
        f"process_id:{os.getpid()}",
        "process_supervised:no",
        f"run_id:{server.run_id}",
        f"tcp_port:{config.port}",
        f"server_time_usec:{server.clock.us()}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{server.hz}",
        f"configured_hz:{config.hz}",
        f"lru_clock:{int(now) & (2**24 - 1)}",
        f"executable:{os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ''}",
        f"config_file:{os.path.abspath(config.config_file) if config.config_file else ''}",
        f"io_threads_active:{int(server.io_threads.active)}",
    ]
    if server.shutdown_deadline:
        left = int((server.shutdown_deadline - time.monotonic()) * 1000)
        lines.append(f"shutdown_in_milliseconds:{left}")
    return lines


def _multiplexing_api(server: "Server") -> str:
    return server.reactor.api_name


@info_section("clients", "Clients")
def clients_section(server: "Server") -> list[str]:
    clients = list(server.clients.values())
    blocked = sum(1 for c in clients if c.blocked is not None or c.paused)
    timeouts = blocked_clients_with_timeout(server)
    return [
        # Replicas are not counted, as Redis's.
        f"connected_clients:{len(clients) - len(server.replication.replicas)}",
        "cluster_connections:0",
        f"maxclients:{server.config.maxclients}",
        f"client_recent_max_input_buffer:{max((c.parser.pending() for c in clients), default=0)}",
        f"client_recent_max_output_buffer:{max((c.reply_bytes for c in clients), default=0)}",
        f"blocked_clients:{blocked}",
        f"tracking_clients:{server.tracking.clients}",
        f"clients_in_timeout_table:{timeouts}",
    ]


def _total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


@dataclass
class DbOverhead:
    index: int
    main: int             # the keys' table: entries, buckets and value headers
    expires: int          # the expiry table
    slot_to_keys: int     # cluster mode's per-key slot links


@dataclass
class MemoryOverhead:
    """The server's memory, split as Redis's getMemoryOverheadData splits it, for INFO memory,
    MEMORY STATS and MEMORY DOCTOR.

    The allocated total is the server's used_memory (Server.used_memory: the interpreter's
    heap at startup plus the keys priced as Redis's structures, kept as they are written),
    what maxmemory compares with; pyredis has no allocator of its own to ask for active or
    resident figures, so they equal it, and the whole difference with the process's
    resident set shows as RSS overhead and fragmentation. The overheads are Redis's own
    estimates from the sizes of its structures (a table entry, a bucket, a value header)
    applied to pyredis's counts, and what the clients' buffers and the scripts hold; the
    dataset is the rest."""
    total_allocated: int
    startup_allocated: int
    peak_allocated: int
    repl_backlog: int
    clients_slaves: int
    clients_normal: int
    cluster_links: int
    aof_buffer: int
    lua_caches: int
    functions_caches: int
    dbs: list[DbOverhead]
    overhead_total: int
    total_keys: int
    dataset: int
    dataset_perc: float
    peak_perc: float
    bytes_per_key: int
    allocator_allocated: int
    allocator_active: int
    allocator_resident: int
    process_rss: int

    @property
    def allocator_frag(self) -> float:
        return self.allocator_active / self.allocator_allocated

    @property
    def allocator_frag_bytes(self) -> int:
        return self.allocator_active - self.allocator_allocated

    @property
    def allocator_rss(self) -> float:
        return self.allocator_resident / self.allocator_active

    @property
    def allocator_rss_bytes(self) -> int:
        return self.allocator_resident - self.allocator_active

    @property
    def rss_extra(self) -> float:
        return self.process_rss / self.allocator_resident

    @property
    def rss_extra_bytes(self) -> int:
        return self.process_rss - self.allocator_resident

    @property
    def total_frag(self) -> float:
        return self.process_rss / self.total_allocated

    @property
    def total_frag_bytes(self) -> int:
        return self.process_rss - self.total_allocated


def float32(value: float) -> float:
    """Redis keeps these percentages and ratios in C floats: the same rounding."""
    return struct.unpack("f", struct.pack("f", value))[0]


def memory_overhead(server: "Server") -> MemoryOverhead:
    server.refresh_buffers_memory()
    used = server.used_memory()
    server.peak_memory = max(server.peak_memory, used)
    startup = server.startup_memory
    lua = server.scripting.memory_info()
    clients_normal = 0
    for c in server.clients.values():
        if FLAG_REPLICA not in c.flags:
            clients_normal += c.reply_bytes + c.parser.pending() + c.parser.partial_args_size()
    lua_caches = lua["used_memory_scripts_eval"]
    functions_caches = lua["used_memory_functions"]
    # The replicas' output buffers are the replication buffer: what it holds past
    # repl-backlog-size is theirs, the rest the backlog's.
    backlog = server.replication.buffer_memory()
    clients_slaves = 0
    if server.replication.replicas and backlog > server.config.repl_backlog_size:
        clients_slaves = backlog - server.config.repl_backlog_size
        backlog = server.config.repl_backlog_size
    overhead = startup + clients_normal + backlog + clients_slaves + lua_caches \
        + functions_caches
    per_key_cluster = CLUSTER_ENTRY_METADATA if server.config.cluster_enabled else 0
    dbs = []
    total_keys = 0
    for db in server.dbs:
        keys = len(db.data)
        if not keys:
            continue
        total_keys += keys
        expires = len(db.expires)
        row = DbOverhead(db.index,
                         keys * (DICT_ENTRY + ROBJ) + db.buckets * POINTER,
                         expires * DICT_ENTRY + db.expire_buckets * POINTER,
                         keys * per_key_cluster)
        overhead += row.main + row.expires + row.slot_to_keys
        dbs.append(row)
    net = used - startup if used > startup else 1
    dataset = max(used - overhead, 0)
    rss = server.resident_memory()
    return MemoryOverhead(
        total_allocated=used, startup_allocated=startup, peak_allocated=server.peak_memory,
        repl_backlog=backlog, clients_slaves=clients_slaves,
        clients_normal=clients_normal, cluster_links=0,
        aof_buffer=0, lua_caches=lua_caches, functions_caches=functions_caches, dbs=dbs,
        overhead_total=overhead, total_keys=total_keys, dataset=dataset,
        dataset_perc=float32(dataset * 100 / net),
        peak_perc=float32(used * 100 / server.peak_memory),
        bytes_per_key=net // total_keys if total_keys else 0,
        allocator_allocated=used, allocator_active=used, allocator_resident=used,
        process_rss=rss)


def allocator_name() -> str:
    """mem_allocator: CPython's small-object allocator, unless PYTHONMALLOC chose libc's."""
    return "libc" if os.environ.get("PYTHONMALLOC", "").startswith("malloc") else "pymalloc"


@info_section("memory", "Memory")
def memory_section(server: "Server") -> list[str]:
    config = server.config
    mh = memory_overhead(server)
    used = mh.total_allocated
    peak = mh.peak_allocated
    total = _total_system_memory()
    lua = server.scripting.memory_info()
    return [
        f"used_memory:{used}",
        f"used_memory_human:{bytes_to_human(used)}",
        f"used_memory_rss:{mh.process_rss}",
        f"used_memory_rss_human:{bytes_to_human(mh.process_rss)}",
        f"used_memory_peak:{peak}",
        f"used_memory_peak_human:{bytes_to_human(peak)}",
        "used_memory_peak_perc:%.2f%%" % mh.peak_perc,
        f"used_memory_overhead:{mh.overhead_total}",
        f"used_memory_startup:{mh.startup_allocated}",
        f"used_memory_dataset:{mh.dataset}",
        "used_memory_dataset_perc:%.2f%%" % mh.dataset_perc,
        f"allocator_allocated:{mh.allocator_allocated}",
        f"allocator_active:{mh.allocator_active}",
        f"allocator_resident:{mh.allocator_resident}",
        f"total_system_memory:{total}",
        f"total_system_memory_human:{bytes_to_human(total)}",
        f"used_memory_lua:{lua['used_memory_lua']}",
        f"used_memory_vm_eval:{lua['used_memory_vm_eval']}",
        f"used_memory_lua_human:{bytes_to_human(lua['used_memory_lua'])}",
        f"used_memory_scripts_eval:{lua['used_memory_scripts_eval']}",
        f"number_of_cached_scripts:{lua['number_of_cached_scripts']}",
        f"number_of_functions:{lua['number_of_functions']}",
        f"number_of_libraries:{lua['number_of_libraries']}",
        f"used_memory_vm_functions:{lua['used_memory_vm_functions']}",
        f"used_memory_vm_total:{lua['used_memory_vm_total']}",
        f"used_memory_vm_total_human:{bytes_to_human(lua['used_memory_vm_total'])}",
        f"used_memory_functions:{lua['used_memory_functions']}",
        f"used_memory_scripts:{lua['used_memory_scripts']}",
        f"used_memory_scripts_human:{bytes_to_human(lua['used_memory_scripts'])}",
        f"maxmemory:{config.maxmemory}",
        f"maxmemory_human:{bytes_to_human(config.maxmemory)}",
        f"maxmemory_policy:{config.maxmemory_policy}",
        "allocator_frag_ratio:%.2f" % mh.allocator_frag,
        f"allocator_frag_bytes:{mh.allocator_frag_bytes}",
        "allocator_rss_ratio:%.2f" % mh.allocator_rss,
        f"allocator_rss_bytes:{mh.allocator_rss_bytes}",
        "rss_overhead_ratio:%.2f" % mh.rss_extra,
        f"rss_overhead_bytes:{mh.rss_extra_bytes}",
        "mem_fragmentation_ratio:%.2f" % mh.total_frag,
        f"mem_fragmentation_bytes:{mh.total_frag_bytes}",
        f"mem_not_counted_for_evict:{server.replication.memory_not_counted()}",
        f"mem_replication_backlog:{mh.repl_backlog}",
        f"mem_total_replication_buffers:{server.replication.buffer_memory()}",
        f"mem_clients_slaves:{mh.clients_slaves}",
        f"mem_clients_normal:{mh.clients_normal}",
        f"mem_cluster_links:{mh.cluster_links}",
        f"mem_aof_buffer:{mh.aof_buffer}",
        f"mem_allocator:{allocator_name()}",
        "active_defrag_running:0",
        f"lazyfree_pending_objects:{server.lazyfree.pending}",
        f"lazyfreed_objects:{server.stats.lazyfreed_objects}",
    ]


@info_section("persistence", "Persistence")
def persistence_section(server: "Server") -> list[str]:
    """RDB figures from the snapshots, then the AOF's."""
    rdb = server.snapshots
    current = int(time.time() - rdb.child_started) if rdb.in_progress() else -1
    return [
        f"loading:{int(server.loading and not server.async_loading)}",
        f"async_loading:{int(server.async_loading)}",
        f"current_cow_peak:{rdb.cow_peak}",
        f"current_cow_size:{rdb.cow_size}",
        f"current_cow_size_age:{int(time.time() - rdb.cow_updated) if rdb.cow_updated else 0}",
        "current_fork_perc:%.2f" % (rdb.keys_processed * 100 / rdb.keys_total
                                    if rdb.keys_total else 0),
        f"current_save_keys_processed:{rdb.keys_processed}",
        f"current_save_keys_total:{rdb.keys_total}",
        f"rdb_changes_since_last_save:{server.keyspace.dirty}",
        f"rdb_bgsave_in_progress:{int(rdb.in_progress())}",
        f"rdb_last_save_time:{server.lastsave}",
        f"rdb_last_bgsave_status:{'ok' if rdb.last_bgsave_ok else 'err'}",
        f"rdb_last_bgsave_time_sec:{rdb.last_bgsave_seconds}",
        f"rdb_current_bgsave_time_sec:{current}",
        f"rdb_saves:{rdb.saves}",
        f"rdb_last_cow_size:{rdb.last_cow_size}",
        f"rdb_last_load_keys_expired:{rdb.last_load_expired}",
        f"rdb_last_load_keys_loaded:{rdb.last_load_loaded}",
        *server.aof.info_fields(),
        *(loading_fields(server) if server.loading else []),
    ]


def loading_fields(server: "Server") -> list[str]:
    """The progress of a load under way: a share of its size when known, else of the
    memory the data used where it was saved (a payload framed with an EOF mark), and an
    ETA from the pace so far."""
    total, done = server.loading_total_bytes, server.loading_loaded_bytes
    used_mem = server.loading_rdb_used_mem
    perc, remaining = 0.0, 1
    if total:
        perc, remaining = done / total * 100, total - done
    elif used_mem:
        perc, remaining = min(done / used_mem * 100, 99.99), max(used_mem - done, 1)
    elapsed = int(time.time()) - int(server.loading_start_time)
    eta = elapsed * remaining // (done + 1) if elapsed else 1
    return [f"loading_start_time:{int(server.loading_start_time)}",
            f"loading_total_bytes:{total}",
            f"loading_rdb_used_mem:{used_mem}",
            f"loading_loaded_bytes:{done}",
            f"loading_loaded_perc:{perc:.2f}",
            f"loading_eta_seconds:{eta}"]


@info_section("stats", "Stats")
def stats_section(server: "Server") -> list[str]:
    stats = server.stats
    pubsub = server.pubsub
    tracking = server.tracking
    return [
        f"total_connections_received:{stats.connections_received}",
        f"total_commands_processed:{stats.commands_processed}",
        f"instantaneous_ops_per_sec:{int(stats.instantaneous(1))}",
        f"total_net_input_bytes:{stats.net_input_bytes + stats.net_repl_input_bytes}",
        f"total_net_output_bytes:{stats.net_output_bytes + stats.net_repl_output_bytes}",
        f"total_net_repl_input_bytes:{stats.net_repl_input_bytes}",
        f"total_net_repl_output_bytes:{stats.net_repl_output_bytes}",
        "instantaneous_input_kbps:%.2f" % (stats.instantaneous(2) / 1024),
        "instantaneous_output_kbps:%.2f" % (stats.instantaneous(3) / 1024),
        "instantaneous_input_repl_kbps:%.2f" % (stats.instantaneous(4) / 1024),
        "instantaneous_output_repl_kbps:%.2f" % (stats.instantaneous(5) / 1024),
        f"rejected_connections:{stats.rejected_connections}",
        f"sync_full:{server.replication.sync_full}",
        f"sync_partial_ok:{server.replication.sync_partial_ok}",
        f"sync_partial_err:{server.replication.sync_partial_err}",
        f"expired_keys:{stats.expired_keys}",
        "expired_stale_perc:%.2f" % (stats.expired_stale_perc * 100),
        f"expired_time_cap_reached_count:{stats.expired_time_cap_reached_count}",
        f"expire_cycle_cpu_milliseconds:{stats.expire_cycle_time_used // 1000}",
        f"evicted_keys:{stats.evicted_keys}",
        f"evicted_clients:{stats.evicted_clients}",
        "total_eviction_exceeded_time:0",
        "current_eviction_exceeded_time:0",
        f"keyspace_hits:{stats.keyspace_hits}",
        f"keyspace_misses:{stats.keyspace_misses}",
        f"pubsub_channels:{len(pubsub.channels)}",
        f"pubsub_patterns:{len(pubsub.patterns)}",
        f"pubsubshard_channels:{len(pubsub.shard_channels)}",
        f"latest_fork_usec:{server.snapshots.last_fork_usec}",
        f"total_forks:{server.snapshots.forks}",
        f"migrate_cached_sockets:{len(server.migrate_sockets)}",
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        f"tracking_total_keys:{len(tracking.table)}",
        f"tracking_total_items:{tracking.items}",
        f"tracking_total_prefixes:{len(tracking.prefixes)}",
        f"unexpected_error_replies:{stats.unexpected_error_replies}",
        f"total_error_replies:{stats.error_replies}",
        "dump_payload_sanitizations:0",
        f"total_reads_processed:{stats.reads_processed}",
        f"total_writes_processed:{stats.writes_processed}",
        f"io_threaded_reads_processed:{stats.io_threaded_reads_processed}",
        f"io_threaded_writes_processed:{stats.io_threaded_writes_processed}",
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


@info_section("replication", "Replication")
def replication_section(server: "Server") -> list[str]:
    """A master, its replicas and its backlog."""
    config = server.config
    replication = server.replication
    replica = server.replica
    lines = ["role:slave", *replica.info_lines()] if replica.active else ["role:master"]
    lines.append(f"connected_slaves:{len(replication.replicas)}")
    if config.min_replicas_to_write and config.min_replicas_max_lag:
        lines.append(f"min_slaves_good_slaves:{replication.good_replicas}")
    now = int(time.time())
    for i, link in enumerate(replication.replicas):
        ip = link.announced_ip or link.client.addr.rsplit(":", 1)[0].strip("[]")
        lag = now - int(link.ack_time) if link.state == ONLINE else 0
        lines.append(f"slave{i}:ip={ip},port={link.listening_port},"
                     f"state={STATE_NAMES[link.state]},offset={link.ack_offset},lag={lag}")
    backlog = replication.backlog
    lines += [
        f"master_failover_state:{replication.failover_state}",
        f"master_replid:{server.replid}",
        f"master_replid2:{replication.replid2}",
        f"master_repl_offset:{replication.master_repl_offset}",
        f"second_repl_offset:{replication.second_replid_offset}",
        f"repl_backlog_active:{int(backlog is not None)}",
        f"repl_backlog_size:{config.repl_backlog_size}",
        f"repl_backlog_first_byte_offset:{backlog.first_offset if backlog else 0}",
        f"repl_backlog_histlen:{backlog.histlen if backlog else 0}",
    ]
    return lines


@info_section("cpu", "CPU")
def cpu_section(server: "Server") -> list[str]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [
        f"used_cpu_sys:{_cpu(me.ru_stime)}",
        f"used_cpu_user:{_cpu(me.ru_utime)}",
        f"used_cpu_sys_children:{_cpu(children.ru_stime)}",
        f"used_cpu_user_children:{_cpu(children.ru_utime)}",
    ]
    if hasattr(resource, "RUSAGE_THREAD"):
        thread = resource.getrusage(resource.RUSAGE_THREAD)
        lines += [f"used_cpu_sys_main_thread:{_cpu(thread.ru_stime)}",
                  f"used_cpu_user_main_thread:{_cpu(thread.ru_utime)}"]
    return lines


@info_section("modules", "Modules")
def modules_section(server: "Server") -> list[str]:
    return []


@info_section("commandstats", "Commandstats", default=False)
def commandstats_section(server: "Server") -> list[str]:
    lines = []
    for cmd in sorted(commands.all_commands(), key=lambda c: c.name):
        if cmd.calls or cmd.failed_calls or cmd.rejected_calls:
            per_call = cmd.usec / cmd.calls if cmd.calls else 0
            lines.append(f"cmdstat_{safe_name(cmd.name)}:calls={cmd.calls},usec={cmd.usec},"
                         f"usec_per_call={per_call:.2f},rejected_calls={cmd.rejected_calls},"
                         f"failed_calls={cmd.failed_calls}")
    return lines


@info_section("errorstats", "Errorstats")
def errorstats_section(server: "Server") -> list[str]:
    errors = server.stats.errors
    return [f"errorstat_{safe_name(code)}:count={errors[code]}" for code in sorted(errors)]


@info_section("latencystats", "Latencystats", default=False)
def latencystats_section(server: "Server") -> list[str]:
    if not server.config.latency_tracking:
        return []
    percentiles = server.config.latency_tracking_info_percentiles
    lines = []
    for cmd in sorted(commands.all_commands(), key=lambda c: c.name):
        if cmd.latency.total:
            values = ",".join("p%s=%.3f" % (_trim_double(p), cmd.latency.value_at(p) / 1000.0)
                              for p in percentiles)
            lines.append(f"latency_percentiles_usec_{safe_name(cmd.name)}:{values}")
    return lines


@info_section("cluster", "Cluster")
def cluster_section(server: "Server") -> list[str]:
    return [f"cluster_enabled:{int(server.config.cluster_enabled)}"]


@info_section("keyspace", "Keyspace")
def keyspace_section(server: "Server") -> list[str]:
    lines = []
    now = server.clock.ms()
    for db in server.dbs:
        if db.data or db.expires:
            lines.append(f"db{db.index}:keys={len(db.data)},expires={len(db.expires)},"
                         f"avg_ttl={average_ttl(db, now)}")
    return lines


def average_ttl(db: Database, now_ms: int, samples: int = 64) -> int:
    """The average time to live of the keys with one, in ms (estimated from a window of
    keys, as Redis estimates it while expiring)."""
    expires = db.expires
    whens: Iterable[int] = expires.values()
    if len(expires) > samples:
        start = random.randrange(len(expires) - samples + 1)
        whens = itertools.islice(whens, start, start + samples)
    ttls = [w - now_ms for w in whens if w > now_ms]
    return sum(ttls) // len(ttls) if ttls else 0
