#!/usr/bin/env bash
# Install the Debian packages reportgen needs, when they are missing. Needs root (as on CI
# and the dev machines); otherwise it says what to install.
#
#   scripts/system-deps.sh            the libraries WeasyPrint needs (Pango, HarfBuzz
#                                     subsetting) and a font; failing is an error
#   scripts/system-deps.sh --browser  Debian's chromium, for the browser tests only (run by
#                                     `make test`, not `make report`); if it cannot be
#                                     installed this says why and exits 0, and the browser
#                                     tests are skipped with that reason
set -euo pipefail
browser=false
[ "${1:-}" = "--browser" ] && browser=true
if $browser; then
  packages=(chromium fonts-dejavu-core)
else
  packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "reportgen needs these Debian packages: ${missing[*]}" >&2
  echo "Install them with: sudo apt-get install ${missing[*]}" >&2
  $browser && echo "(The browser tests will be skipped without them.)" >&2 && exit 0
  exit 1
fi
if $browser; then
  echo "Installing ${missing[*]} for the browser tests" >&2
  if ! { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
      "${missing[@]}" >/dev/null; }; then
    echo "Could not install ${missing[*]}: the browser tests will be skipped." >&2
  fi
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
