#!/usr/bin/env bash
# `pulumi up` of the `local` stack, offline, with the policy pack: every Kubernetes object is
# rendered to ./rendered. Extra arguments go to `pulumi up` (e.g. --diff).
#   PAAS_POLICY_CONFIG=policies/config/prod.json npm run up:local   # enforce at prod levels
set -euo pipefail
# shellcheck source=scripts/pulumi-env.sh
source "$(dirname "$0")/pulumi-env.sh"
cd "$PAAS_ROOT"
paas_ensure_toolchain
# Rendering needs no cluster; an inherited KUBECONFIG would only make the provider wait on it.
unset KUBECONFIG
echo "paas: pulumi $(pulumi version) with backend $PULUMI_BACKEND_URL"
pulumi stack select --create local --non-interactive
pulumi up --yes --non-interactive --stack local \
  --policy-pack policies --policy-pack-config "${PAAS_POLICY_CONFIG:-policies/config/dev.json}" "$@"
echo "paas: rendered manifests are in $PAAS_ROOT/rendered (kept out of git: rendered Secrets are only base64)"
