"""The latency monitor (Redis's latency.c): for each event class ("command", "fast-command",
"expire-cycle", "fork" ...), the latest 160 spikes that lasted at least
`latency-monitor-threshold` milliseconds (0: the monitor is off), one per second at most
(the worst of that second), and the worst one since the last reset. LATENCY LATEST, HISTORY,
GRAPH, DOCTOR and RESET read it.

Where the server does what an event names, it measures it and calls `add_sample_if_needed`;
commands are timed by Server.call anyway and reach this only past the threshold.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from .errors import c_text

if TYPE_CHECKING:
    from .commands.entry import LatencyHistogram
    from .server import Server

HISTORY_LEN = 160       # Redis's LATENCY_TS_LEN
GRAPH_COLUMNS = 80
GRAPH_ROWS = 4
GRAPH_CHARS = "_o#"     # one character per third of a row, '|' below the top of a column
# LATENCY HISTOGRAM's buckets: Redis keeps command latencies in nanoseconds, from 1 ns to
# 1 s, with 2 significant digits, and reports them at each power of two from 1024 ns up.
HISTOGRAM_MIN_NS = 1
HISTOGRAM_MAX_NS = 1_000_000_000
FIRST_LEVEL_NS = 1024
LAST_BUCKET_TOP_NS = 2**30 - 1     # the end of the histogram's last bucket, past 1 s


class TimeSeries:
    """One event class: its samples as [unix time, ms], oldest first, and the worst ever."""

    __slots__ = ("samples", "max")

    def __init__(self) -> None:
        self.samples: list[list[int]] = []
        self.max = 0


class LatencyMonitor:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.events: dict[str, TimeSeries] = {}

    def add_sample_if_needed(self, event: str, ms: int) -> None:
        """Record a latency of `ms` milliseconds if the monitor is on and it is a spike."""
        threshold = self.server.config.latency_monitor_threshold
        if threshold and ms >= threshold:
            self.add_sample(event, ms)

    def add_sample(self, event: str, ms: int) -> None:
        series = self.events.get(event)
        if series is None:
            series = self.events[event] = TimeSeries()
        if ms > series.max:
            series.max = ms
        now = int(self.server.clock.time())
        samples = series.samples
        if samples and samples[-1][0] == now:
            # One sample a second: the worst spike of that second.
            if ms > samples[-1][1]:
                samples[-1][1] = ms
            return
        samples.append([now, ms])
        if len(samples) > HISTORY_LEN:
            del samples[0]

    def reset(self, events: Optional[list[bytes]] = None) -> int:
        """Forget every event class, or the named ones (any case); returns how many went."""
        if events is None:
            count = len(self.events)
            self.events.clear()
            return count
        count = 0
        for name in events:
            wanted = c_text(name).lower()
            for event in [e for e in self.events if e.lower() == wanted]:
                del self.events[event]
                count += 1
        return count

    def latest(self) -> list[list]:
        """LATEST: per event, its name, the time and ms of its last spike, the worst ever."""
        return [[event.encode(), *series.samples[-1], series.max]
                for event, series in self.events.items()]

    def graph(self, event: str) -> bytes:
        """GRAPH: a header, then the spikes as columns of characters, each labelled with how
        long ago it happened."""
        series = self.events[event]
        values = [ms for _, ms in series.samples]
        now = int(self.server.clock.time())
        labels = [_age(now - when) for when, _ in series.samples]
        text = "%s - high %d ms, low %d ms (all time high %d ms)\n%s\n" % (
            event, max(values), min(values), series.max, "-" * GRAPH_COLUMNS)
        for start in range(0, len(values), GRAPH_COLUMNS):
            if start:
                text += "\n"
            text += _sparkline(values[start:start + GRAPH_COLUMNS],
                               labels[start:start + GRAPH_COLUMNS], min(values), max(values))
        return text.encode()

    def doctor(self) -> bytes:
        """DOCTOR: each event class with its figures and remarks, then the advice they
        call for, in Redis's words."""
        server = self.server
        config = server.config
        if not self.events and not config.latency_monitor_threshold:
            return DISABLED.encode()
        report = ""
        wanted: set[str] = set()
        advices = 0
        for number, (event, series) in enumerate(self.events.items(), 1):
            if number == 1:
                report += SPIKES
            count, average, deviation, period = self.stats(series)
            report += ("%d. %s: %d latency spikes (average %dms, mean deviation %dms, "
                       "period %.2f sec). Worst all time event %dms." % (
                           number, event, count, average, deviation, period, series.max))
            name = event.lower()
            if name == "fork":
                rate = server.snapshots.fork_rate
                quality = "terrible" if rate < 10 else "poor" if rate < 25 else \
                    "good" if rate < 100 else "excellent"
                if rate < 25:
                    wanted.add("better-vm")
                    advices += 1
                report += " Fork rate is %.2f GB/sec (%s)." % (rate, quality)
            if name == "command":
                slower_than = config.slowlog_log_slower_than
                if slower_than < 0:
                    wanted.add("slowlog-enable")
                    advices += 1
                elif slower_than // 1000 > config.latency_monitor_threshold:
                    wanted.add("slowlog-tune")
                    advices += 1
            names, counted = EVENT_ADVICE.get(name, ((), 0))
            wanted.update(names)
            advices += counted
            report += "\n"
        if anon_huge_pages() > 0:
            wanted.add("disable-thp")
            advices += 1
        if not self.events and not advices:
            return (report + NO_SPIKES).encode()
        if not advices:
            return (report + NO_ADVICE).encode()
        if server.hz >= 100:
            wanted.discard("hz")
        report += "\nI have a few advices for you:\n\n"
        threshold_us = config.latency_monitor_threshold * 1000
        for name, text in ADVICE.items():
            if name in wanted:
                report += text % threshold_us if "%d" in text else text
        return report.encode()

    def stats(self, series: TimeSeries) -> tuple[int, int, int, float]:
        """Spikes kept, their average and mean deviation (whole ms), and the seconds from
        the oldest one to now (at least 1) per spike."""
        values = [ms for _, ms in series.samples]
        count = len(values)
        average = sum(values) // count
        deviation = sum(abs(average - ms) for ms in values) // count
        period = max(int(self.server.clock.time()) - series.samples[0][0], 1)
        return count, average, deviation, period / count


