#!/usr/bin/env bash
# System packages the tests need beside Python, Java and Maven, installed from Debian when missing:
#   postgresql  - the real PostgreSQL server behind the Redshift wire double (tests start their own)
#   chromium    - headless browser that opens the profile's HTML report in a test
# Idempotent: does nothing when everything is already there.
set -euo pipefail

missing=()
if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
if ! command -v chromium >/dev/null 2>&1; then
  missing+=(chromium)
fi
for tool in java mvn; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: $tool is required (Java 17 and Maven 3.8)" >&2; exit 1; }
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
