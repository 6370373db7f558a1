#!/usr/bin/env python3
"""Times `gitopsc check` and `gitopsc build` on the generated workload for growing N.

Prints, for each N, the median wall time of 5 runs and the peak memory of the process, and the
time per service, so linear growth shows as a flat last column.

usage: benches/bench.py [N ...]        (default: 10 100 1000 10000)
Build first: cargo build --release
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.join(HERE, "..", "target", "release", "gitopsc")


def run(args):
    """Wall seconds and peak RSS (KiB) of one run (peak from GNU time when present)."""
    timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []
    start = time.perf_counter()
    p = subprocess.run(timer + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{p.stderr.decode()}")
    lines = p.stderr.decode().strip().splitlines()
    peak = int(lines[-1]) if timer and lines and lines[-1].isdigit() else 0
    return wall, peak


def measure(args, runs=5):
    times, peaks = [], []
    for _ in range(runs):
        t, m = run(args)
        times.append(t)
        peaks.append(m)
    return statistics.median(times), max(peaks)


def main():
    ns = [int(a) for a in sys.argv[1:]] or [10, 100, 1000, 10000]
    if not os.path.exists(BIN):
        sys.exit("build first: cargo build --release")
    print(f"{'command':<8} {'N':>7} {'median ms':>10} {'peak MiB':>9} {'us per service':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in ns:
            src = os.path.join(tmp, f"w{n}.gitops")
            with open(src, "w") as f:
                subprocess.run([sys.executable, os.path.join(HERE, "gen_workload.py"), str(n)], stdout=f, check=True)
            for cmd in ("check", "build"):
                args = [BIN, cmd, src] + (["-o", os.path.join(tmp, f"out{n}")] if cmd == "build" else [])
                t, peak = measure(args)
                print(f"{cmd:<8} {n:>7} {t * 1000:>10.1f} {peak / 1024:>9.1f} {t * 1e6 / n:>15.1f}")


if __name__ == "__main__":
    main()
