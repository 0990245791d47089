# Sourced by the scripts that run the Pulumi engine: offline settings for this project.
# shellcheck shell=bash
PAAS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PAAS_ROOT

# State of the local stacks lives in the repo (ignored by git). Any backend works:
# set PULUMI_BACKEND_URL yourself (s3://…, azblob://…, Pulumi Cloud) to override.
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PAAS_ROOT/.pulumi-state}"
mkdir -p "$PAAS_ROOT/.pulumi-state"
# The passphrase of the `local` stack's secrets. It protects nothing real (no cloud account,
# rendered manifests only): use your own, kept secret, for any other stack.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-paas-local-stack}"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Plugins are found on PATH (.tools/bin, after any pulumi install of yours, which wins).
export PULUMI_HOME="${PULUMI_HOME:-$PAAS_ROOT/.tools/pulumi-home}"
case ":$PATH:" in
  *":$PAAS_ROOT/.tools/bin:"*) ;;
  *) export PATH="$PATH:$PAAS_ROOT/.tools/bin" ;;
esac

# Makes `pulumi` available: an installed one, or the one built from Go modules. With tool
# names (see scripts/toolchain.sh --help), builds only those; with none, the whole toolchain.
paas_ensure_toolchain() {
  if ! command -v go >/dev/null 2>&1 && ! command -v pulumi >/dev/null 2>&1; then
    cat >&2 <<'MSG'
paas: no `pulumi` CLI on PATH and no Go toolchain to build one.
  Either install the Pulumi CLI (https://www.pulumi.com/docs/install/), or install Go >= 1.26
  (https://go.dev/dl/ or your package manager) and run this again: it then builds pulumi,
  its Node.js language host and the Kubernetes provider from Go modules (npm run toolchain).
MSG
    return 1
  fi
  if command -v go >/dev/null 2>&1; then
    bash "$PAAS_ROOT/scripts/toolchain.sh" "$@"
  fi
  command -v pulumi >/dev/null 2>&1 || { echo "paas: pulumi is still not on PATH after the toolchain step" >&2; return 1; }
}
