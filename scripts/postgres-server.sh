#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and benchmarks: no systemd, no TCP, a unix socket only.
#
#   eval "$(bash scripts/postgres-server.sh start)"   # exports TOKENBUDGET_PG_SOCKET_DIR, TOKENBUDGET_PG_DATA
#   bash scripts/postgres-server.sh stop "$TOKENBUDGET_PG_DATA"
#
# Installs Debian's postgresql when missing (apt-get update first). The cluster lives in a fresh
# temporary folder owned by the `postgres` user (initdb refuses to run as root); authentication is
# `trust` on the socket, which only local users reach. Prints the exports on stdout, logs on stderr.
set -euo pipefail
log() { printf 'postgres-server: %s\n' "$*" >&2; }

bin_dir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# As root, the server's commands run as the postgres user (initdb refuses root). runuser lives in
# /usr/sbin, which a minimal PATH (env -i, cron) leaves out.
as_postgres() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
        return
    fi
    local runuser
    runuser="$(command -v runuser || ls /usr/sbin/runuser /sbin/runuser 2>/dev/null | head -n 1 || true)"
    [ -n "$runuser" ] || { log "runuser not found (util-linux): cannot run the server as the postgres user"; return 1; }
    "$runuser" -u postgres -- "$@"
}

case "${1:-}" in
start)
    if [ -z "$(bin_dir)" ]; then
        log "installing postgresql"
        sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq postgresql >/dev/null
    fi
    bin="$(bin_dir)"
    root="$(mktemp -d /tmp/tokenbudget-pg.XXXXXX)"
    chmod 755 "$root"
    mkdir -p "$root/data" "$root/socket"
    [ "$(id -u)" -ne 0 ] || chown -R postgres:postgres "$root"
    as_postgres "$bin/initdb" -D "$root/data" -U postgres --auth=trust --no-sync -E UTF8 >/dev/null
    # fsync stays on: the durability promise is tested against a real commit.
    as_postgres "$bin/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$root/socket' -c max_connections=200" start >/dev/null
    log "started: data $root/data, socket $root/socket"
    echo "export TOKENBUDGET_PG_SOCKET_DIR='$root/socket' TOKENBUDGET_PG_DATA='$root/data' TOKENBUDGET_PG_BIN='$bin'"
    ;;
stop)
    data="${2:?usage: stop DATA_DIR}"
    bin="$(bin_dir)"
    as_postgres "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null || true
    rm -rf "$(dirname "$data")"
    log "stopped and removed $(dirname "$data")"
    ;;
*)
    echo "usage: $0 start | stop DATA_DIR" >&2
    exit 2
    ;;
esac
