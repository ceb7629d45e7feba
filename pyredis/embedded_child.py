"""The child side of pyredis.Server.start_process(): a server driven through its stdin and
stdout. It listens on the port it is given (the parent waits for its PING reply), or prints
`error <errno> <message>` and exits; then it answers control lines:
`advance <seconds>` (ok), `offset` (the clock's offset), `stop`. The end of its stdin means
the parent is gone, however it died: the server stops and removes its run directory.

Kept apart from embedded.py so that the child imports no more than the server needs."""
from __future__ import annotations

import os
import shutil

from .cli import build_config
from .server import Server

# Run by the child's interpreter: argv is [package root, run dir, --option value ...]. The
# package root makes the child import the same pyredis as its parent.
CHILD_MAIN = ("import sys\n"
              "if sys.argv[1] not in sys.path: sys.path.insert(0, sys.argv[1])\n"
              "from pyredis.embedded_child import serve_child\n"
              "serve_child(sys.argv[2], sys.argv[3:])\n")


def serve_child(run_dir: str, argv: list[str]) -> None:
    """Serve until told to stop or the parent is gone (then remove the temporary run_dir,
    as nobody else will)."""
    control = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)            # stray prints must not mix with the control lines
    core = Server(build_config(argv))
    try:
        core.start()
    except OSError as exc:
        control.write(f"error {exc.errno or 0} {exc.strerror or exc}\n")
        raise SystemExit(1) from None
    core.aof.start_up(load_rdb=lambda: None)    # an RDB is not loaded here
    pending = bytearray()
    parent_gone = False

    def on_control() -> None:
        nonlocal parent_gone
        data = os.read(0, 4096)
        if not data:
            parent_gone = True
            core.shutdown()
            return
        pending.extend(data)
        while b"\n" in pending:
            line, _, rest = bytes(pending).partition(b"\n")
            pending[:] = rest
            words = line.split()
            if words[:1] == [b"advance"]:
                core.clock.advance(float(words[1]))
                core.clock_advanced()
                control.write("ok\n")
            elif words[:1] == [b"offset"]:
                control.write(f"{core.clock.offset!r}\n")
            elif words[:1] == [b"stop"]:
                core.shutdown()

    os.set_blocking(0, False)
    core.reactor.add_reader(0, on_control)
    core.serve_forever()
    core.reactor.close()
    if parent_gone:
        shutil.rmtree(run_dir, ignore_errors=True)
