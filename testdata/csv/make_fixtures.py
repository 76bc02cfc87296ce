#!/usr/bin/env python3
"""Writes the CSV/TSV fixtures of ecg-csv and their REFERENCE.json.

Run from the repository root with the project venv:
    /work/venv/bin/python testdata/csv/make_fixtures.py

Sources: MIT-BIH record 100 (../shared/testdata/wfdb/100, read with wfdb-python) and PTB
s0010_re (15 leads, 1000 Hz). Tables are written with pandas in the dialects ecg-csv
must recognise; REFERENCE.json is what pandas.read_csv reads back from each file (the
peer): row count, and per column the count of missing cells, min, max, the sum (rounded
to 6 decimals) and the first values.
"""
import json
import os

import numpy as np
import pandas as pd
import wfdb

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "wfdb")


def rec100(seconds=5):
    r = wfdb.rdrecord(os.path.join(SHARED, "100"), sampto=int(360 * seconds))
    return r


def write_all():
    files = {}
    r = rec100()
    n = r.p_signal.shape[0]
    t = np.arange(n) / r.fs
    # 1. comma, time in seconds, mV with 3 decimals (as wfdb's physical values are).
    df = pd.DataFrame({"time (s)": np.round(t, 6), "MLII (mV)": r.p_signal[:, 0], "V5 (mV)": r.p_signal[:, 1]})
    p = "mitdb100_comma_time_s.csv"
    df.to_csv(os.path.join(HERE, p), index=False, float_format="%.3f" if False else None)
    files[p] = {"sep": ","}
    # 2. semicolon + decimal comma, time in ms (integers at 360 Hz are not whole: use 3 decimals).
    df2 = pd.DataFrame({"Zeit [ms]": np.round(t * 1000, 3), "MLII [mV]": r.p_signal[:, 0], "V5 [mV]": r.p_signal[:, 1]})
    p = "mitdb100_semicolon_decimal_comma_ms.csv"
    df2.to_csv(os.path.join(HERE, p), index=False, sep=";", decimal=",")
    files[p] = {"sep": ";", "decimal": ","}
    # 3. TSV without time column, digital-ish microvolts with a pandas index column.
    uv = np.round(r.p_signal * 1000).astype(int)
    df3 = pd.DataFrame({"MLII (uV)": uv[:, 0], "V5 (uV)": uv[:, 1]})
    p = "mitdb100_tab_no_time_uv.tsv"
    df3.to_csv(os.path.join(HERE, p), sep="\t")
    files[p] = {"sep": "\t", "index_col": 0}
    # 4. ISO timestamps (250 Hz resampled view: every sample of s0010 at 1000 Hz, 2 s), 15 leads, gaps.
    s = wfdb.rdrecord(os.path.join(SHARED, "s0010_re"), sampto=2000)
    start = pd.Timestamp("2024-03-01T10:15:30")
    stamps = [(start + pd.Timedelta(milliseconds=i)).isoformat(timespec="milliseconds") for i in range(2000)]
    df4 = pd.DataFrame(s.p_signal, columns=[f"{name} (mV)" for name in s.sig_name])
    df4.iloc[100:110, 3] = np.nan  # missing cells in lead aVR
    df4.insert(0, "timestamp", stamps)
    p = "s0010_iso_timestamps.csv"
    df4.to_csv(os.path.join(HERE, p), index=False, float_format="%.4f")
    files[p] = {"sep": ",", "index_col": 0}
    # 5. space-aligned, no header, comment with the rate.
    p = "mitdb100_space_no_header.txt"
    with open(os.path.join(HERE, p), "w") as f:
        f.write("# MIT-BIH 100, first 5 s\n# sampling rate: 360 Hz\n")
        for a, b in r.p_signal:
            f.write(f"{a:8.3f} {b:8.3f}\n")
    files[p] = {"sep": r"\s+", "header": None, "comment": "#"}

    ref = {}
    for p, kw in files.items():
        df = pd.read_csv(os.path.join(HERE, p), engine="python" if kw.get("sep") == r"\s+" else "c", **kw)
        cols = {}
        for c in df.columns:
            col = df[c]
            if col.dtype == object:
                continue
            cols[str(c)] = {
                "missing": int(col.isna().sum()),
                "min": float(col.min()),
                "max": float(col.max()),
                "sum": round(float(col.sum()), 6),
                "first": [None if np.isnan(v) else float(v) for v in col.values[:5]],
            }
        ref[p] = {"rows": int(len(df)), "columns": cols}
    with open(os.path.join(HERE, "REFERENCE.json"), "w") as f:
        json.dump({"peer": f"pandas {pd.__version__} read_csv", "files": ref}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    write_all()
