#!/bin/sh
# Builds (once) a pristine minbase Debian 12 root for the package test and prints its path.
# Cached outside the repository; a run copies it rather than paying for debootstrap again.
# Usage: scripts/package/test-rootfs.sh [--with-puppet] [CACHE_DIR]   (default /var/cache/troupe-test-rootfs)
# --with-puppet: that root plus Debian's puppet-agent (Puppet 7), for the Puppet module's test.
set -eu
flavour=minbase
if [ "${1:-}" = --with-puppet ]; then flavour=puppet; shift; fi
cache=${1:-${TROUPE_TEST_ROOTFS_CACHE:-/var/cache/troupe-test-rootfs}}
if [ "$flavour" = puppet ]; then
  root="$cache/bookworm-puppet"
  if [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi
  base=$("$0" "$cache")
  tmp="$cache/.build.$$"
  rm -rf "$tmp"
  cp -a "$base" "$tmp"
  rm -f "$tmp/.complete"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf"
  mount -t proc proc "$tmp/proc"
  trap 'umount "$tmp/proc" 2>/dev/null || true' EXIT
  # A clean environment: the caller's TMPDIR (a test run's own) and the like do not exist inside the root.
  chroot "$tmp" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C sh -c 'apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends puppet-agent && apt-get clean' >&2
  umount "$tmp/proc"
  trap - EXIT
  rm -rf "$tmp/var/lib/apt/lists"/*
  touch "$tmp/.complete"
  rm -rf "$root"
  mv "$tmp" "$root"
  echo "$root"
  exit 0
fi
root="$cache/bookworm-minbase"
if [ -f "$root/.complete" ]; then echo "$root"; exit 0; fi
if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q debootstrap >&2
  else
    echo "debootstrap is missing: apt-get install debootstrap (as root)" >&2; exit 2
  fi
fi
# The machine's configured Debian mirror (deb822 URIs: or one-line deb), else deb.debian.org.
mirror=$(grep -hE '^URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=$(grep -hE '^deb +https?://[^ ]+/debian/? +bookworm ' /etc/apt/sources.list 2>/dev/null | head -n1 | awk '{print $2}')
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
mkdir -p "$cache"
tmp="$cache/.build.$$"
rm -rf "$tmp"
# adduser is priority important (on every real Debian install) and the package depends on it.
debootstrap --variant=minbase --include=adduser bookworm "$tmp" "$mirror" >&2
rm -rf "$tmp/var/cache/apt/archives"/*.deb
touch "$tmp/.complete"
rm -rf "$root"
mv "$tmp" "$root"
echo "$root"
