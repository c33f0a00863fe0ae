"""How long analysis takes on configs of 100, 1,500 and 15,000 lines.

Prints the median and best of several runs per size and the ratio to the
targets (1,500 lines ≤ 50 ms, 15,000 lines ≤ 400 ms); also the time of a
plain ruamel round-trip load of the same text for comparison.
Run: python bench/validate.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen import generate  # noqa: E402

from core.analysis import analyze  # noqa: E402

TARGETS_MS = {1500: 50.0, 15000: 400.0}


def timed(fn, runs):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    from ruamel.yaml import YAML

    print(f"{'lines':>7} {'median ms':>10} {'best ms':>8} {'target':>8} {'ratio':>6} {'ruamel rt ms':>13}")
    for size in (100, 1500, 15000):
        text = generate(size)
        lines = text.count("\n")
        analysis = analyze(text)
        assert analysis.ok, analysis.errors[:3]  # the bench config must be valid to be meaningful
        times = timed(lambda: analyze(text), args.runs)
        rt = timed(lambda: YAML(typ="rt").load(text), 1 if size > 2000 else 3)
        med = statistics.median(times)
        target = TARGETS_MS.get(size)
        ratio = f"{med / target:.2f}" if target else "-"
        print(f"{lines:>7} {med:>10.1f} {min(times):>8.1f} {str(target or '-'):>8} {ratio:>6} {statistics.median(rt):>13.1f}")


if __name__ == "__main__":
    main()
