#!/bin/sh
# Provisions a Restate cluster once, and only reports success when it serves: `restatectl status` agrees, every
# pod restate-0..N-1 is a member of the metadata cluster and every partition has an active leader on a live node.
# A cluster that was provisioned before this run is reported as such at once (no health check: a later sync
# during a node outage must not fail because of the outage).
#
# POSIX sh (dash in the restatedev/restate image). Needs `restatectl` on PATH, plus date, sed and, when present,
# timeout. Runs in three places with the same behaviour:
#   kubectl -n NS exec -i restate-0 -- sh -s -- ARGS < provision.sh     (the `provision` task)
#   sh /scripts/provision.sh ARGS                                       (the in-cluster provisioning Job)
#   sh lib/stack/provisioning/provision.sh ARGS                         (verify and the tests, npm restatectl)
#
# Why it is careful: `restatectl provision` exits 0 even when it fails, so the outcome is read from its output;
# and `restatectl status` exits 0 as soon as the cluster is provisioned, even with most nodes down and no partition
# running, so after provisioning the script reads `nodes list`, `metadata-server list-servers`, `config get` and
# `partitions list`. Their tables (NODE GEN NAME …; NODE STATUS …; "Number of partitions: N"; ID NODE MODE STATUS …,
# alive nodes only) are the same in restatectl 1.4.0–1.4.4 and 1.7 (tools/restatectl/src/commands/node/list_nodes.rs,
# metadata_server/list_servers.rs, config.rs, partition/list.rs).
#
# With --ensure-replication R it then makes the cluster's log and partition replication R (a scale-out that
# raises the replication): `default-replication` applies only at provisioning, a live change needs
# `restatectl config set --log-replication R --partition-replication R`. Idempotent: when the cluster already
# has R it changes nothing and says so; it refuses an R that needs more nodes than the cluster has.
#
# Exit status: 0 provisioned (now or before) and, with --ensure-replication, replicated as asked; 1 not
# provisioned within the deadline, or the replication could not be set; 2 usage error; 3 restatectl not found.

set -u

usage() {
  cat <<'EOF'
usage: provision.sh [--address URL[,URL...]] [--deadline SECONDS] [--interval SECONDS]
                    [--num-partitions N] [--replication R] [--replicas N]
                    [--ensure-replication R] [--wait-serving]

  --address URL        fabric address(es) of the node(s), comma-separated
                       (default: $RESTATECTL_ADDRESS, else http://127.0.0.1:5122)
  --deadline SECONDS   give up after this long, counted from the start (default: 300)
  --interval SECONDS   pause between failed attempts (default: 5)
  --num-partitions N   partitions to create (default: the node's default-num-partitions)
  --replication R      replication of logs and partitions, e.g. 2 or "{node: 2}"
                       (default: the node's default-replication)
  --replicas N         pods restate-0..N-1 that must all be metadata members before a first
                       provisioning counts as done (default: every node in the nodes configuration)
  --ensure-replication R
                       afterwards, make the log and partition replication R when the cluster has
                       another (restatectl config set); nothing when it has R already
  --wait-serving       on a cluster provisioned before, too, wait until it serves (every pod
                       a metadata member, every partition led): the gate after a rollout
EOF
}

say() { printf 'provision: %s\n' "$*"; }
fail() { code=$1; shift; printf 'provision: error: %s\n' "$*" >&2; exit "$code"; }
usage_error() { printf 'provision: error: %s\n' "$*" >&2; usage >&2; exit 2; }

# A whole number without sign or leading zero (dash reads 08 as a bad octal number in $((...))).
is_count() { case $1 in '' | 0* | *[!0-9]*) return 1 ;; esac; }

ADDRESS=${RESTATECTL_ADDRESS:-http://127.0.0.1:5122}
DEADLINE=300
INTERVAL=5
NUM_PARTITIONS=
REPLICATION=
REPLICAS=
ENSURE_REPLICATION=
WAIT_SERVING_TOO=
# The longest a single restatectl call may take (its own defaults are 3 s to connect, 13 s per request).
CALL_LIMIT=20

while [ $# -gt 0 ]; do
  opt=$1
  case $opt in
    -h | --help) usage; exit 0 ;;
    --wait-serving) WAIT_SERVING_TOO=1; shift; continue ;;
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
    --num-partitions) NUM_PARTITIONS=$value ;;
    --replication) REPLICATION=$value ;;
    --replicas) REPLICAS=$value ;;
    --ensure-replication) ENSURE_REPLICATION=$value ;;
    *) usage_error "unknown option: $opt" ;;
  esac
