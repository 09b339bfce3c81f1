#!/usr/bin/env bash
# Runs every workspace's tests (vitest, as `npm test` does) on another Node
# major than the pinned one: scripts/test-on-node.sh 24. npm scripts would
# put the pinned Node first on the PATH, so vitest is started directly.
set -euo pipefail
major="${1:?usage: scripts/test-on-node.sh <node major>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(cd /tmp && npx -y -p "node@$major" -- bash -c 'dirname "$(command -v node)"')"
# Tests that start `node` or `npx` themselves find this Node first, then the workspace's tools.
export PATH="$bin:$root/node_modules/.bin:$PATH"
echo "tests on node $(node --version)"
failed=()
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for dir in "$root"/packages/* "$root"/apps/* "$root"/test/*; do
  grep -q '"test": "vitest run"' "$dir/package.json" 2>/dev/null || continue
  # What a person sees (registry installs, a browser) runs once, on the pinned Node.
  [ "$dir" = "$root/test/e2e" ] && continue
  name="${dir#"$root"/}"
  # The summary when it passes, everything when it does not.
  if (cd "$dir" && NO_COLOR=1 node "$root/node_modules/vitest/vitest.mjs" run >"$log" 2>&1); then
    echo "$name: $(grep -E '^ +Tests ' "$log" | tr -s ' ')"
  else
    cat "$log"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed on node $major: ${failed[*]}" >&2
  exit 1
fi
