#!/usr/bin/env bash
# Installs the system packages the build and the tests need (Debian 12). Run as root.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
packages=(
    pkg-config libarchive-dev   # compress-tools (libarchive) for ecg-archive
    zstd lz4 zip unzip p7zip-full bzip2 xz-utils libarchive-tools  # archive fixtures in tests
    poppler-utils qpdf          # PDF checks in report tests
    fonts-droid-fallback        # CJK glyphs for ecg-report (run time and tests)
    chromium                    # ecg-server's review viewer, end-to-end in a real browser
)
# node and npm drive that browser (playwright-core); a node already on the PATH (e.g. a newer
# one from another repository) is kept, since Debian's npm would conflict with it.
command -v node >/dev/null || packages+=(nodejs)
command -v npm >/dev/null || packages+=(npm)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi

# playwright-core for the viewer's browser test, pinned by the committed package-lock.json
# (installed again only when the installed version differs from the locked one).
browser_tests="$(cd "$(dirname "$0")/.." && pwd)/apps/ecg-server/tests/browser"
locked=$(node -p "require('$browser_tests/package-lock.json').packages['node_modules/playwright-core'].version")
installed=$(node -p "try { require('$browser_tests/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$locked" != "$installed" ]; then
    npm ci --prefix "$browser_tests" --no-audit --no-fund
fi
