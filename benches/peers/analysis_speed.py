#!/usr/bin/env python3
"""Speed of the peers, to compare with `cargo bench -p ecg-benches --bench analysis`.

1. sleepecg's C detector on lead 0 of MIT-BIH 100 (30 min at 360 Hz) and of the
   20 QT-database records (15 min at 250 Hz): best of 5 runs each, total.
2. NeuroKit2 `ecg_process` (cleaning, peaks, delineation, quality) on the first hour of
   lead 1 of the 24-hour record built by testdata/analysis/make_holter24.py, once, and
   NeuroKit2's nonlinear HRV (`hrv_nonlinear`) on that hour's peaks.

Usage: /work/venv/bin/python benches/peers/analysis_speed.py [data/holter24/holter24]
"""
import os
import sys
import time
import warnings

import numpy as np
import wfdb

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "testdata"))
QTDB = ("sel114 sel116 sel223 sel230 sel301 sel302 sel306 sel307 sel803 sel808 sel820 "
        "sel840 sel14046 sel14157 sel16265 sel16272 sele0104 sele0106 sele0107 sele0110").split()


def best(f, n=5):
    ts = []
    for _ in range(n):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    warnings.simplefilter("ignore")
    from sleepecg import detect_heartbeats
    rec = wfdb.rdrecord(os.path.join(SHARED, "wfdb", "100"))
    x = np.ascontiguousarray(rec.p_signal[:, 0])
    t100 = best(lambda: detect_heartbeats(x, rec.fs))
    print(f"sleepecg detect_heartbeats, 100 (30 min, 360 Hz, 1 lead): {1000 * t100:.1f} ms")
    total = 0.0
    for r in QTDB:
        q = wfdb.rdrecord(os.path.join(SHARED, "qtdb", r))
        y = np.ascontiguousarray(np.nan_to_num(q.p_signal[:, 0]))
        total += best(lambda: detect_heartbeats(y, q.fs))
    print(f"sleepecg detect_heartbeats, 20 qtdb records (5 h, 250 Hz, 1 lead): {1000 * total:.1f} ms")
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "data", "holter24", "holter24")
    if not os.path.exists(path + ".hea"):
        print(f"{path}.hea missing: run testdata/analysis/make_holter24.py first")
        return
    import neurokit2 as nk
    h = wfdb.rdrecord(path, sampto=3600 * 360, channels=[0])
    sig = h.p_signal[:, 0]
    t = time.perf_counter()
    signals, info = nk.ecg_process(sig, sampling_rate=360)
    tp = time.perf_counter() - t
    print(f"neurokit2 ecg_process, first hour of holter24 (1 lead, 360 Hz): {tp:.1f} s")
    t = time.perf_counter()
    nk.hrv_nonlinear(info["ECG_R_Peaks"], sampling_rate=360)
    tn = time.perf_counter() - t
    print(f"neurokit2 hrv_nonlinear on that hour's {len(info['ECG_R_Peaks'])} peaks: {tn:.1f} s")


if __name__ == "__main__":
    main()
