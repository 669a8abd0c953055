#!/usr/bin/env bash
# Builds the pinned kube-apiserver, etcd and kubectl that the tests run against, and the
# "runnables" that tests opt in to (kube-controller-manager, kube-scheduler, kwok), from the Go
# module proxy, into a cache outside the checkout, and prints that directory.
# With KUBEBUILDER_ASSETS set it builds nothing and prints that directory instead.
set -euo pipefail

K8S_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0

if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
  echo "${KUBEBUILDER_ASSETS}"
  exit 0
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir="${DRSYNCER_TESTBIN_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/dr-syncer/k8s-${K8S_VERSION}}"
mkdir -p "$dir"

log() { echo "testbin: $*" >&2; }

# A set is rebuilt only when a binary is missing or its pins changed. Two sets, two stamps: the
# runnables came later, and adding them must not invalidate the control plane every checkout built.
stamp="$dir/.pins"
pins="k8s=${K8S_VERSION} etcd=${ETCD_VERSION} $(cat "$root/tools/kube/go.sum" "$root/tools/etcd/go.sum" | sha256sum | cut -c1-16)"
stamp_runnables="$dir/.pins-runnables"
pins_runnables="k8s=${K8S_VERSION} kwok=${KWOK_VERSION} $(cat "$root/tools/kube-runnables/go.sum" "$root/tools/kwok/go.sum" | sha256sum | cut -c1-16)"
need_core=true
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" && -x "$dir/kubectl" && "$(cat "$stamp" 2>/dev/null)" == "$pins" ]]; then
  need_core=false
fi
need_runnables=true
if [[ -x "$dir/kube-controller-manager" && -x "$dir/kube-scheduler" && -x "$dir/kwok" && -f "$dir/kwok-stages.yaml" && "$(cat "$stamp_runnables" 2>/dev/null)" == "$pins_runnables" ]]; then
  need_runnables=false
fi
if ! $need_core && ! $need_runnables; then
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

# Progress for the long builds: a heartbeat so nobody thinks it hangs.
( while sleep 30; do log "... still building ($(date +%T))"; done ) &
beat=$!
trap 'kill $beat 2>/dev/null || true' EXIT

if $need_core; then
  log "building kube-apiserver ${K8S_VERSION}, kubectl ${K8S_VERSION} and etcd ${ETCD_VERSION} into $dir"
  log "the first build takes about 8-10 minutes on 2 cores; later runs reuse the cache"
  build "$root/tools/etcd" go.etcd.io/etcd/server/v3 "$dir/etcd" "-s -w"
  build "$root/tools/kube" k8s.io/kubernetes/cmd/kube-apiserver "$dir/kube-apiserver" "$ldflags"
  build "$root/tools/kube" k8s.io/kubernetes/cmd/kubectl "$dir/kubectl" "$ldflags"
  echo "$pins" > "$stamp"
fi
if $need_runnables; then
  log "building kube-controller-manager ${K8S_VERSION}, kube-scheduler ${K8S_VERSION} and kwok ${KWOK_VERSION} into $dir"
  log "the first build takes about 3-4 more minutes on 2 cores; later runs reuse the cache"
  build "$root/tools/kube-runnables" k8s.io/kubernetes/cmd/kube-controller-manager "$dir/kube-controller-manager" "$ldflags"
  build "$root/tools/kube-runnables" k8s.io/kubernetes/cmd/kube-scheduler "$dir/kube-scheduler" "$ldflags"
  build "$root/tools/kwok" sigs.k8s.io/kwok/cmd/kwok "$dir/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
  # kwok ships its stages as YAML, not in the binary: the ones kwokctl runs by default make nodes
  # Ready, keep their leases, and make scheduled Pods Running and Ready (Jobs' Pods Succeeded).
  kwok_src=$(cd "$root/tools/kwok" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  for f in node/fast/node-initialize node/heartbeat-with-lease/node-heartbeat-with-lease pod/fast/pod-ready pod/fast/pod-complete pod/fast/pod-delete; do
    echo "---"; cat "$kwok_src/kustomize/stage/$f.yaml"
  done > "$dir/kwok-stages.yaml.tmp"
  mv "$dir/kwok-stages.yaml.tmp" "$dir/kwok-stages.yaml"
  echo "$pins_runnables" > "$stamp_runnables"
fi
echo "$dir"
