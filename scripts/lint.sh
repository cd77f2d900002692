#!/usr/bin/env bash
# clang-format over every C++ file (cheap) and clang-tidy over the C++ files the last commit
# changed (clang-tidy is slow on 2 cores). Usage: scripts/lint.sh BUILD_DIR
set -uo pipefail
cd "$(dirname "$0")/.."
build="${1:-build/dev}"
rc=0
mapfile -t files < <(git ls-files 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' 'bench/*.cc' 'bench/*.h')
if ((${#files[@]})); then
  if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/sf-format.log; then
    echo "lint: clang-format differences (run 'make format'):"
    head -40 /tmp/sf-format.log
    rc=1
  else
    echo "lint: clang-format clean (${#files[@]} files)"
  fi
fi
if git rev-parse -q --verify HEAD~1 >/dev/null; then
  mapfile -t changed < <(git diff --name-only --diff-filter=AM HEAD~1 -- 'src/*.cc' | grep -v '_fuzz.cc$')
else
  changed=()
fi
# Bounded: at most 8 files (about a minute each with Asio's headers on 2 cores).
changed=("${changed[@]:0:8}")
if ((${#changed[@]})) && [[ -f "$build/compile_commands.json" ]]; then
  echo "lint: clang-tidy on ${#changed[@]} changed file(s)"
  # Advisory for now: findings are printed, not fatal (clang-tidy 14 and asio coroutines
  # still disagree on a few checks; see docs/DEVELOPMENT.md).
  if ! clang-tidy -p "$build" --quiet "${changed[@]}" >/tmp/sf-tidy.log 2>&1; then
    echo "lint: clang-tidy findings (advisory):"
  fi
  grep -E "(warning|error):" /tmp/sf-tidy.log | head -40 || true
fi
exit $rc
