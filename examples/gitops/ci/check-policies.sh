#!/bin/sh
# Pre-merge check of a xensnap policy repository. Run from the repository root by CI:
#   1. every policy file is valid (exit 1 and file:line:col diagnostics otherwise);
#   2. for every host that exported its observation (hosts/<host>.json, made on the host with
#      `xensnap list --json > <host>.json`), show what the change would do there, without touching it.
# Needs only the xensnap CLI on the runner; no host access, no Xen.
set -eu

POLICIES=${POLICIES:-policies}
HOSTS=${HOSTS:-hosts}
XENSNAP=${XENSNAP:-xensnap}

echo "== xensnap validate $POLICIES"
"$XENSNAP" validate "$POLICIES"

status=0
for observed in "$HOSTS"/*.json; do
  [ -e "$observed" ] || { echo "(no host observations under $HOSTS/: plan step skipped)"; break; }
  host=$(basename "$observed" .json)
  echo "== plan for $host"
  # --detailed-exitcode: 0 nothing to do, 2 changes pending (fine: that is what a merge does), 1 error
  set +e
  "$XENSNAP" plan --observed "$observed" --policies "$POLICIES" --detailed-exitcode
  rc=$?
  set -e
  case $rc in
    0|2) ;;
    *) echo "plan failed for $host (exit $rc)"; status=1 ;;
  esac
  # keep the machine-readable plan as a CI artifact for reviewers
  "$XENSNAP" plan --observed "$observed" --policies "$POLICIES" --json > "plan-$host.json" || status=1
done
exit $status
