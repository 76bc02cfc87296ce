#!/usr/bin/env python3
"""Side-by-side WFDB decoding: wfdb-python's rdrecord(physical=False) against ecg-wfdb.

Run from the repository root with the project's Python venv:

    /work/venv/bin/python benches/peers/wfdb_peer.py [--repeat 20] [--no-rust]

It times wfdb.rdrecord(..., physical=False) (digital samples, the same work as ours) on
the records of benches/benches/wfdb.rs, then runs that criterion bench
(`cargo bench -p ecg-benches --bench wfdb -- decode_to_vec`) in the same session and
prints both, with the ratio and the decoding rate in samples per second. Both sides read
the files from the page cache; ours decodes from files already in memory, wfdb-python
opens them itself (its per-call file opening is part of what it costs a user).
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
    cmd = ["cargo", "bench", "-p", "ecg-benches", "--bench", "wfdb", "--", "decode_to_vec"]
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"cargo bench failed:\n{out.stderr[-2000:]}")
    results = {}
    current = None
    for line in out.stdout.splitlines():
        m = re.match(r"^wfdb_decode/(\S+)/decode_to_vec", line.strip())
        if m:
            current = m.group(1)
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
    print(f"{'record':22} {'samples':>9} {'wfdb-python median':>19} {'ecg-wfdb median':>16} "
          f"{'ratio':>7} {'ecg-wfdb Msamples/s':>20}")
    for name, _ in RECORDS:
        samples, pmin, pmed = py[name]
        if name in rust:
            rlow, rmid = rust[name]
            print(f"{name:22} {samples:9d} {pmed * 1e3:16.3f} ms {rmid * 1e3:13.3f} ms "
                  f"{pmed / rmid:6.0f}x {samples / rmid / 1e6:20.0f}")
        else:
            print(f"{name:22} {samples:9d} {pmed * 1e3:16.3f} ms")
        print(f"{'':22} {'':9} {'(best ' + format(pmin * 1e3, '.3f') + ' ms)':>19}")


if __name__ == "__main__":
    main()
