"""Peak memory of one client: import it, make one streamed request, print the
process's peak RSS in MB (VmHWM: unlike ru_maxrss it starts afresh at exec,
not at the parent's size). Run in a fresh process by bench.py.

    python benchmarks/probe.py CLIENT VENDOR BASE_URL MODEL
"""

from __future__ import annotations

import sys
from pathlib import Path

import clients as c

MAKERS = {"floor": c.floor_sync, "llmkit": c.llmkit_sync}


def main() -> None:
    name, vendor, base, model = sys.argv[1:5]
    make = MAKERS[name] if name in MAKERS else c.PEERS[name][2]
    make(vendor, base)(model)
    status = Path("/proc/self/status").read_text().splitlines()
    (kb,) = [line.split()[1] for line in status if line.startswith("VmHWM:")]
    print(int(kb) / 1024)


if __name__ == "__main__":
    main()
