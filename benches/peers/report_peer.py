#!/usr/bin/env python3
"""Peer for the report benchmark: the same resting 3x4+1 page (PTB s0010_re, first 10 s,
1 mm / 5 mm grid, calibration pulses, labels) drawn with matplotlib to a vector PDF, and
30 two-lead 7 s strips of MIT-BIH 100 on A4 portrait pages (5 per page).

Usage: /work/venv/bin/python benches/peers/report_peer.py [repeats]
Prints the mean wall time per PDF and the file sizes.
"""
import io
import os
import sys
import time

import matplotlib

matplotlib.use("pdf")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
import numpy as np  # noqa: E402
import wfdb  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "..", "..", "shared", "testdata", "wfdb")
MM = 1 / 25.4  # inches per mm


def grid(ax, w, h):
    """1 mm and 5 mm lines as two LineCollections (one artist each, the fast way)."""
    minor, major = [], []
    for x in range(0, int(w) + 1):
        (major if x % 5 == 0 else minor).append([(x, 0), (x, h)])
    for y in range(0, int(h) + 1):
        (major if y % 5 == 0 else minor).append([(0, y), (w, y)])
    ax.add_collection(LineCollection(minor, colors=[(0.98, 0.78, 0.78)], linewidths=0.2))
    ax.add_collection(LineCollection(major, colors=[(0.93, 0.45, 0.45)], linewidths=0.5))


def resting(sig, names, fs):
    fig = plt.figure(figsize=(297 * MM, 210 * MM))
    ax = fig.add_axes([6 / 297, 15 / 210, 285 / 297, 145 / 210])
    ax.set_xlim(0, 285)
    ax.set_ylim(0, 145)
    ax.axis("off")
    grid(ax, 285, 145)
    leads = ["i", "ii", "iii", "avr", "avl", "avf", "v1", "v2", "v3", "v4", "v5", "v6"]
    n = int(10 * fs)
    pitch = 145 / 4
    for row in range(4):
        base = 145 - pitch * (row + 0.6)
        ax.plot([2, 5, 5, 10, 10, 12], [base, base, base + 10, base + 10, base, base], "k", lw=0.7)
        cells = [(leads[c * 3 + row], c * 2.5, (c + 1) * 2.5) for c in range(4)] if row < 3 else [("ii", 0, 10)]
        for lead, t0, t1 in cells:
            x = sig[int(t0 * fs):int(t1 * fs), names.index(lead)]
            x = x - np.median(sig[:n, names.index(lead)])
            t = 13 + (np.arange(len(x)) / fs + t0) * 25
            ax.plot(t, base + x * 10, "k", lw=0.7)
            ax.text(13 + t0 * 25 + 1, base + pitch * 0.45, lead, fontsize=9, weight="bold")
    fig.text(0.02, 0.95, "Müller-Иванова, Zoë", fontsize=13, weight="bold")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    plt.close(fig)
    return buf.getvalue()


def strips(sig, fs, centres):
    buf = io.BytesIO()
    from matplotlib.backends.backend_pdf import PdfPages

    with PdfPages(buf) as pdf:
        for p in range(0, len(centres), 5):
            fig = plt.figure(figsize=(210 * MM, 297 * MM))
            for k, c in enumerate(centres[p:p + 5]):
                ax = fig.add_axes([10 / 210, 1 - (30 + 52 * (k + 1)) / 297, 190 / 210, 40 / 297])
                ax.set_xlim(0, 190)
                ax.set_ylim(0, 40)
                ax.axis("off")
                grid(ax, 190, 40)
                a = max(0, int((c - 3.5) * fs))
                for ch in range(2):
                    x = sig[a:a + int(7 * fs), ch]
                    x = x - np.median(x)
                    ax.plot(13 + np.arange(len(x)) / fs * 25, 40 - 20 * (ch + 0.6) + x * 10, "k", lw=0.7)
            pdf.savefig(fig)
            plt.close(fig)
    return buf.getvalue()


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    rec = wfdb.rdrecord(os.path.join(DATA, "s0010_re"))
    names = [n.lower() for n in rec.sig_name]
    sig = rec.p_signal
    r100 = wfdb.rdrecord(os.path.join(DATA, "100"))
    ann = wfdb.rdann(os.path.join(DATA, "100"), "atr")
    centres = [s / 360 for s, sym in zip(ann.sample, ann.symbol) if sym == "A"][:30]
    for name, fn in [("resting/s0010_3x4+1", lambda: resting(sig, names, rec.fs)),
                     ("long_term/100_30_strips", lambda: strips(r100.p_signal, 360, centres))]:
        fn()
        t = time.perf_counter()
        for _ in range(repeats):
            out = fn()
        dt = (time.perf_counter() - t) / repeats
        print(f"{name}: matplotlib {dt * 1000:.1f} ms, {len(out)} bytes")


if __name__ == "__main__":
    main()
