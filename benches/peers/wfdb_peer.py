#!/usr/bin/env python3
"""Side-by-side WFDB decoding: wfdb-python's rdrecord(physical=False) against ecg-wfdb.

Run from the repository root with the project's Python venv:

    /work/venv/bin/python benches/peers/wfdb_peer.py [--repeat 20] [--no-rust]

It times wfdb.rdrecord(..., physical=False) (digital samples, the same work as ours) on
the records of benches/benches/wfdb.rs, then runs that criterion bench
(`cargo bench -p ecg-benches --bench wfdb -- "decode_record|decode_into_buffer"`) in the
same session and prints both, with ratios and decoding rates in samples per second:
`decode_record` is a whole decode into fresh memory (what a caller pays, page faults of
the new buffers included), `decode_into_buffer` the decoding kernels alone (every sample
into a reused buffer). wfdb-python opens the files itself (from the page cache); ours
decodes files already in memory.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

import wfdb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "..", "shared", "testdata", "wfdb")
RECORDS = [
    ("mitdb_100_fmt212", "100"),
    ("ptb_s0010_re_fmt16", "s0010_re"),
    ("a103l_fmt16", "a103l"),
]


def time_python(record, repeat):
    path = os.path.join(DATA, record)
    rec = wfdb.rdrecord(path, physical=False)  # warm the page cache and imports
    samples = int(rec.d_signal.size)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        wfdb.rdrecord(path, physical=False)
        times.append(time.perf_counter() - t0)
    return samples, min(times), statistics.median(times)


UNITS = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def time_rust():
    env = dict(os.environ)
    env.setdefault("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    cmd = ["cargo", "bench", "-p", "ecg-benches", "--bench", "wfdb", "--",
           "decode_record|decode_into_buffer"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"cargo bench failed:\n{out.stderr[-2000:]}")
    results = {}
    current = None
    for line in out.stdout.splitlines():
        m = re.match(r"^wfdb_decode/(\S+)/(decode_record|decode_into_buffer)", line.strip())
        if m:
            current = (m.group(1), m.group(2))
        m = re.search(r"time:\s+\[(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\]", line)
        if m and current:
            low = float(m.group(1)) * UNITS[m.group(2)]
            mid = float(m.group(3)) * UNITS[m.group(4)]
            results[current] = (low, mid)
            current = None
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--no-rust", action="store_true")
    args = ap.parse_args()
    print(f"wfdb-python {wfdb.__version__}, {args.repeat} runs per record")
    py = {name: time_python(rec, args.repeat) for name, rec in RECORDS}
    rust = {} if args.no_rust else time_rust()
    print(f"{'record':20} {'samples':>8} {'wfdb-python':>22} | {'ecg-wfdb':>10} "
          f"{'ratio (median/best)':>20} {'Msamples/s':>11}")
    for name, _ in RECORDS:
        samples, pmin, pmed = py[name]
        print(f"{name:20} {samples:8d} {pmed * 1e3:9.3f} ms (best {pmin * 1e3:6.3f})")
        for kind in ("decode_record", "decode_into_buffer"):
            if (name, kind) in rust:
                rlow, rmid = rust[(name, kind)]
                print(f"{'  ' + kind:53} | {rmid * 1e3:7.3f} ms {pmed / rmid:8.1f}x / {pmin / rmid:5.1f}x "
                      f"{samples / rmid / 1e6:11.0f}")


if __name__ == "__main__":
    main()
