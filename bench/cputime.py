"""The CPU time (user + system) of a command and of every process it starts.

``/usr/bin/time`` counts only the children that their parents wait for: Chromium's
renderers, a killed worker's work horse or a daemonised server left to init are not in
its figure. This runs the command as a child subreaper (Linux), so that every descendant
that outlives its parent is handed here and reaped, and its CPU counted.

    .venv/bin/python bench/cputime.py .venv/bin/python -m pytest -q -p no:xdist tests/browser
"""

from __future__ import annotations

import ctypes
import os
import resource
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
LINGER_S = 30  # how long to wait for descendants still running when the command ends


def main(command: list[str]) -> int:
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit("cannot become a child subreaper (Linux only)")
    started = time.monotonic()
    main_pid = os.posix_spawnp(command[0], command, os.environ)
    status, wall, deadline = None, 0.0, None
    while True:
        try:
            pid, code = os.waitpid(-1, 0 if status is None else os.WNOHANG)
        except ChildProcessError:
            break
        if pid == main_pid:
            status, wall = os.waitstatus_to_exitcode(code), time.monotonic() - started
            deadline = time.monotonic() + LINGER_S
        elif pid == 0:
            if time.monotonic() > deadline:
                break
            time.sleep(0.2)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU {used.ru_utime + used.ru_stime:.1f} s (user {used.ru_utime:.1f} s, system {used.ru_stime:.1f} s); "
          f"wall {wall:.1f} s; exit status {status}", file=sys.stderr)
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
