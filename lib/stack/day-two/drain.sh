#!/bin/sh
# Drains the pods a scale-in removes (restate-<from-1> down to restate-<to>), one at a time, so that the cluster
# keeps serving once the StatefulSet stops them. Per node, each step waits until Restate shows its effect:
#   1. worker draining      `restatectl nodes set-worker-state --worker-state draining`: until the node is in
#                           no partition's replica set (its partitions run elsewhere);
#   2. storage read-only    `restatectl nodes set-storage-state --storage-state read-only`: until the node's
#                           storage state reads read-only (no new log nodeset picks it);
#   3. metadata removal     `restatectl metadata-server remove-node`: until it is no metadata member any more.
# A plain StatefulSet scale-down without these steps breaks the cluster: the metadata cluster keeps the dead
# members, logs whose nodeset held the removed nodes cannot be sealed, partitions stay without a leader.
# Idempotent: a step whose state is reached already is skipped, a node the cluster does not list is done.
#
# POSIX sh (dash in the restatedev/restate image). Needs `restatectl` on PATH, plus date, sed and, when present,
# timeout. Runs in two places with the same behaviour:
#   sh /scripts/drain.sh ARGS                   (the in-cluster drain Job <cluster>-drain-<from>-to-<to>)
#   sh lib/stack/day-two/drain.sh ARGS          (verify's scale-in scenario, npm restatectl)
#
# It does not stop pods and does not delete volumes: the commit that lowers `replicas` stops them, and their
# PersistentVolumeClaims must then be deleted (a kept one crash-loops a later scale-up: "storage marker was found
# but it was created by another node").
#
# Exit status: 0 every leaving node drained (now or before), 1 a step did not reach its state within the
# deadline or restatectl refused it, 2 usage error, 3 restatectl not found.

set -u

usage() {
  cat <<'EOF'
usage: drain.sh --from N --to M [--address URL[,URL...]] [--deadline SECONDS] [--interval SECONDS]

  --from N             replicas now (pods restate-0..N-1)
  --to M               replicas after the scale-in: pods restate-M..N-1 are drained, highest first
  --address URL        fabric address(es) of node(s) that stay, comma-separated
                       (default: $RESTATECTL_ADDRESS, else http://127.0.0.1:5122)
  --deadline SECONDS   give up after this long, counted from the start (default: 600)
  --interval SECONDS   pause between two looks at a state (default: 2)
EOF
}

say() { printf 'drain: %s\n' "$*"; }
fail() { code=$1; shift; printf 'drain: error: %s\n' "$*" >&2; exit "$code"; }
usage_error() { printf 'drain: error: %s\n' "$*" >&2; usage >&2; exit 2; }

is_count() { case $1 in '' | 0* | *[!0-9]*) return 1 ;; esac; }

ADDRESS=${RESTATECTL_ADDRESS:-http://127.0.0.1:5122}
DEADLINE=600
INTERVAL=2
FROM=
TO=
CALL_LIMIT=20

while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h | --help) usage; exit 0 ;;
    --*=*) value=${opt#*=}; opt=${opt%%=*}; shift ;;
    --*)
      [ $# -ge 2 ] || usage_error "$opt needs a value"
      value=$2; shift 2 ;;
    *) usage_error "unexpected argument: $opt" ;;
  esac
  case $opt in
    --address) ADDRESS=$value ;;
    --deadline) DEADLINE=$value ;;
    --interval) INTERVAL=$value ;;
    --from) FROM=$value ;;
    --to) TO=$value ;;
    *) usage_error "unknown option: $opt" ;;
  esac
done

[ -n "$ADDRESS" ] || usage_error "--address must not be empty"
is_count "$DEADLINE" || usage_error "--deadline must be a whole number of seconds, at least 1 (got '$DEADLINE')"
is_count "$INTERVAL" || usage_error "--interval must be a whole number of seconds, at least 1 (got '$INTERVAL')"
is_count "$FROM" || usage_error "--from must be a whole number, at least 1 (got '$FROM')"
is_count "$TO" || usage_error "--to must be a whole number, at least 1 (got '$TO')"
[ "$TO" -lt "$FROM" ] || usage_error "--to ($TO) must be less than --from ($FROM): a drain removes nodes"

command -v restatectl >/dev/null 2>&1 || fail 3 "restatectl is not on PATH ($PATH)"
if command -v timeout >/dev/null 2>&1; then HAVE_TIMEOUT=1; else HAVE_TIMEOUT=; fi

ESC=$(printf '\033')
START=$(date +%s)
END=$((START + DEADLINE))
left() { echo $((END - $(date +%s))); }

# Runs restatectl against $ADDRESS, bounded by the time left; sets OUT (text, colour codes removed) and RC.
ctl() {
  limit=$(left)
  [ "$limit" -lt 1 ] && fail 1 "the deadline of ${DEADLINE}s passed: $WAITING"
  [ "$limit" -gt "$CALL_LIMIT" ] && limit=$CALL_LIMIT
  if [ -n "$HAVE_TIMEOUT" ]; then
    OUT=$(RESTATECTL_ADDRESS=$ADDRESS timeout -k 2 "$limit" restatectl "$@" </dev/null 2>&1)
  else
    OUT=$(RESTATECTL_ADDRESS=$ADDRESS restatectl "$@" </dev/null 2>&1)
  fi
  RC=$?
  if [ -n "$HAVE_TIMEOUT" ] && { [ "$RC" -eq 124 ] || [ "$RC" -eq 137 ]; }; then
    OUT="restatectl $1 gave no answer within ${limit}s"
  fi
  OUT=$(printf '%s\n' "$OUT" | sed "s/${ESC}\[[0-9;]*m//g")
}

