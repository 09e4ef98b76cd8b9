#!/usr/bin/env bash
# Installs the Debian packages KeyCluster needs to build and test, when they are missing.
# As root it uses apt-get; otherwise it says exactly what to install and fails.
set -euo pipefail

# Debian package → a file that shows it is installed.
declare -A needed=(
  [liblmdb-dev]=/usr/include/lmdb.h
  [libssl-dev]=/usr/include/openssl/ssl.h
  [pkg-config]=/usr/bin/pkg-config
)

# For the multi-region simulation (Deploy/netns-cluster.sh, the partition suite): installed as root; without
# them (or without root) that suite says it is skipped.
declare -A simulation=(
  [nftables]=/usr/sbin/nft
  [iptables]=/usr/sbin/iptables
  [iproute2]=/usr/sbin/tc
  [libnetfilter-queue1]=/usr/share/doc/libnetfilter-queue1/copyright
  [python3]=/usr/bin/python3
  # promtool: checks Deploy/monitoring/alerts.yml (rules and their unit tests) and a member's /metrics
  # exposition in MonitoringFilesTests; without it those checks are skipped, the metric-name check is not.
  [prometheus]=/usr/bin/promtool
  # The status page's browser test (StatusPageBrowserTests, headless): skipped without it.
  [chromium]=/usr/bin/chromium
)

missing=()
for package in "${!needed[@]}"; do
  [ -e "${needed[$package]}" ] || missing+=("$package")
done
if [ "$(id -u)" -eq 0 ]; then
  for package in "${!simulation[@]}"; do
    [ -e "${simulation[$package]}" ] || missing+=("$package")
  done
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "install-deps: 'swift' is not on PATH; KeyCluster needs Swift 6.3 (https://www.swift.org/install/linux/)." >&2
  exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing Debian packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or install them first: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