# LATENCY DOCTOR's advice, in the order it gives it, as Redis words it.
ADVICE = {
    "better-vm": "- If you are using a virtual machine, consider upgrading it with a faster one "
    "using a hypervisior that provides less latency during fork() calls. Xen is known to have "
    "poor fork() performance. Even in the context of the same VM provider, certain kinds of "
    "instances can execute fork faster than others.\n",
    "slowlog-enable": "- There are latency issues with potentially slow commands you are "
    "using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET "
    "slowlog-log-slower-than %d'. If the Slow log is disabled Redis is not able to log slow "
    "commands execution for you.\n",
    "slowlog-tune": "- Your current Slow Log configuration only logs events that are slower "
    "than your configured latency monitor threshold. Please use 'CONFIG SET "
    "slowlog-log-slower-than %d'.\n",
    "slowlog-inspect": "- Check your Slow Log to understand what are the commands you are "
    "running which are too slow to execute. Please check https://redis.io/commands/slowlog "
    "for more information.\n",
    "scheduler": "- The system is slow to execute Redis code paths not containing system "
    "calls. This usually means the system does not provide Redis CPU time to run for long "
    "periods. You should try to:\n"
    "  1) Lower the system load.\n"
    "  2) Use a computer / VM just for Redis if you are running other software in the same "
    "system.\n"
    "  3) Check if you have a \"noisy neighbour\" problem.\n"
    "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in "
    "your system.\n"
    "  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, "
    "if you are using Jemalloc. However this may create fragmentation problems.\n",
    "local-disk": "- It is strongly advised to use local disks for persistence, especially "
    "if you are using AOF. Remote disks provided by platform-as-a-service providers are known "
    "to be slow.\n",
    "disk-contention": "- Try to lower the disk contention. This is often caused by other "
    "disk intensive processes running in the same computer (including other Redis "
    "instances).\n",
    "hz": "- In order to make the Redis keys expiring process more incremental, try to set "
    "the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
    "large-objects": "- Deleting, expiring or evicting (because of maxmemory policy) large "
    "objects is a blocking operation. If you have very large objects that are often deleted, "
    "expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
    "mass-eviction": "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or "
    "allocation of large objects via sets or sorted sets intersections, STORE option of SORT, "
    "Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure "
    "forcing the server to block trying to evict keys. \n",
    "disable-thp": "- I detected a non zero amount of anonymous huge pages used by your "
    "process. This creates very serious latency events in different conditions, especially "
    "when Redis is persisting on disk. To disable THP support use the command 'echo never > "
    "/sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into "
    "/etc/rc.local so that the command will be executed again after a reboot. Note that even "
    "if you have already disabled THP, you still need to restart the Redis process to get rid "
    "of the huge pages already created.\n",
}
# What each event class calls for: advice names, and how many pieces of advice it counts
# for (Redis counts some advice it cannot give, such as the AOF's, which pyredis has not).
EVENT_ADVICE = {
    "command": (("slowlog-inspect", "large-objects"), 2),
    "fast-command": (("scheduler",), 1),
    "rdb-unlink-temp-file": (("disk-contention", "local-disk"), 2),
    "expire-cycle": (("hz", "large-objects"), 2),
    "eviction-del": (("large-objects",), 1),
    "eviction-cycle": (("mass-eviction",), 1),
}
DISABLED = ("I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            "instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
            "order to enable it. If we weren't in a deep space mission I'd suggest to take a "
            "look at https://redis.io/topics/latency-monitor.\n")
