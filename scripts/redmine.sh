#!/usr/bin/env bash
# Debian's Redmine for the tests: install it, build a template database, run Rails on a copy.
#
#   scripts/redmine.sh install            apt-get redmine + redmine-sqlite, add WEBrick to its bundle
#   scripts/redmine.sh template DIR       DIR/redmine.db: migrated, default data (en), REST API on,
#                                         no e-mail notifications;
#                                         DIR/admin.key: the admin's API key in it
#   scripts/redmine.sh runner DIR CODE    `rails runner CODE` on DIR/redmine.db; prints what CODE prints
#   scripts/redmine.sh serve DIR PORT     WEBrick on 127.0.0.1:PORT for DIR/redmine.db (PID in DIR/server.pid)
#
# Each is idempotent and prints nothing but errors (and what it is asked for). Nothing
# under /etc is changed and the package's default instance is not used: DIR is the
# instance's root, as Debian's multi-instance setup sees one (its files/, log/ and tmp/
# are DIR's), the database is chosen with DATABASE_URL, and the session secret comes
# from the environment (SECRET_KEY_BASE, random when unset).
set -euo pipefail

REDMINE=/usr/share/redmine
GEMFILE_LOCAL="$REDMINE/Gemfile.local"

fail() {
  echo "redmine.sh: $*" >&2
  exit 1
}

installed() {
  local package
  for package in "$@"; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

install() {
  if ! installed redmine redmine-sqlite ruby-webrick; then
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
      fail "Redmine is not installed and this is not root with apt-get:" \
        "run \`sudo apt-get install redmine redmine-sqlite ruby-webrick\`."
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q redmine redmine-sqlite ruby-webrick >/dev/null ||
      { apt-get update -q >/dev/null && apt-get install -y -q redmine redmine-sqlite ruby-webrick >/dev/null; } ||
      fail "apt-get could not install redmine, redmine-sqlite and ruby-webrick (see above)."
  fi
  # The package serves through Passenger; the tests serve with WEBrick, which must be in
  # Redmine's bundle.
  if ! grep -qs '^gem "webrick"' "$GEMFILE_LOCAL"; then
    echo 'gem "webrick"' >>"$GEMFILE_LOCAL" ||
      fail "could not add WEBrick to $GEMFILE_LOCAL: run as root, or append the line" \
        "'gem \"webrick\"' to it yourself."
  fi
}

# Run Rails in Redmine's directory with DIR as the instance: Debian's Redmine takes its
# root from REDMINE_INSTANCE, a path under $REDMINE/instances, so a relative one reaches DIR.
in_instance() {
  local dir=$1
  shift
  [ -d "$REDMINE" ] || fail "$REDMINE is missing: run \`scripts/redmine.sh install\` as root."
  [ -d "$dir" ] || fail "the instance directory $dir does not exist."
  dir=$(cd "$dir" && pwd)
  cd "$REDMINE"
  # timeout: Rails sets SQLite's busy timeout only when the database config names one;
  # without it a request that meets another connection's write (the simulated clock's)
  # fails at once with "database is locked" and Redmine answers 500. pool=1: one
  # connection, so WEBrick's concurrent requests take turns at the database instead of
  # locking each other out (SQLite has one writer; a read that turns into a write fails
  # at once when another connection wrote in between).
  RAILS_ENV=production \
    DATABASE_URL="sqlite3:$dir/redmine.db?timeout=15000&pool=1&checkout_timeout=120" \
    REDMINE_INSTANCE="$(realpath --relative-to="$REDMINE/instances" "$dir")" \
    SECRET_KEY_BASE="${SECRET_KEY_BASE:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}" \
    "$@"
}

runner() {
  local dir=${1:-} code=${2:-}
  [ -n "$dir" ] && [ -n "$code" ] || fail "usage: scripts/redmine.sh runner DIR CODE"
  local output
  if ! output=$(in_instance "$dir" ruby bin/rails runner "$code" 2>&1); then
    echo "$output" >&2
    fail "\`rails runner\` failed on $dir/redmine.db (code: $code)." \
      "If Redmine or WEBrick is missing, run \`scripts/redmine.sh install\` as root."
  fi
  [ -z "$output" ] || echo "$output"
}

template() {
  local dir=${1:-} output
  [ -n "$dir" ] || fail "usage: scripts/redmine.sh template DIR"
  mkdir -p "$dir" || fail "could not create the directory $dir."
  rm -f "$dir/redmine.db"
  if ! output=$(in_instance "$dir" ruby bin/rails db:migrate 2>&1); then
    echo "$output" >&2
    fail "migrating a new Redmine database in $dir failed (see above)." \
      "If Redmine is missing, run \`scripts/redmine.sh install\` as root."
  fi
  # The loader, unlike the `redmine:load_default_data` task, fails loudly (the task exits
  # 0 when it could not load), and one Rails boot sets the REST API and reads the admin's
  # API key too: every copy of the database has that key. No e-mail notifications: there
  # is nobody to send them to, and Rails delivers them on its own threads, whose reads of
  # the SQLite file, beside the request that made them, can lock each other out (a 500).
  runner "$dir" 'Redmine::DefaultData::Loader.load("en"); Setting.rest_api_enabled = "1"
    Setting.notified_events = []
    puts User.find_by!(login: "admin").api_key' >"$dir/admin.key"
}

serve() {
  local dir=${1:-} port=${2:-}
  [ -n "$dir" ] && [ -n "$port" ] || fail "usage: scripts/redmine.sh serve DIR PORT"
  [ -f "$dir/redmine.db" ] || fail "$dir/redmine.db does not exist: copy a template there first."
  dir=$(cd "$dir" && pwd)
  # exec: the caller's process is the server, so it can be signalled directly.
  RAILS_LOG_TO_STDOUT=1 in_instance "$dir" exec ruby bin/rails server -u webrick \
    -b 127.0.0.1 -p "$port" -P "$dir/server.pid"
}

case "${1:-}" in
  install) install ;;
  template) template "${2:-}" ;;
  runner) runner "${2:-}" "${3:-}" ;;
  serve) serve "${2:-}" "${3:-}" ;;
  *) fail "usage: scripts/redmine.sh install | template DIR | runner DIR CODE | serve DIR PORT" ;;
esac
