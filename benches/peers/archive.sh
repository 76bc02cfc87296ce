#!/usr/bin/env bash
# Peer side of the `archive` benchmark (see docs/BENCHMARKS.md, "Archive walk and decode").
#
#   benches/peers/archive.sh build DIR [SIZE_MB]   # builds DIR/big.tar.zst and DIR/big.zip
#   benches/peers/archive.sh run [SIZE_MB]         # build in a temp dir, then run side by side:
#        bare decompression (zstd -dc > /dev/null, unzip -p > /dev/null) and the criterion
#        bench `archive` (walk + decode with ecg-archive), each under /usr/bin/time -v for
#        the peak resident memory.
#
# The data set repeats WFDB and EDF records of ../shared/testdata, one directory per copy
# (rec_0000/ ...): MIT-BIH 100 (.hea/.dat/.atr), test01_00s (.hea/.dat), test_generator.edf,
# holter_3ch_1h.edf and the SCP-ECG generator file (about 10.6 MB per copy), until SIZE_MB
# (default 1024) is reached. tar: `tar -cf - | zstd -3`; zip: `zip -q -r -6` (Info-ZIP).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SHARED="$(cd "$ROOT/../shared/testdata" && pwd)"

build() {
  local dir="$1" size_mb="${2:-1024}"
  mkdir -p "$dir/data"
  local one=0 i=0
  for f in wfdb/100.hea wfdb/100.dat wfdb/100.atr wfdb/test01_00s.hea wfdb/test01_00s.dat \
           edf/test_generator.edf edf/holter_3ch_1h.edf scp/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp; do
    one=$((one + $(stat -c %s "$SHARED/$f")))
  done
  local copies=$(( (size_mb * 1024 * 1024 + one - 1) / one ))
  while [ "$i" -lt "$copies" ]; do
    local d; d="$dir/data/$(printf 'rec_%04d' "$i")"
    mkdir -p "$d"
    cp "$SHARED"/wfdb/100.hea "$SHARED"/wfdb/100.dat "$SHARED"/wfdb/100.atr \
       "$SHARED"/wfdb/test01_00s.hea "$SHARED"/wfdb/test01_00s.dat \
       "$SHARED"/edf/test_generator.edf "$SHARED"/edf/holter_3ch_1h.edf \
       "$SHARED"/scp/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp "$d/"
    i=$((i + 1))
  done
  (cd "$dir/data" && tar --sort=name -cf - . | zstd -q -3 -o "$dir/big.tar.zst")
  (cd "$dir/data" && zip -q -r -6 "$dir/big.zip" .)
  rm -rf "$dir/data"
  echo "built $copies copies ($(( copies * one / 1048576 )) MiB uncompressed):"
  ls -l "$dir/big.tar.zst" "$dir/big.zip"
}

peak() { # peak RSS in MiB of a command, from /usr/bin/time -v
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {printf "%.0f MiB\n", $2/1024}'
}

case "${1:-run}" in
  build) build "$2" "${3:-1024}" ;;
  run)
    DIR="$(mktemp -d)"; trap 'rm -rf "$DIR"' EXIT
    build "$DIR" "${2:-1024}"
    echo "== bare decompression (median of 5 runs each)"
    for cmd in "zstd -dc $DIR/big.tar.zst" "unzip -p $DIR/big.zip"; do
      ts=()
      for _ in 1 2 3 4 5; do
        s=$(date +%s.%N); $cmd > /dev/null; e=$(date +%s.%N)
        ts+=("$(echo "$e - $s" | bc)")
      done
      printf '%s: %s s (runs: %s), peak %s\n' "$cmd" \
        "$(printf '%s\n' "${ts[@]}" | sort -n | sed -n 3p)" "${ts[*]}" "$(sh -c "peak $cmd" 2>/dev/null || true)"
    done
    echo "== peak memory"
    echo "zstd -dc: $(peak sh -c "zstd -dc $DIR/big.tar.zst > /dev/null")"
    echo "unzip -p: $(peak sh -c "unzip -p $DIR/big.zip > /dev/null")"
    cd "$ROOT"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/work/targets/archive}"
    cargo bench -p ecg-benches --bench archive --no-run 2>&1 | tail -1
    echo "ecg-archive decode_upload (one pass each, bench binary): "
    ECG_ARCHIVE_BENCH_DIR="$DIR" ECG_ARCHIVE_BENCH_ONCE=1 /usr/bin/time -v \
      cargo bench -q -p ecg-benches --bench archive 2>&1 | grep -E "once|Maximum resident"
    echo "== criterion, side by side (ecg-archive and the bare decompressors in one run)"
    ECG_ARCHIVE_BENCH_DIR="$DIR" cargo bench -p ecg-benches --bench archive 2>&1 | grep -vE "^\s*$|Benchmarking|Warming|Collecting|Analyzing"
    ;;
  *) echo "usage: $0 build DIR [SIZE_MB] | run [SIZE_MB]" >&2; exit 2 ;;
esac
