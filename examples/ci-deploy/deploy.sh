#!/bin/sh
# Roll a git revision out to masterless Puppet nodes chosen by facts, one batch at a time, and stop at the
# first batch where a node fails. Each batch is one `mco puppet runonce --revision … --wait --json`: the nodes
# fetch the revision, check it out, apply it, and the command waits for every run and judges it.
#
#   deploy.sh REVISION
#
# Environment:
#   SELECT        fact filters choosing the nodes, space-separated (each becomes -F), e.g. "role=web site=ams1"
#   MCO           how to run mco (default: mco)
#   MCO_CONFIG    client config file (default: mco's own)
#   BATCH_SIZE    nodes per batch (default: 5)
#   WAIT_TIMEOUT  seconds a batch's runs may take (default: 900)
#
# Exit status: 0 when every node applied REVISION; 1 when a batch failed (the failing nodes are named on
# stderr, later batches are not touched); 2 on bad usage, or when discovery fails or finds no node.
set -eu

usage() { echo "usage: SELECT='fact=value …' $0 REVISION" >&2; exit 2; }
[ $# -eq 1 ] || usage
REVISION=$1
[ -n "${SELECT:-}" ] || usage
MCO=${MCO:-mco}
BATCH_SIZE=${BATCH_SIZE:-5}
WAIT_TIMEOUT=${WAIT_TIMEOUT:-900}
CONFIG_ARGS=${MCO_CONFIG:+--config $MCO_CONFIG}
FILTER_ARGS=
for f in $SELECT; do FILTER_ARGS="$FILTER_ARGS -F $f"; done

# Reads a JSON document on stdin and prints what the JavaScript expression $1 makes of it (`d`).
json() { node -e "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const d=JSON.parse(s);console.log($1)})"; }

result=$(mktemp)
trap 'rm -f "$result"' EXIT

# `mco find` exits 1 when nothing matches, and prints no JSON at all when discovery itself fails.
rc=0
# shellcheck disable=SC2086 # word splitting of the option lists is intended
$MCO find $FILTER_ARGS $CONFIG_ARGS --json > "$result" || rc=$?
if ! total=$(json "d.length" < "$result" 2>/dev/null); then
  echo "deploy: discovery failed (mco exited with $rc)" >&2
  exit 2
fi
nodes=$(json "d.sort().join(' ')" < "$result")
if [ "$total" -eq 0 ]; then
  echo "deploy: no node matches '$SELECT'" >&2
  exit 2
fi
echo "deploy: rolling $REVISION out to $total node(s) matching '$SELECT', $BATCH_SIZE at a time"

batch=0
set -- $nodes
while [ $# -gt 0 ]; do
  batch=$((batch + 1))
  ids=
  names=
  n=0
  while [ $# -gt 0 ] && [ "$n" -lt "$BATCH_SIZE" ]; do
    ids="$ids -I $1"
    names="$names $1"
    shift
    n=$((n + 1))
  done
  echo "deploy: batch $batch:$names"
  rc=0
  # shellcheck disable=SC2086
  $MCO puppet runonce --force --revision "$REVISION" --wait --wait-timeout "$WAIT_TIMEOUT" --json $ids $CONFIG_ARGS > "$result" || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed=$(json "d.runs.filter(r=>!r.ok).map(r=>r.sender+' ('+r.message+')').join(', ')" < "$result" 2>/dev/null || echo "unknown: mco exited with $rc")
    echo "deploy: batch $batch failed; $REVISION was not rolled out further. Failed nodes: $failed" >&2
    exit 1
  fi
  echo "deploy: batch $batch done:$(json "' '+d.runs.map(r=>r.sender+' at '+r.config_version.slice(0,12)).join(', ')" < "$result")"
done
echo "deploy: $REVISION applied on all $total node(s)"
