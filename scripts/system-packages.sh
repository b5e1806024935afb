#!/bin/sh
# Debian packages that some tests run for real (each such test skips, saying why, without its package):
#   cups-daemon cups-client   a real cupsd for print-server sync
#   cups-ipp-utils avahi-daemon dbus   ippeveprinter, a real IPP Everywhere printer (issue 17)
#   chromium chromium-driver  a real browser for `tonertrack serve` (issue 18)
#   nginx-light               contrib/serve/nginx.conf in front of `tonertrack serve` (issue 18)
#   postgresql                a real PostgreSQL server for the postgresql backend (issue 19)
# Installs only what is missing, only as root with apt-get; never fails the build.
PKGS="cups-daemon cups-client cups-ipp-utils avahi-daemon dbus chromium chromium-driver nginx-light postgresql"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "not installed (tests that need them will skip):$missing" >&2
    exit 0
fi
echo "installing Debian packages:$missing" >&2
apt-get update -qq >/dev/null 2>&1
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 \
    || echo "apt-get could not install some of:$missing (tests that need them will skip)" >&2
# Debian starts nginx on port 80 where an init runs; the test starts its own on a free port
command -v service >/dev/null 2>&1 && service nginx stop >/dev/null 2>&1
# the postgresql package starts a cluster on Debian; tests start their own server in a temp dir
command -v pg_ctlcluster >/dev/null 2>&1 && pg_ctlcluster --force 15 main stop >/dev/null 2>&1
exit 0
