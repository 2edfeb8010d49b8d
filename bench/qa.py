"""The QA workspace's three figures (issue 17) in one run, each from its own benchmark run as a child process:

- `peaks_ms`: the waveform of a 10-minute two-channel recording, cold (decrypt, compute, seal and keep;
  target ≤ 300 ms), with `peaks_cached_ms` the cached answer over HTTP, p50 (target ≤ 5 ms): bench/qa_peaks.py;
- `figures_p99_ms`: the QA figures over 100,000 evaluations on PostgreSQL, p99 of the typical queries
  (target ≤ 300 ms): bench/qa_figures.py (skipped, null, when no PostgreSQL answers);
- `retention_s`: a retention run over 100,000 expired recordings, marking and destroying (target ≤ 60 s),
  its progress shown: bench/retention.py.

    python bench/qa.py            # the full sizes (several minutes: seeding 100,000 of each)
    python bench/qa.py --quick    # within a minute: 3 cold peaks, 10,000 evaluations, 5,000 recordings

Each benchmark prints its own table on stderr here; the last line is one JSON object. The machine is noisy
(2 cores): compare figures measured in one run, side by side. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGETS = {"peaks_ms": 300.0, "peaks_cached_ms": 5.0, "figures_p99_ms": 300.0, "retention_s": 60.0}


def child(script: str, *args: str) -> dict[str, object] | None:
    """Run one benchmark; its last line's JSON (None if it failed: its output says why)."""
    done = subprocess.run(
        [sys.executable, str(HERE / script), *args], stdout=subprocess.PIPE, stderr=None, text=True, check=False
    )
    lines = done.stdout.strip().splitlines()
    sys.stderr.write("\n".join(lines[:-1]) + "\n")
    if done.returncode != 0 or not lines:
        sys.stderr.write(f"{script} failed (exit {done.returncode})\n")
        return None
    found: dict[str, object] = json.loads(lines[-1])
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The QA workspace's benchmarks: peaks, figures, retention.")
    parser.add_argument("--quick", action="store_true", help="small sizes, within a minute")
    args = parser.parse_args(argv)
    started = time.monotonic()
    quick = ["--quick"] if args.quick else []
    peaks = child("qa_peaks.py", *quick)
    figures = child("qa_figures.py", *(["--quick", "--evaluations", "10000", "--rounds", "5"] if args.quick else []))
    retention = child("retention.py", *(["--quick"] if args.quick else []))
    result: dict[str, object] = {
        "peaks_ms": peaks and peaks["cold_ms"],
        "peaks_cached_ms": peaks and peaks["http_p50_ms"],
        "figures_p99_ms": figures and figures["p99_ms"],
        "figures_evaluations": figures and figures["evaluations"],
        "retention_s": retention and retention["retention_s"],
        "retention_recordings": retention and retention.get("recordings"),
        "quick": args.quick,
        "took_s": round(time.monotonic() - started, 1),
    }
    met = {name: result[name] is not None and float(result[name]) <= limit for name, limit in TARGETS.items()}  # type: ignore[arg-type]
    result["targets_met"] = met
    print(json.dumps(result))
    return 0 if all(value is not None for value in (peaks, retention)) else 1


if __name__ == "__main__":
    raise SystemExit(main())
