#!/usr/bin/env bash
# Builds, or reuses, the real Pulumi CLI, its Node.js and YAML language hosts and sdkgen (the SDK
# generator of tools/sdkgen) from the Go module proxy,
# for the end-to-end tests (npm run test:e2e). Nothing comes from Pulumi's site: no install
# script, no plugin download.
#
# Prints the folder to put first on PATH as its last line of stdout; progress goes to stderr.
# The binaries are cached outside the repository, keyed by version, and reused across clones:
#   ${PULUMI_COPASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-copass}/pulumi-cli/<version>/bin
#
# - `pulumi` is package cmd/pulumi of module github.com/pulumi/pulumi/pkg/v3. Its go.mod replaces
#   sdk/v3 with ../sdk (the monorepo), so `go install …@version` refuses; we build the downloaded
#   module with a writable copy of its go.mod (-modfile) that drops that replace, so sdk/v3
#   resolves at the same version from the proxy.
# - `pulumi-language-nodejs` (the language host that runs the program): its own module
#   (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is not served by the
#   proxy (403 "not available"). The last release that shipped it inside sdk/v3 is v3.68.0
#   (it moved out in v3.69.0), and that one is served, so we build it from there. The engine
#   and the host talk a versioned gRPC protocol that stays backward compatible.
# - `pulumi-resource-pulumi-nodejs` (the dynamic-provider plugin the engine starts) is, in
#   Pulumi's release bundle, a 4-line shell script that runs @pulumi/pulumi/cmd/dynamic-provider
#   resolved from the program's node_modules; scripts/pulumi-plugins/ holds its equivalent, and
#   it is copied next to the binaries.
# - `pulumi-language-yaml` (examples/yaml, issue 16): module github.com/pulumi/pulumi-yaml, whose
#   go.mod has no replace lines, so it builds as downloaded (its version in pkg/version.Version).
#   It pulls its own, older pkg/v3: about 2.5 minutes on a cold Go build cache.
# - `sdkgen` (tools/sdkgen, npm run test:languages): writes the Python and Go SDKs from schema.json
#   with pkg/v3's code generators; stamped with a hash of tools/sdkgen/*, so an edit rebuilds it.
#   It shares most packages with `pulumi`, so after the CLI it builds in seconds.
#
# Build choices: CGO_ENABLED=0 and -trimpath (as Pulumi's releases), -ldflags "-s -w" (no debug
# info: a faster link), no -race. GOTOOLCHAIN=local: use the installed Go, never download one.
set -euo pipefail

cli_version="${PULUMI_CLI_VERSION:-3.274.1}"
langhost_version="3.68.0"
yaml_version="1.25.0"
here="$(cd "$(dirname "$0")" && pwd)"
cache_root="${PULUMI_COPASS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-copass}"
bin="$cache_root/pulumi-cli/$cli_version/bin"

log() { echo "[pulumi-cli] $*" >&2; }

if ! command -v go >/dev/null 2>&1; then
  log "go is not on PATH"
  exit 2
fi

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$bin"
work="$(mktemp -d "$cache_root/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# A binary is reused when its stamp names the version this script wants.
fresh() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }

# Downloads module $1@$2 through the proxy; prints its (read-only) folder in the module cache and
# copies its go.mod and go.sum to $work/$3, where the build may edit them (-modfile).
download() {
  local dir
  dir="$(go mod download -json "$1@v$2" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$dir" ]; then
    log "go mod download $1@v$2 gave no Dir"
    exit 1
  fi
  mkdir -p "$work/$3"
  cp "$dir/go.mod" "$dir/go.sum" "$work/$3/"
  chmod u+w "$work/$3/go.mod" "$work/$3/go.sum"
  echo "$dir"
}

# Builds package $4 of the module in $1 (with the go.mod in $work/$2) into $bin/$5, stamped with
# version $3 (atomic rename, so a concurrent run never sees half a binary). $6 is the variable the
# linker sets to the version (default: the Pulumi SDK's).
build() {
  local started=$SECONDS version_var="${6:-github.com/pulumi/pulumi/sdk/v3/go/common/version.Version}"
  (cd "$1" && go build -modfile "$work/$2/go.mod" -trimpath -o "$work/$5" \
    -ldflags "-s -w -X $version_var=v$3" "$4")
  mv -f "$work/$5" "$bin/$5"
  echo "$3" >"$bin/.$5.version"
  log "built $5 v$3 in $((SECONDS - started)) s"
}

if fresh pulumi "$cli_version"; then
  log "reusing $bin/pulumi v$cli_version"
else
  log "building pulumi v$cli_version from github.com/pulumi/pulumi/pkg/v3 (cold: several minutes)"
  src="$(download github.com/pulumi/pulumi/pkg/v3 "$cli_version" pkg)"
  go mod edit -dropreplace github.com/pulumi/pulumi/sdk/v3 "$work/pkg/go.mod"
  build "$src" pkg "$cli_version" ./cmd/pulumi pulumi
fi

if fresh pulumi-language-nodejs "$langhost_version"; then
  log "reusing $bin/pulumi-language-nodejs v$langhost_version"
else
  log "building pulumi-language-nodejs v$langhost_version from github.com/pulumi/pulumi/sdk/v3"
  src="$(download github.com/pulumi/pulumi/sdk/v3 "$langhost_version" sdk)"
  build "$src" sdk "$langhost_version" ./nodejs/cmd/pulumi-language-nodejs pulumi-language-nodejs
fi

if fresh pulumi-language-yaml "$yaml_version"; then
  log "reusing $bin/pulumi-language-yaml v$yaml_version"
else
  log "building pulumi-language-yaml v$yaml_version from github.com/pulumi/pulumi-yaml (cold: minutes)"
  src="$(download github.com/pulumi/pulumi-yaml "$yaml_version" yaml)"
  build "$src" yaml "$yaml_version" ./cmd/pulumi-language-yaml pulumi-language-yaml \
    github.com/pulumi/pulumi-yaml/pkg/version.Version
fi

# Its own committed go.mod and go.sum, so no -modfile; -mod=readonly keeps a build from
# rewriting them.
sdkgen_src="$here/../tools/sdkgen"
sdkgen_hash="$(cd "$sdkgen_src" && cat go.mod go.sum ./*.go | sha256sum | cut -c1-16)"
if fresh sdkgen "$sdkgen_hash"; then
  log "reusing $bin/sdkgen $sdkgen_hash"
else
  log "building sdkgen $sdkgen_hash from tools/sdkgen (the code generators of its go.mod's pkg/v3)"
  started=$SECONDS
  (cd "$sdkgen_src" && go build -mod=readonly -trimpath -ldflags "-s -w" -o "$work/sdkgen" .)
  mv -f "$work/sdkgen" "$bin/sdkgen"
  echo "$sdkgen_hash" >"$bin/.sdkgen.version"
  log "built sdkgen $sdkgen_hash in $((SECONDS - started)) s"
fi

cp -f "$here/pulumi-plugins/pulumi-resource-pulumi-nodejs" "$bin/"
chmod +x "$bin/pulumi-resource-pulumi-nodejs"
echo "$bin"
