#!/usr/bin/env bash
# kube-testenv.sh builds the kube-apiserver and etcd binaries that the Kubernetes executor's
# tests run against, from the Go module proxy, into a cache directory. Binaries already in
# the cache are kept, so a second run returns at once.
#
# Usage: scripts/kube-testenv.sh [-q]
#   -q   print only the cache directory on stdout (for ACKUP_KUBE_BIN=$(scripts/kube-testenv.sh -q))
#
# Environment:
#   KUBE_VERSION      kube-apiserver version to build (default v1.37.2; staging modules at v0.X.Y)
#   ETCD_VERSION      go.etcd.io/etcd/server/v3 version to build (default v3.7.3)
#   ACKUP_KUBE_CACHE  where the binaries go
#                     (default ${XDG_CACHE_HOME:-$HOME/.cache}/ackup/kube-$KUBE_VERSION)
#
# The build needs only the Go toolchain and the module proxy. kube-apiserver takes about
# five minutes on two cores the first time; the Go build cache makes later builds quick.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
CACHE="${ACKUP_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ackup/kube-$KUBE_VERSION}"
quiet=0
if [[ "${1:-}" == "-q" ]]; then quiet=1; fi

log() { if [[ $quiet == 0 ]]; then echo "kube-testenv: $*" >&2; else :; fi; }
die() { echo "kube-testenv: error: $*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
[[ "$KUBE_VERSION" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KUBE_VERSION must look like v1.37.2, got $KUBE_VERSION"
minor="${BASH_REMATCH[1]}"
staging_version="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"

mkdir -p "$CACHE" || die "cannot create cache directory $CACHE"
work="$(mktemp -d "${TMPDIR:-/tmp}/ackup-kube-testenv.XXXXXX")"
trap 'rm -rf "$work"' EXIT

build_apiserver() {
	local out="$CACHE/kube-apiserver"
	if [[ -x "$out" ]]; then log "kube-apiserver $KUBE_VERSION already in $CACHE"; return; fi
	log "building kube-apiserver $KUBE_VERSION (a few minutes the first time)"
	local dir="$work/apiserver"
	mkdir -p "$dir"
	# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with
	# ./staging/src/...; a module that depends on it must map them to their releases.
	local gomod
	gomod="$(cd "$dir" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')" ||
		die "cannot download k8s.io/kubernetes@$KUBE_VERSION from the module proxy (see 'go list -m -versions k8s.io/kubernetes')"
	[[ -f "$gomod" ]] || die "no go.mod found for k8s.io/kubernetes@$KUBE_VERSION"
	{
		echo "module ackup.local/kube-testenv"
		echo
		echo "go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')"
		echo
		echo "require k8s.io/kubernetes $KUBE_VERSION"
		echo
		echo "replace ("
		# Only staging modules that k8s.io/kubernetes requires: the sample modules are
		# replaced there too but are not all published.
		awk '/^replace \(/{r=1;next} r&&/^\)/{r=0} r&&$3 ~ /^\.\/staging\//{print $1}' "$gomod" | while read -r m; do
			if grep -Eq "^[[:space:]]+$m v0\.0\.0" "$gomod"; then
				printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"
			fi
		done
		echo ")"
	} >"$dir/go.mod"
	local ldflags="-s -w"
	ldflags+=" -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
	ldflags+=" -X k8s.io/component-base/version.gitMinor=$minor"
	ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
	ldflags+=" -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z"
	(cd "$dir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" \
		-o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver) ||
		die "building kube-apiserver failed; go.mod used:"$'\n'"$(cat "$dir/go.mod")"
	mv "$out.tmp" "$out"
}

build_etcd() {
	local out="$CACHE/etcd"
	if [[ -x "$out" ]]; then log "etcd $ETCD_VERSION already in $CACHE"; return; fi
	log "building etcd $ETCD_VERSION"
	local dir="$work/etcd"
	mkdir -p "$dir"
	cat >"$dir/go.mod" <<GOMOD
module ackup.local/etcd

go $(go env GOVERSION | sed -E 's/^go([0-9]+\.[0-9]+).*/\1/')

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
GOMOD
	cat >"$dir/main.go" <<'GO'
// Command etcd runs the etcd server for ackup's Kubernetes executor tests.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
	(cd "$dir" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out.tmp" .) ||
		die "building etcd $ETCD_VERSION failed"
	mv "$out.tmp" "$out"
}

start=$SECONDS
build_etcd
build_apiserver
"$CACHE/kube-apiserver" --version >/dev/null 2>&1 || die "$CACHE/kube-apiserver does not run"
"$CACHE/etcd" --version >/dev/null 2>&1 || die "$CACHE/etcd does not run"
log "ready in $((SECONDS - start))s: $CACHE ($("$CACHE/kube-apiserver" --version), etcd $ETCD_VERSION)"
log "run the tests with: ACKUP_KUBE_BIN=$CACHE go test ./internal/executor/kube/..."
echo "$CACHE"
