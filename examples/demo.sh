#!/usr/bin/env bash
# `make demo`: xensnap on an embedded lab — real images, a real running QEMU, xl.cfg domains.
# Grows with each capability.
set -euo pipefail
cd "$(dirname "$0")/.."
xensnap() { node dist/src/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "xensnap validate -l policies/ examples/policies/ examples/gitops/policies/"
xensnap validate -l policies/ examples/policies/ examples/gitops/policies/

LAB=.lab/demo
xensnap lab destroy "$LAB"
step "xensnap lab create $LAB"
xensnap lab create "$LAB"
trap 'xensnap lab destroy "$LAB"' EXIT

Q=(--config "$LAB/config-qemu.yaml")
step "qemu host: xensnap list"
xensnap "${Q[@]}" list
step "qemu host: xensnap list --tree"
xensnap "${Q[@]}" list --tree
step "qemu host: xensnap plan -l"
xensnap "${Q[@]}" plan -l
step "qemu host: xensnap plan --diff"
xensnap "${Q[@]}" plan --diff
step "qemu host: xensnap apply --yes (web-3 is running: QMP; db-1 is shut off: qemu-img)"
xensnap "${Q[@]}" apply --yes
step "qemu host: xensnap list --tree (leaf paths unchanged, frozen images below them)"
xensnap "${Q[@]}" list --tree
step "qemu host: xensnap plan --detailed-exitcode (converged: exit 0)"
xensnap "${Q[@]}" plan --detailed-exitcode
step "qemu host: xensnap create web-3 -n before-upgrade --pin, then list -l web-3"
xensnap "${Q[@]}" create web-3 -n before-upgrade --pin --description "before the kernel upgrade"
xensnap "${Q[@]}" list -l web-3
step "xensnap simulate: a year of web-hourly"
xensnap simulate --policy "$LAB/policies/web.yaml" --from 2026-01-01T00:00:00Z --to 2027-01-01T00:00:00Z

# Xen cannot run here: the xen host uses the recording xl stand-in (no running Xen domain).
export PATH="$PWD/test/stubs:$PATH" XENSNAP_XL_STATE="$LAB/xl-world.json"
X=(--config "$LAB/config-xen.yaml")
step "xen host: xensnap list --tree"
xensnap "${X[@]}" list --tree
step "xen host: xensnap plan"
xensnap "${X[@]}" plan
step "xen host: xensnap apply --yes (app-1 qcow2 via qemu-img; legacy-1 VHD chain, native)"
xensnap "${X[@]}" apply --yes
xensnap "${X[@]}" list --tree

step "the reconcile loop: xensnap run on the qemu host for a few seconds, then xensnap status"
node dist/src/cli/main.js "${Q[@]}" run &
RUN=$!
sleep 6
kill -TERM "$RUN"
wait "$RUN" || true
xensnap "${Q[@]}" status || true   # exit 1: the daemon is not running any more (like systemctl status)
