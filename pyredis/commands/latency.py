"""LATENCY: the latency monitor's spikes (pyredis/latency.py) and the per-command latency
histograms that INFO latencystats reads too."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import c_text, no_latency_samples
from ..latency import cumulative_histogram
from ..protocol.encode import PairMap, Reply, Verbatim
from . import all_commands, command, help_reply, lookup_name

if TYPE_CHECKING:
    from ..client import Client


@command("latency|latest")
def latency_latest(client: Client, argv: list[bytes]) -> Reply:
    return client.server.latency.latest()


@command("latency|history")
def latency_history(client: Client, argv: list[bytes]) -> Reply:
    series = client.server.latency.events.get(c_text(argv[2]))
    return [list(sample) for sample in series.samples] if series is not None else []


@command("latency|graph")
def latency_graph(client: Client, argv: list[bytes]) -> Reply:
    monitor = client.server.latency
    event = c_text(argv[2])
    if event not in monitor.events:
        raise no_latency_samples(argv[2])
    return Verbatim(monitor.graph(event))


@command("latency|doctor")
def latency_doctor(client: Client, argv: list[bytes]) -> Reply:
    return Verbatim(client.server.latency.doctor())


@command("latency|reset")
def latency_reset(client: Client, argv: list[bytes]) -> Reply:
    return client.server.latency.reset(argv[2:] or None)


@command("latency|histogram")
def latency_histogram(client: Client, argv: list[bytes]) -> Reply:
    """Every command with latencies recorded since the last CONFIG RESETSTAT, or the named
    ones (a container names its subcommands too; unknown names are skipped)."""
    if len(argv) == 2:
        chosen = all_commands()
    else:
        chosen = []
        for name in argv[2:]:
            cmd = lookup_name(name)
            if cmd is not None:
                chosen.append(cmd)
                chosen.extend(cmd.subcommands.values())
    return PairMap((cmd.name.encode(), cumulative_histogram(cmd.latency))
                   for cmd in chosen if cmd.latency.total)


@command("latency|help")
def latency_help(client: Client, argv: list[bytes]) -> Reply:
    return help_reply(argv, [
        "DOCTOR",
        "    Return a human readable latency analysis report.",
        "GRAPH <event>",
        "    Return an ASCII latency graph for the <event> class.",
        "HISTORY <event>",
        "    Return time-latency samples for the <event> class.",
        "LATEST",
        "    Return the latest latency samples for all events.",
        "RESET [<event> ...]",
        "    Reset latency data of one or more <event> classes.",
        "    (default: reset all data for all event classes)",
        "HISTOGRAM [COMMAND ...]",
        "    Return a cumulative distribution of latencies in the format of a histogram for "
        "the specified command names.",
        "    If no commands are specified then all histograms are replied.",
    ])
