#!/usr/bin/env bash
# kubectl of the pinned release against the project's local control plane (npm run cluster:up).
#   npm run kubectl -- get pods -n apps
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PAAS_CLUSTER_DIR:-$root/.tools/cluster}
[[ -x $root/.tools/bin/kubectl ]] || { echo "kubectl: .tools/bin/kubectl is missing: run npm run toolchain" >&2; exit 1; }
[[ -f $dir/kubeconfig ]] || { echo "kubectl: no local control plane in $dir: run npm run cluster:up" >&2; exit 1; }
exec "$root/.tools/bin/kubectl" --kubeconfig "$dir/kubeconfig" "$@"
