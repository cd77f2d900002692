#!/usr/bin/env bash
# The binary's contract: every subcommand answers --help with exit 0; unknown commands and
# options exit 2; `version` works.
set -u
bin="$1"
fail=0
check() {  # expected_rc description command...
  local want="$1" what="$2"
  shift 2
  "$@" >/tmp/sf-cli-test.out 2>&1
  local rc=$?
  if [[ "$rc" != "$want" ]]; then
    echo "FAIL: $what: exit $rc, want $want"; cat /tmp/sf-cli-test.out; fail=1
  else
    echo "ok: $what"
  fi
}
for cmd in run gateway control sink sim log modbus schema version; do
  check 0 "$cmd --help" "$bin" "$cmd" --help
  grep -q "Usage: streamforge $cmd" /tmp/sf-cli-test.out || { echo "FAIL: $cmd help text"; fail=1; }
done
check 0 "top-level --help" "$bin" --help
check 2 "no command" "$bin"
check 2 "unknown command" "$bin" frobnicate
check 2 "unknown option" "$bin" version --frobnicate
check 0 "version" "$bin" version
grep -q "^streamforge " /tmp/sf-cli-test.out || { echo "FAIL: version text"; fail=1; }
exit $fail
