#!/bin/sh
# Installs the Debian packages the app and its tests need, only when missing.
# CJK font: without it Chinese prints as empty boxes.
# libharfbuzz-subset0: WeasyPrint subsets fonts with HarfBuzz; without it a CJK
# font costs ~22 s per face through fontTools.
set -e
PACKAGES="fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils"
if [ "${WITH_BROWSER:-0}" = "1" ]; then
  PACKAGES="$PACKAGES chromium"
fi
missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "Installing system packages:$missing"
  SUDO=""
  [ "$(id -u)" = "0" ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
