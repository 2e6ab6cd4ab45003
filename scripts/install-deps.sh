#!/usr/bin/env bash
# Installs the real components xensnap drives, and promtool for the alert-rule tests (Debian 12,
# as root), when any is missing. (dpkg-deb, for `make deb`, is part of dpkg.)
set -euo pipefail
need=()
command -v qemu-img >/dev/null || need+=(qemu-utils)
command -v qemu-io >/dev/null || need+=(qemu-utils)
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
{ command -v vhdiinfo >/dev/null && command -v vhdimount >/dev/null; } || need+=(libvhdi-utils)
# promtool checks and unit-tests the shipped alert rules (examples/prometheus); Debian ships it in prometheus
command -v promtool >/dev/null || need+=(prometheus)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi
