#!/usr/bin/env bash
# `pulumi up` of the `local` stack, offline, with the policy pack.
#
#   npm run up:local                  deploy into the project's local control plane (started
#                                     when it is not running; see npm run cluster:up -- --help)
#   npm run up:local -- --render      render every object to ./rendered instead (no cluster);
#                                     kept in its own state folder, .pulumi-state/render
#   PAAS_POLICY_CONFIG=policies/config/prod.json npm run up:local   # enforce at prod levels
#
# Other arguments go to `pulumi up` (e.g. --diff).
set -euo pipefail
# shellcheck source=scripts/pulumi-env.sh
source "$(dirname "$0")/pulumi-env.sh"
cd "$PAAS_ROOT"

render=0
args=()
for a in "$@"; do
  case $a in
    --render) render=1 ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      exit 0
      ;;
    *) args+=("$a") ;;
  esac
done

# What this run needs, not the test tiers' tools: the engine and the kubernetes provider, and
# to deploy, the control plane (etcd, kube-*, kwok, the CRDs).
if ((render)); then
  paas_ensure_toolchain pulumi language-nodejs kubernetes
else
  paas_ensure_toolchain pulumi language-nodejs kubernetes etcd kube kwok crds
fi
policy=(--policy-pack policies --policy-pack-config "${PAAS_POLICY_CONFIG:-policies/config/dev.json}")

if ((render)); then
  # The same stack config with renderDirectory in place of the cluster, in a state folder of its
  # own so rendering never touches what is deployed.
  export PULUMI_BACKEND_URL="file://$PAAS_ROOT/.pulumi-state/render"
  mkdir -p "$PAAS_ROOT/.pulumi-state/render"
  config=$PAAS_ROOT/.pulumi-state/render/Pulumi.local.yaml
  node -e '
    const fs = require("fs"), YAML = require("yaml");
    const doc = YAML.parse(fs.readFileSync("Pulumi.local.yaml", "utf8"));
    doc.config["paas:cluster"] = { ...doc.config["paas:cluster"], local: { renderDirectory: "rendered" } };
    delete doc.config["paas:addons"]; // rendering declares the Gateway API objects of the default controller
    fs.writeFileSync(process.argv[1], YAML.stringify(doc));' "$config"
  # Rendering needs no cluster; an inherited KUBECONFIG would only make the provider wait on it.
  unset KUBECONFIG
  echo "paas: pulumi $(pulumi version), rendering with backend $PULUMI_BACKEND_URL"
  pulumi stack select --create local --non-interactive
  pulumi up --yes --non-interactive --stack local --config-file "$config" "${policy[@]}" "${args[@]}"
  echo "paas: rendered manifests are in $PAAS_ROOT/rendered (kept out of git: rendered Secrets are only base64)"
  exit 0
fi

# The control plane: started if it is not running (seconds when built), then deployed into. The
# local stack names .tools/cluster/kubeconfig, so another state folder would deploy elsewhere.
if [[ -n ${PAAS_CLUSTER_DIR:-} && "$(realpath -m "$PAAS_CLUSTER_DIR")" != "$(realpath -m "$PAAS_ROOT/.tools/cluster")" ]]; then
  echo "paas: up:local deploys into .tools/cluster (Pulumi.local.yaml: paas:cluster.local.kubeconfigFile); unset PAAS_CLUSTER_DIR, or point kubeconfigFile at $PAAS_CLUSTER_DIR/kubeconfig" >&2
  exit 2
fi
npx --no-install tsx scripts/cluster/cli.ts up
unset KUBECONFIG
echo "paas: pulumi $(pulumi version) with backend $PULUMI_BACKEND_URL"
pulumi stack select --create local --non-interactive
pulumi up --yes --non-interactive --stack local "${policy[@]}" "${args[@]}"
cat <<MSG
paas: the local stack is deployed into the control plane at .tools/cluster (kwok simulates the nodes).
  npm run kubectl -- get deploy,sts,pvc,pdb,hpa -n apps     what was deployed, and its state
  npm run kubectl -- get pods -n apps -o wide               pods spread over the 3 simulated nodes/zones
  npm run cluster:down                                      stop the control plane (state is kept)
MSG
