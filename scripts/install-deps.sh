#!/usr/bin/env bash
# Installs the Debian 12 packages touchpoint needs to build, test and run. Quiet and fast when
# everything is already there: it only calls apt-get for packages that are missing.
set -euo pipefail

packages=(
  build-essential g++ cmake ninja-build ccache pkg-config git
  libboost-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev
  libsqlite3-dev libpq-dev libsodium-dev libssl-dev zlib1g-dev libjemalloc-dev libsimdjson-dev
  libcurl4-openssl-dev libgmime-3.0-dev libxml2-dev
  libhowardhinnant-date-dev tzdata
  libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 oathtool wrk curl python3 procps python3-aiosmtpd openssl
  nginx sqlite3 chromium
)
# Node.js and npm run Segment's own client in tests/segment (@segment/analytics-node needs Node >= 20).
# A Node.js from NodeSource bundles npm and conflicts with Debian's npm package: only add them when missing.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
