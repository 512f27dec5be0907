#!/usr/bin/env bash
# The README's quick start as a new user runs it: clone HEAD into a temporary folder with nothing beside it (no
# sibling folder the project could read), and with an empty environment run `npm ci && npm run synth`, `npm test` and `cdk8s synth`. The clone's
# committed dist/ must come out byte-identical every time.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ops-kit-clone.XXXXXX")"
trap 'rm -rf "$work"' EXIT

clean=(env -i "PATH=$PATH" "HOME=$HOME")
net=()
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do [ -n "${!v:-}" ] && net+=("$v=${!v}"); done

git clone --quiet "$repo" "$work/clone"
cd "$work/clone"
echo "cloned $(git rev-parse --short HEAD) into $work/clone; beside it: $(ls -A "$work" | tr '\n' ' ')"
[ "$(ls -A "$work")" = "clone" ] || { echo "the clone's parent folder holds more than the clone: $(ls -A "$work" | tr '\n' ' ')" >&2; exit 1; }

unchanged() {
  if [ -n "$(git status --porcelain)" ]; then
    echo "$1 changed the clone:" >&2
    git status --porcelain | head -20 >&2
    exit 1
  fi
}

"${clean[@]}" "${net[@]}" npm ci --no-audit --no-fund --prefer-offline --loglevel=error
"${clean[@]}" npm run synth -- --quiet
unchanged "npm run synth"
"${clean[@]}" npm test -- --silent
unchanged "npm test"
"${clean[@]}" CDK8S_CHECK_UPGRADE=false npx --no-install cdk8s synth > cdk8s-synth.log 2>&1 || { cat cdk8s-synth.log; exit 1; }
grep -q 'Validations ended succesfully' cdk8s-synth.log || { cat cdk8s-synth.log; echo "the validation plugin did not run" >&2; exit 1; }
rm cdk8s-synth.log
unchanged "cdk8s synth"
echo "clean clone: npm ci && npm run synth, npm test and cdk8s synth pass; dist/ unchanged"
