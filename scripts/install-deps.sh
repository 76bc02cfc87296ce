#!/usr/bin/env bash
# Installs the system packages the build and the tests need (Debian 12). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
    pkg-config libarchive-dev   # compress-tools (libarchive) for ecg-archive
    zstd lz4 zip unzip p7zip-full bzip2 xz-utils libarchive-tools  # archive fixtures in tests
    poppler-utils qpdf          # PDF checks in report tests
    fonts-droid-fallback        # CJK glyphs for ecg-report (run time and tests)
)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
