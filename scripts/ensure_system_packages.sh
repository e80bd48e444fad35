#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages payer_app needs (apt-get, when running as root),
# or names the missing ones and fails when it cannot install them.
set -euo pipefail

packages=(
  libzbar0                       # pyzbar loads libzbar at run time
  xvfb xauth                     # a real X server for the end-to-end test and screenshots
  openbox xdotool                # a real window manager and real mouse/keyboard events for the e2e test
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-render-util0 libxcb-xinerama0
  libxcb-xkb1 libxcb-shape0 libxcb-randr0 libxkbcommon-x11-0 libxcb-cursor0
  libegl1 libgl1 libfontconfig1 libdbus-1-3   # Qt's xcb platform plugin and rendering
  fonts-noto-core                # Vietnamese diacritics on bills and in the window
  chromium chromium-driver       # a real browser for the HTML report and merchant display tests (Selenium)
  espeak-ng                      # the merchant display speaks approvals in Vietnamese
  poppler-utils librsvg2-bin     # tests render generated PDF / SVG bills back to pixels (pdftoppm, rsvg-convert)
  wrk                            # bench/acquirer_load_bench.py sends pre-signed requests with it (a compiled load generator)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "payer_app: missing system packages: ${missing[*]}" >&2
  echo "This machine has no apt-get; install the equivalents of these Debian packages by hand." >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "payer_app: missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "payer_app: installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
