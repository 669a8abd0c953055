#!/usr/bin/env bash
# Builds the pinned kube-apiserver, etcd and kubectl that the tests run against, from the Go
# module proxy, into a cache outside the checkout, and prints that directory.
# With KUBEBUILDER_ASSETS set it builds nothing and prints that directory instead.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  echo "${KUBEBUILDER_ASSETS}"
  exit 0
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir="${DRSYNCER_TESTBIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-${K8S_VERSION}}"
mkdir -p "$dir"

log() { echo "testbin: $*" >&2; }

# A binary is rebuilt only when missing; the stamp records which pins built the set.
stamp="$dir/.pins"
pins="k8s=${K8S_VERSION} etcd=${ETCD_VERSION} $(cat "$root/tools/kube/go.sum" "$root/tools/etcd/go.sum" | sha256sum | cut -c1-16)"
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" && -x "$dir/kubectl" && "$(cat "$stamp" 2>/dev/null)" == "$pins" ]]; then
  echo "$dir"
  exit 0
fi

minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
version_pkgs=(k8s.io/component-base/version k8s.io/client-go/pkg/version)
ldflags="-s -w"
for p in "${version_pkgs[@]}"; do
  ldflags+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=1 -X $p.gitMinor=${minor} -X $p.gitTreeState=clean -X $p.buildDate=1970-01-01T00:00:00Z"
done

build() { # build <module dir> <package> <output> <ldflags>
  local start=$SECONDS
  log "building $(basename "$3") ..."
  (cd "$1" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -ldflags "$4" -o "$3.tmp" "$2")
  mv "$3.tmp" "$3"
  log "built $(basename "$3") in $((SECONDS - start))s"
}

log "building kube-apiserver ${K8S_VERSION}, kubectl ${K8S_VERSION} and etcd ${ETCD_VERSION} into $dir"
log "the first build takes about 8-10 minutes on 2 cores; later runs reuse the cache"
# Progress for the long builds: a heartbeat so nobody thinks it hangs.
( while sleep 30; do log "... still building ($(date +%T))"; done ) &
beat=$!
trap 'kill $beat 2>/dev/null || true' EXIT

build "$root/tools/etcd" go.etcd.io/etcd/server/v3 "$dir/etcd" "-s -w"
build "$root/tools/kube" k8s.io/kubernetes/cmd/kube-apiserver "$dir/kube-apiserver" "$ldflags"
build "$root/tools/kube" k8s.io/kubernetes/cmd/kubectl "$dir/kubectl" "$ldflags"
echo "$pins" > "$stamp"
echo "$dir"
