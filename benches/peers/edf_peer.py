#!/usr/bin/env python3
"""pyedflib peer of benches/benches/edf.rs.

For each file: open it with pyedflib.EdfReader and read every channel with
readSignal(i) (physical, float64) and readSignal(i, digital=True), timing the
open + read of all channels. Prints one JSON object per file on stdout:

  {"file": ..., "samples": N, "sample_bytes": B,
   "digital_s": [runs...], "physical_s": [runs...],
   "digital_sums": [...], "physical_sums": [...]}

The sums (computed outside the timed part) let the Rust side check that both
readers decoded the same values. Run: python edf_peer.py --repeat 5 FILE...
"""
import argparse
import json
import math
import time

import pyedflib


def read_all(path, digital):
    f = pyedflib.EdfReader(path)
    try:
        return [f.readSignal(i, digital=digital) for i in range(f.signals_in_file)]
    finally:
        f.close()


def timed(path, digital, repeat):
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        read_all(path, digital)
        runs.append(time.perf_counter() - t)
    return runs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    for path in args.files:
        digital = read_all(path, True)
        physical = read_all(path, False)
        with open(path, "rb") as fh:
            width = 3 if fh.read(1) == b"\xff" else 2
        samples = sum(len(x) for x in digital)
        print(json.dumps({
            "file": path,
            "pyedflib": pyedflib.__version__,
            "samples": samples,
            "sample_bytes": samples * width,
            "digital_s": timed(path, True, args.repeat),
            "physical_s": timed(path, False, args.repeat),
            "digital_sums": [int(x.astype("int64").sum()) for x in digital],
            "physical_sums": [math.fsum(x.tolist()) for x in physical],
        }), flush=True)


if __name__ == "__main__":
    main()
