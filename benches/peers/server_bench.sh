#!/usr/bin/env bash
# Benchmarks of the HTTP service (docs/BENCHMARKS.md, section "HTTP service"):
#  1. status polling (the long-term guide's status endpoint) with wrk: requests/s, p99;
#  2. chunk ingest with wrk: 8 MiB chunks PUT concurrently into one session (SHA-256 of
#     each chunk checked), MB/s;
#  3. end to end: a ~200 MB archive in 8 MiB chunks sent by 4 parallel curl clients, then
#     `complete` (whole-file SHA-256 + decode), MB/s.
# Needs wrk, curl, python3. Usage: benches/peers/server_bench.sh [path/to/ecg-server]
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/ecg-server}
DUR=${DUR:-20s}
[ -x "$BIN" ] || { echo "build first: cargo build --release -p ecg-server" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing (Debian package wrk)" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
KEY=$("$BIN" keys create --tenant bench --data "$WORK/data")
export ECG_KEY=$KEY
"$BIN" serve --bind 127.0.0.1:0 --data "$WORK/data" > "$WORK/out" 2> "$WORK/err" &
PID=$!
for _ in $(seq 50); do grep -q listening "$WORK/out" 2>/dev/null && break; sleep 0.1; done
BASE=$(sed -n 's/^ecg-server listening on //p' "$WORK/out" | head -1)
echo "server $BASE (pid $PID), $(nproc) cores"
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
# server CPU time (user + system) in seconds, to report cost per request / per MB, which the
# other processes on a shared machine disturb less than wall-clock rates
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' /proc/$PID/stat; }
EDF=../shared/testdata/edf/holter_3ch_1h.edf
UP=$(curl -sf -X POST "$BASE/api/v1/uploads/direct?file_name=h.edf" -H "Authorization: Bearer $KEY" --data-binary @"$EDF" | json "['upload_id']")
TASK=$(curl -sf -X POST "$BASE/api/v1/tasks" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d "{\"upload_id\":\"$UP\",\"kind\":\"long_term\",\"auto_complete\":true}" | json "['task_id']")
until curl -sf "$BASE/api/v1/tasks/$TASK" -H "Authorization: Bearer $KEY" | grep -q '"completed"'; do sleep 0.2; done

echo "== 1. status polling: GET /api/v1/advanced/ecg/holter/status/{id} (auth + SQLite lookup)"
C0=$(cpu)
wrk -t2 -c64 -d"$DUR" --latency -s benches/peers/server_status.lua "$BASE/api/v1/advanced/ecg/holter/status/$TASK" | tee "$WORK/wrk-status"
C1=$(cpu)
N=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk-status")
python3 -c "print(f'server CPU: {$C1-$C0:.2f} s for $N requests = {($C1-$C0)*1e6/$N:.1f} us per request')"

echo "== 1b. status polling with 16 connections"
wrk -t2 -c16 -d"$DUR" --latency -s benches/peers/server_status.lua "$BASE/api/v1/advanced/ecg/holter/status/$TASK" | grep -E "Requests/sec|99%"

echo "== peer baseline: the same bytes without HTTP (dd to a file, openssl SHA-256)"
dd if=/dev/zero of="$WORK/dd" bs=8M count=100 conv=fsync 2>&1 | tail -1 | sed 's/^/dd with fsync: /'
dd if=/dev/zero of="$WORK/dd" bs=8M count=100 2>&1 | tail -1 | sed 's/^/dd to page cache: /'
T0=$(date +%s.%N); openssl dgst -sha256 "$WORK/dd" > /dev/null; T1=$(date +%s.%N)
python3 -c "print(f'openssl sha256: {838.9/($T1-$T0):.0f} MB/s')"
rm -f "$WORK/dd"

echo "== 2. chunk ingest: PUT 8 MiB chunks (SHA-256 per chunk checked) into one session"
CHUNK=$((8 << 20))
head -c $CHUNK /dev/urandom > "$WORK/chunk"
export ECG_CHUNK_FILE="$WORK/chunk" ECG_CHUNK_SHA256=$(sha256sum "$WORK/chunk" | cut -d' ' -f1)
SIZE=$((CHUNK * 16 * 400))
export ECG_UPLOAD=$(curl -sf -X POST "$BASE/api/v1/uploads" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d "{\"file_name\":\"big.bin\",\"size\":$SIZE,\"sha256\":\"$(printf '0%.0s' $(seq 64))\"}" | json "['upload_id']")
C0=$(cpu)
wrk -t4 -c4 -d10s --latency -s benches/peers/server_chunks.lua "$BASE" | tee "$WORK/wrk-chunks"
C1=$(cpu)
python3 - "$WORK/wrk-chunks" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
n = int(re.search(r"(\d+) requests in ([\d.]+)s", t).group(1))
s = float(re.search(r"(\d+) requests in ([\d.]+)s", t).group(2))
print(f"chunk ingest: {n} x 8 MiB in {s:.2f} s = {n * 8 * 1.048576 / s:.0f} MB/s")
PY
N=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$WORK/wrk-chunks")
python3 -c "mb=$N*8*1.048576; c=$C1-$C0; print(f'server CPU: {c:.2f} s for {mb:.0f} MB = {mb/c:.0f} MB per CPU-second')"
curl -sf -X DELETE "$BASE/api/v1/uploads/$ECG_UPLOAD" -H "Authorization: Bearer $KEY"

echo "== 3. end to end: ~200 MB archive, 8 MiB chunks, 4 parallel clients, then complete"
python3 - "$EDF" "$WORK/week.zip" <<'PY'
import sys, zipfile
data = open(sys.argv[1], "rb").read()
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED) as z:
    for i in range(34):
        z.writestr(f"day{i:02}/holter_3ch_1h.edf", data)
PY
FSIZE=$(stat -c %s "$WORK/week.zip")
FSHA=$(sha256sum "$WORK/week.zip" | cut -d' ' -f1)
C0=$(cpu)
T0=$(date +%s.%N)
UID2=$(curl -sf -X POST "$BASE/api/v1/uploads" -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
  -d "{\"file_name\":\"week.zip\",\"size\":$FSIZE,\"sha256\":\"$FSHA\"}" | json "['upload_id']")
seq 0 $(( (FSIZE - 1) / CHUNK )) | xargs -P4 -I{} sh -c \
  "tail -c +\$(( {} * $CHUNK + 1 )) '$WORK/week.zip' | head -c $CHUNK | curl -sf -o /dev/null -X PUT --data-binary @- \
   -H 'Authorization: Bearer $KEY' -H 'content-type: application/octet-stream' '$BASE/api/v1/uploads/$UID2/chunks/'\$(( {} * $CHUNK ))"
T1=$(date +%s.%N)
RECS=$(curl -sf -X POST "$BASE/api/v1/uploads/$UID2/complete" -H "Authorization: Bearer $KEY" | json "['records'].__len__()")
T2=$(date +%s.%N)
C1=$(cpu)
python3 -c "
size=$FSIZE/1e6; up=$T1-$T0; done=$T2-$T1
print(f'end to end: {size:.0f} MB, chunks {up:.2f} s ({size/up:.0f} MB/s), complete (SHA-256 + decode of $RECS records) {done:.2f} s, total {size/(up+done):.0f} MB/s; server CPU {$C1-$C0:.2f} s = {size/($C1-$C0):.0f} MB per CPU-second')"
