#!/usr/bin/env bash
# Install the Debian packages reportgen needs, when they are missing. Needs root (as on CI
# and the dev machines); otherwise it says what to install.
#
#   scripts/system-deps.sh            the libraries WeasyPrint needs (Pango, HarfBuzz
#                                     subsetting), a font, and Java 17 for the Spark engine
#                                     and its tests; failing is an error
#   scripts/system-deps.sh --spark    Java 17 only (Debian's openjdk-17-jre-headless), for
#                                     `reportgen run --engine spark` (with pip install
#                                     "reportgen[spark]")
#   scripts/system-deps.sh --browser  Debian's chromium, for the browser tests only (run by
#                                     `make test`, not `make report`); if it cannot be
#                                     installed this says why and exits 0, and the browser
#                                     tests are skipped with that reason
set -euo pipefail
mode="${1:-}"
browser=false
[ "$mode" = "--browser" ] && browser=true
java=(openjdk-17-jre-headless)
case "$mode" in
  --browser) packages=(chromium fonts-dejavu-core) ;;
  --spark) packages=("${java[@]}") ;;
  *) packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core "${java[@]}") ;;
esac
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
# A Java 17 or later from elsewhere (JAVA_HOME, an SDK manager) serves Spark as well.
if [ ${#missing[@]} -gt 0 ] && [ "${missing[-1]}" = "${java[0]}" ] && command -v java >/dev/null &&
  java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; then
  unset 'missing[-1]'
fi
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
