"""The server's OS process, as Redis handles its own: the score the kernel's OOM killer
gives it (oom-score-adj), its title (set-proc-title, proc-title-template), and the crash
report on a fatal signal (crash-log-enabled)."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import traceback
from typing import TYPE_CHECKING, Any, Optional

from .config import expand_proc_title

if TYPE_CHECKING:
    from .server import Server

# oom-score-adj-values: one score per process class.
OOM_MASTER, OOM_REPLICA, OOM_BGCHILD = 0, 1, 2
OOM_SCORE_ADJ = "/proc/self/oom_score_adj"

# The signals Redis answers with a crash report. Python cannot run code on a fault raised by
# the process itself (a handler would return to the faulting instruction), so these are
# blocked and picked up by the cron: what arrives is a signal sent to the process (kill,
# DEBUG SEGFAULT), whose sender the report names as Redis does.
CRASH_SIGNALS = (signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGABRT)
SI_USER = 0
PR_SET_NAME = 15
COMM_MAX = 15        # /proc/<pid>/comm holds 15 bytes


class Process:
    def __init__(self, server: "Server") -> None:
        self.server = server
        self.oom_base: Optional[int] = None    # the score before the server changed it
        self.owned = False        # the server runs as the process (not embedded in another)
        self.watching = False     # the crash signals are blocked and polled

    # -- oom-score-adj ---------------------------------------------------------------------

    def set_oom_score_adj(self, process_class: int = OOM_MASTER) -> bool:
        """Redis's setOOMScoreAdj: this class's score from oom-score-adj-values (relative to
        the score the process had, or absolute); the old score back when turned off. False,
        with a log line, if /proc refused."""
        config = self.server.config
        if config.oom_score_adj != "no":
            if self.oom_base is None:
                try:
                    with open(OOM_SCORE_ADJ) as f:
                        self.oom_base = int(f.read().strip() or 0)
                except (OSError, ValueError) as exc:
                    self.server.log_warning("Unable to read oom_score_adj: %s"
                                            % getattr(exc, "strerror", exc))
                    return False
            value = config.oom_score_adj_values[process_class]
            if config.oom_score_adj != "absolute":
                value += self.oom_base
            value = max(-1000, min(1000, value))
        elif self.oom_base is not None:
            value, self.oom_base = self.oom_base, None
        else:
            return True
        try:
            with open(OOM_SCORE_ADJ, "w") as f:
                f.write("%d\n" % value)
        except OSError as exc:
            self.server.log_warning("Unable to write oom_score_adj: %s" % exc.strerror)
            return False
        return True

    # -- process title ---------------------------------------------------------------------

    def title(self, title: Optional[str] = None) -> Optional[str]:
        """proc-title-template expanded for `title` (by default the program's name, without
        its folder: the 15 bytes of comm are better spent on what follows)."""
        config = self.server.config
        if config.port:
            listen = f"{config.bind[0] if config.bind else '*'}:{config.port}"
        else:
            listen = f"unixsocket:{config.unixsocket}"
        values = {"title": title or os.path.basename(sys.argv[0]), "listen-addr": listen,
                  "server-mode": "", "config-file": config.config_file or "-",
                  "port": str(config.port), "tls-port": "0", "unixsocket": config.unixsocket}
        return expand_proc_title(config.proc_title_template, values)

    def set_title(self, title: Optional[str] = None) -> None:
        """Redis rewrites its command line (/proc/<pid>/cmdline); Python can only name the
        thread: /proc/<pid>/comm gets the title's first 15 bytes (what top and ps -o comm
        show)."""
        if not self.server.config.set_proc_title:
            return
        text = self.title(title)
        if not text:
            return
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_NAME, ctypes.c_char_p(os.fsencode(text)[:COMM_MAX]), 0, 0, 0)
        except (OSError, AttributeError):
            pass    # no prctl here: the title stays

    # -- fork children ---------------------------------------------------------------------

    def in_fork_child(self, title: str) -> None:
        """In a child just forked for a background job: Redis's child class score and title;
        fatal signals act by default again (the child does not poll for them)."""
        self.set_oom_score_adj(OOM_BGCHILD)
        self.set_title(title)
        if self.watching:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, CRASH_SIGNALS)

    @staticmethod
    def private_dirty() -> int:
        """Bytes of this process's memory written since the fork (copy-on-write)."""
        try:
            with open("/proc/self/smaps_rollup") as f:
                return 1024 * sum(int(line.split()[1]) for line in f
                                  if line.startswith("Private_Dirty:"))
        except (OSError, ValueError, IndexError):
            return 0

    def log_fork_cow(self, name: str) -> int:
        """In a fork child at the end of its job: the memory copy-on-write duplicated, as
        Redis's child reports it; returns it in bytes."""
        cow = self.private_dirty()
        mb = cow >> 20
        if cow:
            self.server.log("notice", f"Fork CoW for {name}: current {mb} MB, peak {mb} MB, "
                            f"average {mb} MB")
        return cow

    # -- crash report ----------------------------------------------------------------------

    def watch_crash_signals(self, enabled: bool) -> None:
        """crash-log-enabled: hold the fatal signals for the cron to report (threads started
        later inherit the mask), or let them act by default."""
        enabled = enabled and self.owned
        if enabled == self.watching:
            return
        signal.pthread_sigmask(signal.SIG_BLOCK if enabled else signal.SIG_UNBLOCK,
                               CRASH_SIGNALS)
        self.watching = enabled

    def check_crash_signals(self) -> None:
        """From the cron: a fatal signal that arrived is reported, then kills the process."""
        if not self.watching:
            return
        info = signal.sigtimedwait(CRASH_SIGNALS, 0)
        if info is not None:
            self.crash(info.si_signo, info.si_code, info.si_pid, info.si_uid)

    def crash(self, signum: int, code: int, pid: int, uid: int) -> None:
        """Redis's sigsegvHandler: the bug report in the log, then death by that signal."""
        server = self.server
        server.log_raw("warning", "\n\n=== REDIS BUG REPORT START: Cut & paste starting from "
                       "here ===\n")
        from .server import REDIS_VERSION
        server.log_warning("Redis %s crashed by signal: %d, si_code: %d"
                           % (REDIS_VERSION, signum, code))
        if code == SI_USER and pid != -1:
            server.log_warning("Killed by PID: %d, UID: %d" % (pid, uid))
        server.log_raw("warning", "\n------ STACK TRACE ------\n" + python_stacks())
        self.log_state()
        server.log_raw("warning", "\n=== REDIS BUG REPORT END. Make sure to include from "
                       "START to END. ===\n\n")
        config = server.config
        if config.daemonize and config.supervised == "no" and config.pidfile:
            try:
                os.unlink(config.pidfile)
            except OSError:
                pass
        signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signum,))
        os.kill(os.getpid(), signum)
        os._exit(128 + signum)      # not reached: the signal's default action ends the process

    def panic(self, message: str) -> None:
        """Redis's serverPanic: a state the server must not go on from. The report, then
        the end of the process."""
        server = self.server
        server.log_warning("------------------------------------------------")
        server.log_warning("!!! Software Failure. Press left mouse button to continue")
        server.log_warning("Guru Meditation: %s" % message)
        self.crash(signal.SIGABRT, 0, -1, 0)

    # -- the software watchdog (watchdog-period) ---------------------------------------

    def apply_watchdog_period(self) -> None:
        """CONFIG SET watchdog-period (Redis's applyWatchdogPeriod): SIGALRM after that many
        milliseconds without a cron run, which re-arms it; never less than two cron
        periods. 0 turns it off."""
        server = self.server
        period = server.config.watchdog_period
        if not period:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_IGN)
            return
        signal.signal(signal.SIGALRM, self.watchdog_expired)
        min_period = (1000 // server.hz) * 2
        if period < min_period:
            server.config.watchdog_period = min_period
        self.schedule_watchdog()

    def schedule_watchdog(self) -> None:
        """Push the alarm a period away: from every cron run (a blocked loop lets it ring)."""
        signal.setitimer(signal.ITIMER_REAL, self.server.config.watchdog_period / 1000)

    def watchdog_expired(self, signum: int, frame: Any) -> None:
        """The loop was blocked a whole period: where it is, in the log (Redis's
        watchdogSignalHandler). Python runs this between two bytecodes, then resumes an
        interrupted system call (a read, a wait) as if nothing happened."""
        server = self.server
        server.log_from_signal_handler("\n--- WATCHDOG TIMER EXPIRED ---")
        server.log_raw("warning", "".join(traceback.format_stack(frame)))
        server.log_from_signal_handler("--------\n")

    def log_state(self) -> None:
        """INFO and CLIENT LIST, as Redis's crash report shows them."""
        from . import info
        from .commands.introspection import client_info
        server = self.server
        text = info.generate(server, [b"all"]).decode(errors="replace")
        server.log_raw("warning", "\n------ INFO OUTPUT ------\n" + text)
        clients = "".join(client_info(c) + "\n" for c in list(server.clients.values()))
        server.log_raw("warning", "\n------ CLIENT LIST OUTPUT ------\n" + clients)
        server.log_raw("warning", "\n------ MODULES INFO OUTPUT ------\n")


def python_stacks() -> str:
    """Each thread's Python stack, innermost call last (the C backtrace of Redis's report)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"Thread {names.get(ident, ident)}:\n")
        out.extend(traceback.format_stack(frame))
    return "".join(out)
