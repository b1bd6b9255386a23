#!/bin/sh
# Roll a git revision out to masterless Puppet nodes chosen by facts, one batch at a time, and stop at the
# first batch where a node fails. The nodes that should get the revision come from the registry (every node that
# registered, answering or not), and each must answer a ping before anything is deployed. Each batch is one
# `mco puppet runonce --revision … --wait --json` addressed to exactly its nodes: they fetch the revision, check it
# out, apply it, and the command waits for every run and judges it; a node that does not answer fails the batch.
#
#   deploy.sh REVISION
#
# Environment:
#   SELECT        fact filters choosing the nodes, space-separated (each becomes -F), e.g. "role=web site=ams1"
#   MCO           how to run mco (default: mco)
#   MCO_CONFIG    client config file (default: mco's own)
#   BATCH_SIZE    nodes per batch (default: 5)
#   WAIT_TIMEOUT  seconds a batch's runs may take (default: 900)
#   DISCOVERY     where the expected nodes come from: registry (default; needs NATS with JetStream and node
#                 registration) or mc (broadcast: only nodes that answer now, so a dead node goes unnoticed)
#
# Exit status: 0 when every node applied REVISION; 1 when an expected node did not answer the ping (it is named
# on stderr and nothing was deployed) or a batch failed (the failing or silent nodes are named on stderr, later
# batches are not touched); 2 on bad usage, or when discovery fails or finds no node.
set -eu

usage() { echo "usage: SELECT='fact=value …' $0 REVISION" >&2; exit 2; }
[ $# -eq 1 ] || usage
REVISION=$1
[ -n "${SELECT:-}" ] || usage
MCO=${MCO:-mco}
BATCH_SIZE=${BATCH_SIZE:-5}
WAIT_TIMEOUT=${WAIT_TIMEOUT:-900}
DISCOVERY=${DISCOVERY:-registry}
case $DISCOVERY in registry | mc) ;; *) echo "deploy: DISCOVERY must be registry or mc, not '$DISCOVERY'" >&2; exit 2 ;; esac
CONFIG_ARGS=${MCO_CONFIG:+--config $MCO_CONFIG}
FILTER_ARGS=
for f in $SELECT; do FILTER_ARGS="$FILTER_ARGS -F $f"; done

# Reads a JSON document on stdin and prints what the JavaScript expression $1 makes of it (`d`).
json() { node -e "let s='';process.stdin.on('data',c=>s+=c).on('end',()=>{const d=JSON.parse(s);console.log($1)})"; }

result=$(mktemp)
targets=$(mktemp)
trap 'rm -f "$result" "$targets"' EXIT

# `mco find` exits 1 when nothing matches, and prints no JSON at all when discovery itself fails.
rc=0
# shellcheck disable=SC2086 # word splitting of the option lists is intended
$MCO find --dm "$DISCOVERY" $FILTER_ARGS $CONFIG_ARGS --json > "$result" || rc=$?
if ! total=$(json "d.length" < "$result" 2>/dev/null); then
  echo "deploy: discovery failed (mco exited with $rc)" >&2
  exit 2
fi
nodes=$(json "d.sort().join(' ')" < "$result")
if [ "$total" -eq 0 ]; then
  echo "deploy: no node matches '$SELECT'" >&2
  exit 2
fi

# Every expected node must answer before the first batch: a silent one would never get the revision.
printf '%s\n' $nodes > "$targets"
rc=0
# shellcheck disable=SC2086
$MCO rpc rpcutil ping --dm flatfile --nodes "$targets" $CONFIG_ARGS --json > "$result" || rc=$?
if ! silent=$(json "d.request_stats.no_responses.join(' ')" < "$result" 2>/dev/null); then
  echo "deploy: could not ping the $total node(s) (mco exited with $rc)" >&2
  exit 2
fi
if [ -n "$silent" ] || [ "$rc" -ne 0 ]; then
  echo "deploy: $(echo "$silent" | wc -w) of $total node(s) matching '$SELECT' did not answer; $REVISION was not rolled out. Silent nodes: ${silent:-unknown: mco exited with $rc}" >&2
  exit 1
fi
echo "deploy: rolling $REVISION out to $total node(s) matching '$SELECT', $BATCH_SIZE at a time"

batch=0
set -- $nodes
while [ $# -gt 0 ]; do
  batch=$((batch + 1))
  names=
  n=0
  : > "$targets"
  while [ $# -gt 0 ] && [ "$n" -lt "$BATCH_SIZE" ]; do
    echo "$1" >> "$targets"
    names="$names $1"
    shift
    n=$((n + 1))
  done
  echo "deploy: batch $batch:$names"
  rc=0
  # The batch's nodes by name (flatfile), not by broadcast: one that went silent is reported, not skipped.
  # shellcheck disable=SC2086
  $MCO puppet runonce --force --revision "$REVISION" --wait --wait-timeout "$WAIT_TIMEOUT" --json --dm flatfile --nodes "$targets" $CONFIG_ARGS > "$result" || rc=$?
  if [ "$rc" -ne 0 ]; then
    failed=$(json "d.runs.filter(r=>!r.ok).map(r=>r.sender+' ('+r.message+')').join(', ')" < "$result" 2>/dev/null || echo "unknown: mco exited with $rc")
    echo "deploy: batch $batch failed; $REVISION was not rolled out further. Failed nodes: $failed" >&2
    exit 1
  fi
  echo "deploy: batch $batch done:$(json "' '+d.runs.map(r=>r.sender+' at '+r.config_version.slice(0,12)).join(', ')" < "$result")"
done
echo "deploy: $REVISION applied on all $total node(s)"
