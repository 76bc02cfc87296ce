#!/usr/bin/env python3
"""Build a 24-hour, 2-lead, 360 Hz WFDB record (format 212) with aligned reference beat
annotations by concatenating the annotated records of ../shared/testdata: MIT-BIH 100
(360 Hz, 30 min) and the 20 QT-database records (250 Hz, 15 min each, resampled to
360 Hz with a polyphase filter; their annotation samples are rescaled). The 5.5 hours of
source material are repeated in order until 24 hours are filled; the last piece is cut.

Usage (needs numpy, scipy, wfdb; e.g. the project's /work/venv):
    python3 testdata/analysis/make_holter24.py [OUT_DIR]      # default: data/holter24
Writes OUT_DIR/holter24.hea, .dat (about 93 MB) and .atr (reference beats, MIT codes).
The record is for benchmarks (`cargo bench -p ecg-benches --bench analysis`); it is not
committed.
"""
import os
import sys

import numpy as np
import wfdb
from scipy.signal import resample_poly

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "testdata"))
QTDB = ("sel114 sel116 sel223 sel230 sel301 sel302 sel306 sel307 sel803 sel808 sel820 "
        "sel840 sel14046 sel14157 sel16265 sel16272 sele0104 sele0106 sele0107 sele0110").split()
FS = 360
GAIN = 200.0
TOTAL = 24 * 3600 * FS


def pieces():
    out = []
    for db, name in [("wfdb", "100")] + [("qtdb", r) for r in QTDB]:
        path = os.path.join(SHARED, db, name)
        rec = wfdb.rdrecord(path)
        ann = wfdb.rdann(path, "atr")
        sig = rec.p_signal[:, :2]
        sig = np.nan_to_num(sig)
        samples = np.asarray(ann.sample, dtype=np.int64)
        if rec.fs != FS:
            sig = resample_poly(sig, FS, int(rec.fs), axis=0)
            samples = np.round(samples * FS / rec.fs).astype(np.int64)
        beats = [(s, c) for s, c in zip(samples, ann.symbol) if c in "NLRejAaJSVEF/fQ"]
        out.append((name, sig, beats))
    return out


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "data", "holter24")
    os.makedirs(out_dir, exist_ok=True)
    src = pieces()
    sig = np.zeros((TOTAL, 2), dtype=np.float64)
    samples, symbols = [], []
    pos = 0
    k = 0
    while pos < TOTAL:
        name, s, beats = src[k % len(src)]
        n = min(len(s), TOTAL - pos)
        sig[pos:pos + n] = s[:n]
        for b, c in beats:
            if b < n:
                samples.append(pos + b)
                symbols.append(c)
        pos += n
        k += 1
    digital = np.clip(np.round(sig * GAIN), -2048, 2047).astype(np.int32)
    wfdb.wrsamp("holter24", fs=FS, units=["mV", "mV"], sig_name=["lead1", "lead2"],
                d_signal=digital, fmt=["212", "212"], adc_gain=[GAIN, GAIN], baseline=[0, 0],
                write_dir=out_dir)
    wfdb.wrann("holter24", "atr", np.asarray(samples), symbol=symbols, write_dir=out_dir)
    print(f"{out_dir}/holter24: {TOTAL} samples x 2 at {FS} Hz, {len(samples)} reference beats, "
          f"{k} pieces")


if __name__ == "__main__":
    main()
