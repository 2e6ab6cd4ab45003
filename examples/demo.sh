#!/usr/bin/env bash
# `make demo`: xensnap on an embedded lab — real images, a real running QEMU, xl.cfg domains.
# Grows with each capability.
set -euo pipefail
cd "$(dirname "$0")/.."
xensnap() { node dist/src/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "xensnap validate -l policies/ examples/"
xensnap validate -l policies/ examples/

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

# Xen cannot run here: the xen host uses the recording xl stand-in (no running Xen domain).
export PATH="$PWD/test/stubs:$PATH" XENSNAP_XL_STATE="$LAB/xl-world.json"
X=(--config "$LAB/config-xen.yaml")
step "xen host: xensnap list --tree"
xensnap "${X[@]}" list --tree
step "xen host: xensnap plan"
xensnap "${X[@]}" plan
