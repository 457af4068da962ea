"""Write ``tests/timings.txt`` — seconds per test file — from the slowest-durations report of a whole run, which
``tests/conftest.py`` uses to share the files out between the parallel workers.

    ./scripts/test --durations=0 -q | .venv/bin/python -m tests.support.timings
"""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

LINE = re.compile(r"^(\d+(?:\.\d+)?)s (?:call|setup|teardown)\s+(\S+?)::")
OUT = Path(__file__).parents[1] / "timings.txt"


def main() -> None:
    seconds: dict[str, float] = defaultdict(float)
    for line in sys.stdin:
        match = LINE.match(line.strip())
        if match:
            seconds[match.group(2)] += float(match.group(1))
    if not seconds:
        raise SystemExit("no durations in the input: run pytest with --durations=0")
    rows = sorted(seconds.items(), key=lambda item: (-item[1], item[0]))
    OUT.write_text("# seconds per test file (tests/support/timings.py); unknown files count 0.3 s a test\n"
                   + "".join(f"{value:8.1f} {name}\n" for name, value in rows), encoding="utf-8")
    print(f"{len(rows)} files, {sum(seconds.values()):.0f} s in all → {OUT}")


if __name__ == "__main__":
    main()
