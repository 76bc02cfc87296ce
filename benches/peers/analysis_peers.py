#!/usr/bin/env python3
"""Peer QRS detectors on the accuracy set, scored like `ecg eval`, plus timings.

Runs wfdb-python's XQRS, NeuroKit2's default detector (ecg_clean + ecg_peaks, method
"neurokit") and sleepecg's C detector on lead 0 of the 20 QT-database records and
MIT-BIH 100, and scores each against the `.atr` beats with wfdb-python's
`compare_annotations` (150 ms window, inclusive: window_width = round(0.15 fs) + 1
because compare_annotations matches with a strict `<`).

With `--ours DIR`, also scores our annotation files DIR/<record>.ecg (written by
`ecg analyze RECORD --annotations DIR/<record>.ecg`) with compare_annotations, which
validates the harness: the TP/FN/FP must equal `ecg eval`'s.

Setup (a venv with the peers):
    python3 -m venv /work/venv && /work/venv/bin/pip install wfdb neurokit2 sleepecg
Usage:
    /work/venv/bin/python benches/peers/analysis_peers.py [--ours DIR] [--only xqrs,nk,sleepecg]
"""
import argparse
import os
import time
import warnings

import numpy as np
import wfdb
from wfdb import processing

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "testdata"))
QTDB = ("sel114 sel116 sel223 sel230 sel301 sel302 sel306 sel307 sel803 sel808 sel820 "
        "sel840 sel14046 sel14157 sel16265 sel16272 sele0104 sele0106 sele0107 sele0110").split()
RECORDS = [("qtdb", r) for r in QTDB] + [("wfdb", "100")]
BEATS = set("NLRejAaJSVEF/fQ")


def detect_xqrs(sig, fs):
    x = processing.XQRS(sig=sig, fs=fs)
    x.detect(verbose=False)
    return np.asarray(x.qrs_inds)


def detect_nk(sig, fs):
    import neurokit2 as nk
    clean = nk.ecg_clean(sig, sampling_rate=fs)
    _, info = nk.ecg_peaks(clean, sampling_rate=fs)
    return np.asarray(info["ECG_R_Peaks"])


def detect_sleepecg(sig, fs):
    from sleepecg import detect_heartbeats
    return np.asarray(detect_heartbeats(sig, fs))


DETECTORS = {"xqrs": detect_xqrs, "nk": detect_nk, "sleepecg": detect_sleepecg}


def score(ref, test, fs):
    w = int(round(0.15 * fs)) + 1
    c = processing.compare_annotations(np.asarray(ref), np.asarray(sorted(test)), w)
    return c.tp, c.fn, c.fp


def table(title, rows):
    print(f"\n### {title}\n")
    print("| record | ref beats | TP | FN | FP | QRS Se % | QRS +P % | time ms |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    tot = [0, 0, 0, 0.0]
    for name, nref, tp, fn, fp, ms in rows:
        se = 100.0 * tp / max(tp + fn, 1)
        pp = 100.0 * tp / max(tp + fp, 1)
        print(f"| {name} | {nref} | {tp} | {fn} | {fp} | {se:.2f} | {pp:.2f} | {ms:.1f} |")
        tot[0] += tp
        tot[1] += fn
        tot[2] += fp
        tot[3] += ms
    tp, fn, fp, ms = tot
    print(f"| **gross** | {tp + fn} | {tp} | {fn} | {fp} | {100.0 * tp / max(tp + fn, 1):.2f} | "
          f"{100.0 * tp / max(tp + fp, 1):.2f} | {ms:.1f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", help="directory of our <record>.ecg annotation files")
    ap.add_argument("--only", default="xqrs,nk,sleepecg")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    results = {k: [] for k in args.only.split(",") if k}
    ours = []
    for db, name in RECORDS:
        path = os.path.join(SHARED, db, name)
        rec = wfdb.rdrecord(path)
        ann = wfdb.rdann(path, "atr")
        ref = [s for s, c in zip(ann.sample, ann.symbol) if c in BEATS]
        sig = np.nan_to_num(rec.p_signal[:, 0])
        for k in results:
            t = time.perf_counter()
            det = DETECTORS[k](sig, rec.fs)
            ms = 1000.0 * (time.perf_counter() - t)
            results[k].append((name, len(ref)) + score(ref, det, rec.fs) + (ms,))
        if args.ours:
            a = wfdb.rdann(os.path.join(args.ours, name), "ecg")
            test = [s for s, c in zip(a.sample, a.symbol) if c in BEATS]
            ours.append((name, len(ref)) + score(ref, test, rec.fs) + (0.0,))
    titles = {"xqrs": "wfdb-python XQRS (lead 0)",
              "nk": "NeuroKit2 ecg_clean + ecg_peaks, default method (lead 0)",
              "sleepecg": "sleepecg detect_heartbeats, C backend (lead 0)"}
    for k, rows in results.items():
        table(titles[k], rows)
    if args.ours:
        table("ecg-analysis annotation files scored by wfdb-python compare_annotations", ours)


if __name__ == "__main__":
    main()