NO_SPIKES = ("Dave, no latency spike was observed during the lifetime of this Redis "
             "instance, not in the slightest bit. I honestly think you ought to sit down "
             "calmly, take a stress pill, and think things over.\n")
SPIKES = ("Dave, I have observed latency spikes in this Redis instance. You don't mind "
          "talking about it, do you Dave?\n\n")
NO_ADVICE = ("\nWhile there are latency events logged, I'm not able to suggest any easy fix. "
             "Please use the Redis community to get some help, providing this report in your "
             "help request.\n")


def cumulative_histogram(histogram: "LatencyHistogram") -> dict[bytes, object]:
    """A command's latencies as LATENCY HISTOGRAM shows them: its calls, and at each power of
    two from 1024 ns the calls that took up to the end of that level's bucket (in whole µs),
    for the levels where the count grew."""
    counts = histogram.counts
    durations = sorted(counts)
    total = sum(counts.values())
    reported: dict[int, int] = {}
    seen = index = 0
    level = FIRST_LEVEL_NS
    while seen < total:
        # A bucket keeps the top 8 bits of a value: the level's bucket ends 2^(bits-8) on.
        top = level + (1 << (level.bit_length() - 8)) - 1 if level < HISTOGRAM_MAX_NS \
            else LAST_BUCKET_TOP_NS
        before = seen
        while index < len(durations) and \
                min(max(durations[index] * 1000, HISTOGRAM_MIN_NS), HISTOGRAM_MAX_NS) <= top:
            seen += counts[durations[index]]
            index += 1
        if seen > before:
            reported[top // 1000] = seen
        level *= 2
    return {b"calls": total, b"histogram_usec": reported}


def anon_huge_pages() -> int:
    """Bytes of transparent huge pages the process uses (AnonHugePages in its smaps)."""
    total = 0
    try:
        with open("/proc/self/smaps", "rb") as f:
            for line in f:
                if line.startswith(b"AnonHugePages:"):
                    total += int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return total


def _age(seconds: int) -> str:
    """How long ago, as GRAPH labels it: 12s, 3m, 5h, 2d."""
    if seconds < 60:
        return "%ds" % seconds
    if seconds < 3600:
        return "%dm" % (seconds // 60)
    if seconds < 86400:
        return "%dh" % (seconds // 3600)
    return "%dd" % (seconds // 86400)


def _sparkline(values: list[int], labels: list[str], low: int, high: int) -> str:
    """Columns GRAPH_ROWS rows high, filled up to each value's height between the lowest
    and highest of all the samples, then a blank line and the labels written downwards."""
    span = (high - low) or 1
    steps = len(GRAPH_CHARS) * GRAPH_ROWS
    heights = [min(max(int(int((v - low) * steps) / span), 0), steps - 1) for v in values]
    lines = []
    for row in range(GRAPH_ROWS):
        line = ""
        for height in heights:
            index = height - (GRAPH_ROWS - row - 1) * len(GRAPH_CHARS)
            line += GRAPH_CHARS[index] if 0 <= index < len(GRAPH_CHARS) else \
                "|" if index >= len(GRAPH_CHARS) else " "
        lines.append(line)
    lines.append(" " * len(values))
    for depth in range(max(len(label) for label in labels)):
        lines.append("".join(label[depth] if depth < len(label) else " " for label in labels))
    return "".join(line + "\n" for line in lines)