done

[ -n "$ADDRESS" ] || usage_error "--address must not be empty"
is_count "$DEADLINE" || usage_error "--deadline must be a whole number of seconds, at least 1 (got '$DEADLINE')"
is_count "$INTERVAL" || usage_error "--interval must be a whole number of seconds, at least 1 (got '$INTERVAL')"
if [ -n "$NUM_PARTITIONS" ]; then
  { is_count "$NUM_PARTITIONS" && [ "$NUM_PARTITIONS" -le 65535 ]; } ||
    usage_error "--num-partitions must be a whole number from 1 to 65535 (got '$NUM_PARTITIONS')"
fi
case $REPLICATION in
  '' | '{'*'}') ;;
  *) is_count "$REPLICATION" || usage_error "--replication must be a number of nodes (at least 1) or a property like '{node: 2}' (got '$REPLICATION')" ;;
esac

case $ENSURE_REPLICATION in
  '' | '{'*'}') ;;
  *) is_count "$ENSURE_REPLICATION" || usage_error "--ensure-replication must be a number of nodes (at least 1) or a property like '{node: 2}' (got '$ENSURE_REPLICATION')" ;;
esac

if [ -n "$REPLICAS" ]; then
  { is_count "$REPLICAS" && [ "$REPLICAS" -le 1000 ]; } || usage_error "--replicas must be a whole number from 1 to 1000 (got '$REPLICAS')"
fi

command -v restatectl >/dev/null 2>&1 || fail 3 "restatectl is not on PATH ($PATH)"
if command -v timeout >/dev/null 2>&1; then HAVE_TIMEOUT=1; else HAVE_TIMEOUT=; fi

ESC=$(printf '\033')
START=$(date +%s)
END=$((START + DEADLINE))

left() { echo $((END - $(date +%s))); }

# Runs restatectl against $ADDRESS, bounded by the time left; sets OUT (text, colour codes removed) and RC.
ctl() {
  limit=$(left)
  [ "$limit" -lt 1 ] && give_up
  [ "$limit" -gt "$CALL_LIMIT" ] && limit=$CALL_LIMIT
  # stdin from /dev/null: under `sh -s` the script itself arrives on stdin and must not be eaten.
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

# The last non-empty line of OUT: restatectl puts its verdict there.
last_line() { printf '%s\n' "$OUT" | sed '/^[[:space:]]*$/d' | tail -n 1; }

give_up() {
  if [ -n "$SERVING_WAIT" ]; then
    fail 1 "the cluster was provisioned, but did not serve within the deadline of ${DEADLINE}s: $STATE"
  fi
  if [ -n "$accepted" ]; then
    fail 1 "provisioning was accepted, but restatectl status did not confirm it within the deadline of ${DEADLINE}s; last output:
$OUT"
  fi
  fail 1 "the cluster was not provisioned within the deadline of ${DEADLINE}s; last output from restatectl:
$OUT"
}

# Sleeps before the next attempt, leaving at least a second for it; gives up when no time is left for one.
pause() {
  wait_for=$1
  remaining=$(left)
  [ "$remaining" -le 1 ] && give_up
  [ "$wait_for" -ge "$remaining" ] && wait_for=$((remaining - 1))
  [ -n "${2:-}" ] && say "$2; retrying in ${wait_for}s (${remaining}s left)"
  sleep "$wait_for"
}

# Table rows of OUT as "COL1 COL2 COL3 COL4" (leading blanks dropped); headers and prose come along, callers
# match on the shape of the columns they need.
rows() { printf '%s\n' "$OUT" | sed 's/^[[:space:]]*//'; }

# Checks once whether the freshly provisioned cluster serves; sets SERVING (1 or empty) and STATE (one line).
check_serving() {
  SERVING=
  ctl nodes list
  [ "$RC" -eq 0 ] || { STATE="restatectl nodes list: $(last_line)"; return; }
  names=' '
  while read -r id gen name rest; do
    case $id in N[0-9]*) case $gen in [0-9]*) names="$names$id=$name " ;; esac ;; esac
  done <<ROWS
