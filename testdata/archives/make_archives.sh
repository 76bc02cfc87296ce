#!/usr/bin/env bash
# Rebuilds the small archive fixtures of ecg-archive (see README.md) with Debian tools:
# GNU tar, gzip, bzip2, xz-utils, lz4, zstd, zip (Info-ZIP).
#   apt-get install -y tar gzip bzip2 xz-utils lz4 zstd zip
# Inputs come from ../../../shared/testdata (WFDB test01_00s, the SCP-ECG generator file,
# and shared_dat from the shared archives).
set -euo pipefail
export TZ=UTC LC_ALL=C
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SHARED="$(cd "$HERE/../../../shared/testdata" && pwd)"
EPOCH=1577836800
STAGE="$(mktemp -d)"; trap 'rm -rf "$STAGE"' EXIT

# layout: gen/ (WFDB test01_00s + SCP + a text file) and the shared_dat record at the root
mkdir -p "$STAGE/t/gen"
cp "$SHARED/wfdb/test01_00s.hea" "$SHARED/wfdb/test01_00s.dat" "$STAGE/t/gen/"
cp "$SHARED/scp/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp" "$STAGE/t/gen/"
printf 'not an ECG\n' > "$STAGE/t/gen/notes.txt"
tar --zstd -xf "$SHARED/archives/ecg/shared_dat.tar.zst" -C "$STAGE/t"
find "$STAGE/t" -exec touch -h -d "@$EPOCH" {} +

tarball() {
  (cd "$STAGE/t" && tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
     --mtime="@$EPOCH" -cf - gen rec_full.hea rec_tail.hea shared.dat)
}
rm -f "$HERE"/layout.tar*
tarball > "$HERE/layout.tar"
tarball | gzip -n -9 > "$HERE/layout.tar.gz"
tarball | bzip2 -9 > "$HERE/layout.tar.bz2"
tarball | xz -9 > "$HERE/layout.tar.xz"
tarball | lz4 -q -9 > "$HERE/layout.tar.lz4"
tarball | zstd -q -19 > "$HERE/layout.tar.zst"

# nested.zip: a tar.gz and a zip inside a zip (one level is walked), a zip inside that zip
# (two levels: listed as skipped), and a gzip-compressed single SCP file (not a tar)
N="$STAGE/n"; mkdir -p "$N/inner"
cp "$HERE/layout.tar.gz" "$N/inner/layout.tar.gz"
(cd "$STAGE/t" && zip -q -X -9 "$STAGE/deep.zip" gen/notes.txt)
(cd "$STAGE/t" && cp "$STAGE/deep.zip" gen/deep.zip && touch -d "@$EPOCH" gen/deep.zip && zip -q -X -9 "$N/inner/gen.zip" gen/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp gen/deep.zip && rm gen/deep.zip)
gzip -n -9 -c "$STAGE/t/gen/gen_3000003_2lead_125Hz_8s_v20_huff_d1.scp" > "$N/inner/single.scp.gz"
find "$N" -exec touch -h -d "@$EPOCH" {} +
rm -f "$HERE/nested.zip"
(cd "$N" && zip -q -X -0 "$HERE/nested.zip" inner/layout.tar.gz inner/gen.zip inner/single.scp.gz)

# groups.tar.xz: a multi-segment record (041s: master header + 2 segments), and two
# directories with the same record name where only a/ has the signal file
G="$STAGE/g"; mkdir -p "$G/041s" "$G/a" "$G/b"
cp "$SHARED"/wfdb/multi-segment/041s/* "$G/041s/"
cp "$SHARED/wfdb/test01_00s.hea" "$SHARED/wfdb/test01_00s.dat" "$G/a/"
cp "$SHARED/wfdb/test01_00s.hea" "$G/b/"
find "$G" -exec touch -h -d "@$EPOCH" {} +
rm -f "$HERE/groups.tar.xz"
(cd "$G" && tar --format=ustar --sort=name --owner=0 --group=0 --numeric-owner \
   --mtime="@$EPOCH" -cf - 041s a b | xz -9 > "$HERE/groups.tar.xz")

ls -l "$HERE"