last_line() { printf '%s\n' "$OUT" | sed '/^[[:space:]]*$/d' | tail -n 1; }
rows() { printf '%s\n' "$OUT" | sed 's/^[[:space:]]*//'; }

# The node's id, storage, worker and metadata state from the `nodes` table; sets ID, STORAGE, WORKER, META
# (ID empty when the cluster lists no node of that name). Returns 1 when restatectl cannot answer.
node_state() {
  ctl sql "SELECT plain_node_id, storage_state, worker_state, metadata_server_state FROM nodes WHERE name = '$1'"
  [ "$RC" -eq 0 ] || return 1
  ID= STORAGE= WORKER= META=
  while read -r id storage worker meta rest; do
    case $id in N[0-9]*) ID=$id STORAGE=$storage WORKER=$worker META=$meta ;; esac
  done <<ROWS
$(rows)
ROWS
  return 0
}

# How many partitions still have node $1 in their replica set; sets HELD. Returns 1 when restatectl cannot answer.
replica_sets_holding() {
  ctl sql "SELECT partition_id, current_replica_set FROM partitions"
  [ "$RC" -eq 0 ] || return 1
  HELD=0
  while read -r partition set rest; do
    case $partition in '' | *[!0-9]*) continue ;; esac
    case ",$set," in *",$1,"*) HELD=$((HELD + 1)) ;; esac
  done <<ROWS
$(rows)
ROWS
  return 0
}

# Waits until `$1` (a shell command) succeeds, looking every $INTERVAL seconds; $2 says what is awaited.
WAITING=
await() {
  WAITING=$2
  said_at=0
  while :; do
    if eval "$1"; then return 0; fi
    now=$(date +%s)
    [ "$now" -ge "$END" ] && fail 1 "the deadline of ${DEADLINE}s passed waiting for $2 ($PICTURE)"
    if [ $((now - said_at)) -ge 10 ]; then say "waiting for $2: $PICTURE ($(left)s left)"; said_at=$now; fi
    sleep "$INTERVAL"
  done
}

PICTURE=
worker_drained() {
  node_state "$POD" || { PICTURE="restatectl: $(last_line)"; return 1; }
  replica_sets_holding "$ID" || { PICTURE="restatectl: $(last_line)"; return 1; }
  PICTURE="worker $WORKER, in $HELD replica sets"
  [ "$HELD" -eq 0 ]
}
storage_read_only() {
  node_state "$POD" || { PICTURE="restatectl: $(last_line)"; return 1; }
  PICTURE="storage $STORAGE"
  case $STORAGE in read-only | ReadOnly | read_only | disabled | Disabled) return 0 ;; esac
  return 1
}
metadata_removed() {
  node_state "$POD" || { PICTURE="restatectl: $(last_line)"; return 1; }
  PICTURE="metadata server $META"
  [ "$META" != member ] && [ "$META" != Member ]
}

say "draining restate-$((FROM - 1)) down to restate-$TO of $FROM pods through $ADDRESS, deadline ${DEADLINE}s, $(restatectl --version </dev/null 2>&1 | head -n 1)"

ordinal=$((FROM - 1))
while [ "$ordinal" -ge "$TO" ]; do
  POD=restate-$ordinal
  await 'node_state "$POD"' "the nodes table"
  if [ -z "$ID" ]; then
    say "$POD: not in the cluster's nodes: nothing to do"
    ordinal=$((ordinal - 1))
    continue
  fi
  say "$POD is $ID: worker $WORKER, storage $STORAGE, metadata server $META"

  t=$(date +%s)
  if ! worker_drained; then
    case $WORKER in draining | disabled) ;; *)
      ctl nodes set-worker-state --nodes "$ID" --worker-state draining --yes
      [ "$RC" -eq 0 ] || fail 1 "$POD ($ID): restatectl nodes set-worker-state draining failed: $(last_line)" ;;
    esac
    await worker_drained "$POD ($ID) to leave every replica set"
  fi
  say "$POD ($ID): worker drained, in no replica set ($(($(date +%s) - t))s)"

  t=$(date +%s)
  if ! storage_read_only; then
    ctl nodes set-storage-state --nodes "$ID" --storage-state read-only --yes
    [ "$RC" -eq 0 ] || fail 1 "$POD ($ID): restatectl nodes set-storage-state read-only failed: $(last_line)"
    await storage_read_only "$POD ($ID) storage to be read-only"
  fi
  say "$POD ($ID): storage $STORAGE ($(($(date +%s) - t))s)"

  t=$(date +%s)
  if ! metadata_removed; then
    ctl metadata-server remove-node "$ID" --yes
    [ "$RC" -eq 0 ] || fail 1 "$POD ($ID): restatectl metadata-server remove-node failed: $(last_line)"
    await metadata_removed "$POD ($ID) to leave the metadata cluster"
  fi
  say "$POD ($ID): metadata server $META ($(($(date +%s) - t))s)"
  ordinal=$((ordinal - 1))
done

say "done: restate-$TO..restate-$((FROM - 1)) drained; commit replicas: $TO now, then delete their PersistentVolumeClaims"
exit 0