$(rows)
ROWS
  ctl metadata-server list-servers
  [ "$RC" -eq 0 ] || { STATE="restatectl metadata-server list-servers: $(last_line)"; return; }
  members=' '
  while read -r id status rest; do
    case $id in N[0-9]*) [ "$status" = Member ] && members="$members$id " ;; esac
  done <<ROWS
$(rows)
ROWS
  # The pods that must be members: restate-0..N-1, else every node the nodes configuration lists.
  missing=
  want=0
  if [ -n "$REPLICAS" ]; then
    i=0
    while [ "$i" -lt "$REPLICAS" ]; do
      pod=restate-$i
      id=$(printf '%s\n' $names | sed -n "s/^\(N[0-9]*\)=$pod\$/\1/p" | head -n 1)
      if [ -z "$id" ]; then
        missing="$missing $pod"
      else
        case $members in *" $id "*) ;; *) missing="$missing $pod" ;; esac
      fi
      i=$((i + 1))
    done
    want=$REPLICAS
  else
    for entry in $names; do
      want=$((want + 1))
      case $members in *" ${entry%%=*} "*) ;; *) missing="$missing ${entry#*=}" ;; esac
    done
  fi
  ctl config get
  [ "$RC" -eq 0 ] || { STATE="restatectl config get: $(last_line)"; return; }
  partitions=$(printf '%s\n' "$OUT" | sed -n 's/.*Number of partitions: *\([0-9][0-9]*\).*/\1/p' | head -n 1)
  [ -n "$partitions" ] || { STATE="restatectl config get shows no number of partitions"; return; }
  ctl partitions list
  [ "$RC" -eq 0 ] || { STATE="restatectl partitions list: $(last_line)"; return; }
  led=' '
  count=0
  while read -r id node mode status rest; do
    case $id in '' | *[!0-9]*) continue ;; esac
    if [ "$mode" = Leader ] && [ "$status" = Active ]; then
      case $led in *" $id "*) ;; *) led="$led$id "; count=$((count + 1)) ;; esac
    fi
  done <<ROWS
$(rows)
ROWS
  STATE="$((want - $(printf '%s\n' $missing | sed '/^$/d' | wc -l))) of $want pods are metadata members, $count of $partitions partitions have an active leader"
  [ -n "$missing" ] && STATE="$STATE; not members yet:$missing"
  [ -z "$missing" ] && [ "$count" -ge "$partitions" ] && SERVING=1
}

# The replication the cluster uses now, from `restatectl config get` ("Log replication: {node: 2}",
# "Partition replication: {node: 2}"); sets LOG_REP and PART_REP, returns 1 when they cannot be read.
read_replication() {
  ctl config get
  [ "$RC" -eq 0 ] || return 1
  LOG_REP=$(printf '%s\n' "$OUT" | sed -n 's/.*Log replication: *//p' | head -n 1)
  PART_REP=$(printf '%s\n' "$OUT" | sed -n 's/.*Partition replication: *//p' | head -n 1)
  [ -n "$LOG_REP" ] && [ -n "$PART_REP" ]
}

compact() { printf '%s' "$1" | tr -d ' \t'; }

# Whether LOG_REP and PART_REP are both $1 (a property like "{node: 3}").
replication_is() { [ "$(compact "$LOG_REP")" = "$(compact "$1")" ] && [ "$(compact "$PART_REP")" = "$(compact "$1")" ]; }

# --ensure-replication: make the cluster's log and partition replication the wanted one, once.
ensure_replication() {
  [ -n "$ENSURE_REPLICATION" ] || return 0
  case $ENSURE_REPLICATION in '{'*) want=$ENSURE_REPLICATION ;; *) want="{node: $ENSURE_REPLICATION}" ;; esac
  until read_replication; do pause 2 "cannot read the cluster's replication yet ($(last_line))"; done
  if replication_is "$want"; then
    say "replication: logs $LOG_REP, partitions $PART_REP, as wanted: nothing to change"
    return 0
  fi
  # Each copy needs its own node: refuse what the nodes cannot hold instead of leaving the logs unwritable.
  need=$(printf '%s\n' "$want" | sed -n 's/.*node: *\([0-9][0-9]*\).*/\1/p')
  ctl nodes list
  [ "$RC" -eq 0 ] || fail 1 "replication: restatectl nodes list: $(last_line)"
  nodes=0
  while read -r id gen rest; do
    case $id in N[0-9]*) case $gen in [0-9]*) nodes=$((nodes + 1)) ;; esac ;; esac
  done <<ROWS
