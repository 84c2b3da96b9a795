"""Peak resident memory of the current process, for benchmark figures.

``resource.getrusage(...).ru_maxrss`` is not it: Linux carries the high-water mark across
``exec``, so a child forked from a parent that holds a large fake data set reports the
parent's size. ``VmHWM`` in ``/proc/self/status`` belongs to the process's own address space.
"""

from __future__ import annotations

from pathlib import Path


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")
