#!/usr/bin/env python3
"""pandas peer of benches/benches/csv.rs.

Reads each CSV file with pandas.read_csv (default C engine, float64 columns) and times
the whole read. Prints one JSON object per file on stdout:

  {"file": ..., "bytes": B, "rows": N, "engine": "c", "runs_s": [...],
   "sums": {column: sum, ...}}

The column sums (computed outside the timed part) let the Rust side check that both
readers got the same values. Run: python csv_peer.py --repeat 3 FILE...
"""
import argparse
import json
import os
import time

import pandas as pd


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--engine", default="c")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    for path in args.files:
        runs = []
        df = None
        for _ in range(args.repeat):
            t = time.perf_counter()
            df = pd.read_csv(path, engine=args.engine)
            runs.append(time.perf_counter() - t)
        sums = {str(c): float(df[c].sum()) for c in df.columns}
        print(json.dumps({
            "file": path, "bytes": os.path.getsize(path), "rows": int(len(df)),
            "engine": args.engine, "pandas": pd.__version__, "runs_s": runs, "sums": sums,
        }), flush=True)


if __name__ == "__main__":
    main()
