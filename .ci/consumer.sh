#!/usr/bin/env bash
# The library as a team uses it from npm: pack it, install the tarball into a fresh temporary project (a copy of
# .ci/consumer/, nothing of this checkout beside it) with pinned cdk8s, constructs, cdk8s-cli and jest, then, with an
# empty environment: compile the consumer app (GraphistryStack and IotFleet through the package entry point only),
# synthesize it with the library API and with `cdk8s synth` (validation plugin loaded from the package), and run its
# jest snapshot test twice (the second run, with --ci, must match the snapshot the first one wrote).
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/ops-kit-consumer.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Only what running programs needs: no OPS_KIT_* or any other variable of this shell reaches the consumer.
clean=(env -i "PATH=$PATH" "HOME=$HOME")
# npm install may need the network settings of this machine (and nothing else).
net=()
for v in HTTP_PROXY HTTPS_PROXY NO_PROXY http_proxy https_proxy no_proxy; do [ -n "${!v:-}" ] && net+=("$v=${!v}"); done

echo "packing the library"
(cd "$repo" && npm pack --silent --pack-destination "$work" >/dev/null)
tarball=$(ls "$work"/cdk8s-ops-kit-*.tgz)
tar -tzf "$tarball" > "$work/contents"
echo "tarball: $(basename "$tarball") ($(wc -c <"$tarball") bytes, $(wc -l <"$work/contents") files)"
for f in package/schemas/kubernetes-1.28.0.json.gz package/schemas/crds.json.gz package/plugin.js package/plugin.d.ts package/build/lib/index.js package/imports/crds/iot.nationtech.io_deployments.yaml; do
  grep -qx "$f" "$work/contents" || { echo "the package does not ship $f" >&2; exit 1; }
done

project="$work/project"
cp -R "$repo/.ci/consumer" "$project"
mv "$tarball" "$project/cdk8s-ops-kit.tgz"
cd "$project"

echo "installing (pinned versions, from the npm cache where possible)"
"${clean[@]}" "${net[@]}" npm install --no-audit --no-fund --prefer-offline --loglevel=error
if grep -rlF "$repo" node_modules/cdk8s-ops-kit >/dev/null; then
  echo "the installed package refers to the checkout it was packed from ($repo):" >&2
  grep -rlF "$repo" node_modules/cdk8s-ops-kit >&2
  exit 1
fi

echo "the plugin is importable from the package: cdk8s-ops-kit/plugin"
"${clean[@]}" node -e 'const { OpsKitValidation } = require("cdk8s-ops-kit/plugin"); if (typeof new OpsKitValidation({}).validate !== "function") process.exit(1)'

echo "compiling the consumer app and its test"
"${clean[@]}" npm run --silent build

echo "synthesizing with the library API (synthesizeToDist)"
"${clean[@]}" npm run --silent synth
ls dist/graphistry/daemonset-*.yaml dist/fleet/customresourcedefinition-*.yaml >/dev/null
before=$(cd dist && find . -type f -print0 | sort -z | xargs -0 sha256sum)

echo "synthesizing with cdk8s synth (the plugin from the package verifies the CLI's copy)"
"${clean[@]}" CDK8S_CHECK_UPGRADE=false npx --no-install cdk8s synth > cdk8s-synth.log 2>&1 || { cat cdk8s-synth.log; exit 1; }
grep -q 'Validations ended succesfully' cdk8s-synth.log || { cat cdk8s-synth.log; echo "the validation plugin did not run" >&2; exit 1; }
after=$(cd dist && find . -type f -print0 | sort -z | xargs -0 sha256sum)
[ "$before" = "$after" ] || { echo "cdk8s synth changed dist/ (the same app must write the same bytes)" >&2; exit 1; }
diff -r dist .cdk8s-out >/dev/null || { echo "the CLI's folder differs from dist/" >&2; diff -r dist .cdk8s-out | head >&2; exit 1; }

echo "jest: first run writes the snapshot, the second (--ci) must match it"
"${clean[@]}" npx --no-install jest
"${clean[@]}" npx --no-install jest --ci
test -n "$(ls build/test/__snapshots__/*.snap)"
echo "consumer project: OK"
