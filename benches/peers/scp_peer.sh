#!/usr/bin/env bash
# Whole-process SCP-ECG decoding, side by side in one run:
#   ours:   the `scp2bin` example of ecg-scp (decode + write every lead as int32 files)
#   BioSig: save2gdf -f=BIN FILE OUT (Debian biosig-tools; decode + write BIN files)
# Both read the same file, decode every lead and write one int32 file per lead plus a
# header; hyperfine runs each command N times (no shell, warm-up runs first), the two
# commands alternating file by file. Output goes to a tmpfs directory (/dev/shm when it
# exists) so that disk latency on a shared machine does not dominate either side.
# Reported per file: median wall time and mean CPU time (user + system) of each, and the
# ratios save2gdf / ours.
#
# Usage: benches/peers/scp_peer.sh [runs]   (default 30)
# Needs: hyperfine, save2gdf, python3; builds the example in release mode.
set -euo pipefail

RUNS="${1:-30}"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SHARED="$ROOT/../shared/testdata/scp"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
if [ -d /dev/shm ]; then OUT="$(mktemp -d -p /dev/shm)"; else OUT="$(mktemp -d)"; fi
trap 'rm -rf "$OUT"' EXIT

cargo build --quiet --release -p ecg-scp --example scp2bin
BIN="$TARGET/release/examples/scp2bin"

FILES=(
  gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp
  gen_mitdb100_2lead_360Hz_10s_v20_huff_d2.scp
  scptools_ECG_20070321_110542.scp
  scptools_ECG_20170504_163507.scp
  ecgtoolkit_Example.scp
  gen_s0010_12lead_500Hz_10s_v20_huff_d1.scp
  gen_s0010_12lead_500Hz_10s_v13_raw.scp
  ecgviewer_demo.scp
  gen_s0010_12lead_1000Hz_10s_v20_huff_d2.scp
  gen_s0010_15lead_1000Hz_10s_v20_raw_d1.scp
  contec_0000050_ecg_scp.scp
)

echo "machine: $(nproc) cores, $(uname -m), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "save2gdf: $(dpkg-query -W -f='${Version}' biosig-tools 2>/dev/null || echo unknown) (biosig-tools)"
echo
for f in "${FILES[@]}"; do
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$OUT/$f.json" \
    --command-name ours "$BIN $SHARED/$f $OUT/ours" \
    --command-name biosig "save2gdf -f=BIN $SHARED/$f $OUT/biosig" >/dev/null 2>&1
done

python3 - "$OUT" "$SHARED" "${FILES[@]}" <<'PY'
import json, math, os, sys
out, shared, files = sys.argv[1], sys.argv[2], sys.argv[3:]
print("| file | bytes | ours wall ms | save2gdf wall ms | wall ratio | ours CPU ms | save2gdf CPU ms | CPU ratio |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
wall, cpu = [], []
for f in files:
    res = {r["command"]: r for r in json.load(open(os.path.join(out, f + ".json")))["results"]}
    o, p = res["ours"], res["biosig"]
    ow, pw = o["median"] * 1e3, p["median"] * 1e3
    oc, pc = (o["user"] + o["system"]) * 1e3, (p["user"] + p["system"]) * 1e3
    wall.append(pw / ow)
    cpu.append(pc / oc)
    size = os.path.getsize(os.path.join(shared, f))
    print(f"| {f} | {size} | {ow:.2f} | {pw:.2f} | {pw / ow:.1f}x | {oc:.2f} | {pc:.2f} | {pc / oc:.1f}x |")
gm = lambda xs: math.exp(sum(map(math.log, xs)) / len(xs))
print(f"\ngeometric mean save2gdf / ours: wall {gm(wall):.1f}x (min {min(wall):.1f}x, max {max(wall):.1f}x), "
      f"CPU {gm(cpu):.1f}x (min {min(cpu):.1f}x, max {max(cpu):.1f}x)")
PY