$(rows)
ROWS
  if [ -n "$need" ] && [ "$need" -gt "$nodes" ]; then
    fail 1 "replication: $want needs $need nodes, the cluster has $nodes: scale out first, then run this again"
  fi
  say "replication: logs $LOG_REP, partitions $PART_REP; setting $want on $nodes nodes (restatectl config set)"
  ctl config set --log-replication "$want" --partition-replication "$want" --yes
  [ "$RC" -eq 0 ] || fail 1 "replication: restatectl config set failed: $(last_line)"
  read_replication || fail 1 "replication: cannot read the replication back: $(last_line)"
  replication_is "$want" || fail 1 "replication: restatectl config set ran, but the cluster still has logs $LOG_REP, partitions $PART_REP"
  say "replication: done: logs and partitions replicated $want (Restate moves the replica sets and new log segments to it)"
}

# After this run provisioned the cluster (or saw it provisioned a moment ago): wait until it serves, with a line
# of progress whenever the picture changes and at least every 10 seconds.
wait_serving() {
  SERVING_WAIT=1
  said=
  said_at=0
  while :; do
    check_serving
    [ -n "$SERVING" ] && { say "done: the cluster is provisioned and serving: $STATE"; ensure_replication; exit 0; }
    now=$(date +%s)
    if [ "$STATE" != "$said" ] || [ $((now - said_at)) -ge 10 ]; then
      say "waiting for the cluster to serve: $STATE ($(left)s left)"
      said=$STATE
      said_at=$now
    fi
    OUT="not serving yet: $STATE"
    pause 2
  done
}

set -- provision --yes
[ -n "$NUM_PARTITIONS" ] && set -- "$@" --num-partitions "$NUM_PARTITIONS"
[ -n "$REPLICATION" ] && set -- "$@" --replication "$REPLICATION"

say "cluster at $ADDRESS, deadline ${DEADLINE}s, $(restatectl --version </dev/null 2>&1 | head -n 1)"

OUT='(no answer yet)'
SERVING_WAIT=
STATE=
accepted=
said_at=$(date +%s)
attempt=0
while :; do
  ctl status
  if [ "$RC" -eq 0 ]; then
    if [ -n "$accepted" ]; then
      say "restatectl status exits 0: the cluster is provisioned; waiting until every pod is a metadata member and every partition has a leader"
      wait_serving
    fi
    if [ -n "$WAIT_SERVING_TOO" ]; then
      say "the cluster is already provisioned (restatectl status exits 0); waiting until every pod is a metadata member and every partition has a leader"
      wait_serving
    fi
    say "done: the cluster is already provisioned, nothing to do (restatectl status exits 0)"
    ensure_replication
    exit 0
  fi

  if [ -n "$accepted" ]; then
    # Provisioning was accepted; the status follows within moments.
    now=$(date +%s)
    if [ $((now - said_at)) -ge 10 ]; then
      say "waiting for restatectl status to confirm: $(last_line) ($(left)s left)"
      said_at=$now
    fi
    pause 1
    continue
  fi

  attempt=$((attempt + 1))
  say "attempt $attempt: not provisioned yet ($(last_line)); running restatectl $*"
  ctl "$@"
  case $OUT in
    *'Cluster has been successfully provisioned.'*)
      accepted=1
      said_at=$(date +%s)
      say "restatectl provision: cluster has been successfully provisioned; waiting for restatectl status"
      ;;
    *'Cluster has been provisioned by somebody else.'*)
      accepted=1
      said_at=$(date +%s)
      say "restatectl provision: cluster was provisioned by somebody else; waiting for restatectl status"
      ;;
    *)
      # Exit status 2 is a usage error of restatectl itself (for example a malformed --replication):
      # retrying cannot help.
      [ "$RC" -eq 2 ] && fail 2 "restatectl rejected the arguments: $OUT"
      pause "$INTERVAL" "attempt $attempt failed: $(last_line)"
      ;;
  esac
done
