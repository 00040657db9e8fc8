#!/usr/bin/env bash
# Fails when the committed generated code or descriptor set no longer matches proto/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node scripts/vendor-google-protos.mjs --check-only
buf generate --output "$tmp"
buf build -o "$tmp/descriptors.binpb"
if ! diff -r "$tmp/packages/proto/src/gen" packages/proto/src/gen >/dev/null || ! cmp -s "$tmp/descriptors.binpb" packages/proto/descriptors.binpb; then
  echo "Generated code in packages/proto is stale: run 'npm run gen' and commit the result." >&2
  diff -r "$tmp/packages/proto/src/gen" packages/proto/src/gen | head -20 >&2 || true
  exit 1
fi
echo "generated code is fresh"
