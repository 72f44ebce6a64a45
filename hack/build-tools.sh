#!/usr/bin/env bash
# Builds the dev stack's binaries from Go modules into bin/, skipping any already there.
# Each group lives in its own tools module because their Kubernetes library versions differ.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
mkdir -p bin

kube_version=v1.36.3
kube_ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${kube_version}"
kube_ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=36"

# build MODULE_DIR LDFLAGS BINARY=PACKAGE...
build() {
  local dir=$1 ldflags=$2; shift 2
  local missing=()
  for spec in "$@"; do
    [ -x "bin/${spec%%=*}" ] || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  for spec in "${missing[@]}"; do
    echo "building bin/${spec%%=*} (${spec#*=})"
    (cd "$dir" && go build -trimpath -ldflags "$ldflags" -o "$root/bin/${spec%%=*}" "${spec#*=}")
  done
}

build hack/tools/kube "$kube_ldflags" \
  etcd=./etcd \
  kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver \
  kube-controller-manager=k8s.io/kubernetes/cmd/kube-controller-manager \
  kube-scheduler=k8s.io/kubernetes/cmd/kube-scheduler
build hack/tools/knative "-s -w" \
  knative-controller=./controller \
  knative-autoscaler-hpa=./autoscaler-hpa \
  knative-webhook=knative.dev/serving/cmd/webhook \
  knative-eventing-controller=./eventing-controller \
  knative-eventing-webhook=./eventing-webhook
build hack/tools/kwok "-s -w" \
  kwok=sigs.k8s.io/kwok/cmd/kwok
