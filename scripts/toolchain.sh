#!/usr/bin/env bash
# Builds the pinned local toolchain from Go modules into <repo>/.tools/bin:
# the Pulumi CLI, the Node.js and YAML language hosts, the Kubernetes provider plugin,
# etcd + etcdctl, actionlint, prometheus + promtool, kube-state-metrics, the peer scanners
# kube-score, trivy and checkov (a Python virtual environment), a Kubernetes control plane (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl) and KWOK; and copies the
# Gateway API and cert-manager CRDs and KWOK's stages out of their modules into
# <repo>/.tools/share. Every version comes from <repo>/toolchain.versions and
# nowhere else.
#
# Usage:
#   scripts/toolchain.sh               build whatever is missing or outdated
#   scripts/toolchain.sh TOOL...       only these: pulumi, language-nodejs,
#                                      language-yaml,
#                                      kubernetes, etcd, actionlint,
#                                      prometheus, kube-state-metrics,
#                                      kube-score, trivy, checkov, kube, kwok,
#                                      crds
#   scripts/toolchain.sh --print-env   print `export ...` lines; use as
#                                      eval "$(scripts/toolchain.sh --print-env)"
#   scripts/toolchain.sh --help
#
# Re-runs take seconds: a tool is rebuilt only when its binary is missing or
# its stamp (.tools/stamps/NAME) differs from what toolchain.versions asks
# for. Go's module and build caches (GOMODCACHE, GOCACHE) keep their defaults
# so they persist on the machine. If a pulumi >= PULUMI_MIN_VERSION is on PATH
# outside .tools/bin, it is used and neither pulumi nor the language host is
# built (a real install ships its own language hosts). Likewise a
# kube-apiserver, kube-controller-manager, kube-scheduler, kubectl or kwok of
# exactly the pinned version on PATH is linked into .tools/bin instead of built.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TOOLS_DIR=$REPO_ROOT/.tools
BIN_DIR=$TOOLS_DIR/bin
BUILD_DIR=$TOOLS_DIR/build
STAMP_DIR=$TOOLS_DIR/stamps
VERSIONS_FILE=$REPO_ROOT/toolchain.versions

log() { printf 'toolchain: %s\n' "$*" >&2; }
die() {
  printf 'toolchain: error: %s\n' "$*" >&2
  exit 1
}

[[ -f $VERSIONS_FILE ]] || die "missing $VERSIONS_FILE"
# shellcheck source-path=SCRIPTDIR/.. source=toolchain.versions
source "$VERSIONS_FILE"

ALL_TOOLS=(pulumi language-nodejs language-yaml kubernetes etcd actionlint prometheus kube-state-metrics kube-score trivy checkov kube kwok crds)
SHARE_DIR=$TOOLS_DIR/share

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; }

print_env() {
  local q
  printf -v q '%q' "$BIN_DIR"
  echo "export PATH=$q:\"\$PATH\""
  # Offline machines: no CLI update check and no plugin downloads; plugins
  # are found on PATH (.tools/bin).
  echo "export PULUMI_SKIP_UPDATE_CHECK=true"
  echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
}

# ---------------------------------------------------------------------------
# helpers

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

require_go() {
  command -v go >/dev/null 2>&1 ||
    die "'go' is not on PATH: install Go >= $GO_MIN_VERSION (the toolchain is built from Go modules) and re-run."
  local v
  v=$(go env GOVERSION 2>/dev/null) || die "'go env GOVERSION' failed; is Go installed correctly?"
  v=${v#go}
  v=${v%%[!0-9.]*}
  version_ge "$v" "$GO_MIN_VERSION" ||
    die "Go $v is too old: the pinned modules need Go >= $GO_MIN_VERSION."
}

# stamp_ok NAME KEY [BINARY...]: true when every binary exists and the stamp
# file holds KEY.
stamp_ok() {
  local name=$1 key=$2 f
  shift 2
  for f in "$@"; do [[ -x $f ]] || return 1; done
  [[ -f $STAMP_DIR/$name && "$(cat "$STAMP_DIR/$name")" == "$key" ]]
}
write_stamp() {
  mkdir -p "$STAMP_DIR"
  printf '%s\n' "$2" >"$STAMP_DIR/$1"
}

# Field of `go mod download -json MODULE@VERSION` (downloads the module).
module_field() {
  local json
  json=$(go mod download -json "$2@$3") || {
    json=$(sed -n 's/^[[:space:]]*"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")
    die "could not download $2@$3 from the Go module proxy: ${json:-unknown error}"
  }
  sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p" <<<"$json"
}
module_gomod() { module_field GoMod "$1" "$2"; } # its go.mod in the module cache
module_dir() { module_field Dir "$1" "$2"; }     # its extracted source

# Prints one `-replace=old=new` argument (for go mod edit) per replace
# directive of the given go.mod that points at another module; replaces with
# local paths (../sdk and the like) are skipped.
copy_replaces_args() {
  awk '
    /^replace[[:space:]]*\($/ { inblock = 1; next }
    inblock && /^\)/ { inblock = 0; next }
    inblock { line = $0 }
    !inblock && /^replace[[:space:]]/ { line = $0; sub(/^replace[[:space:]]+/, "", line) }
    line != "" {
      n = split(line, f, /[[:space:]]+/)
      i = 1; if (f[1] == "") i = 2
      old = f[i]; if (f[i+1] != "=>") { old = old "@" f[i+1]; i++ }
      new = f[i+2]; if ((i+3) <= n && f[i+3] != "" && f[i+3] !~ /^\/\//) new = new "@" f[i+3]
      if (new !~ /^\.\.?\// && new !~ /^\//) print "-replace=" old "=" new
      line = ""
    }' "$1"
}

# new_wrapper DIR MODULE_NAME: empty wrapper module in a fresh DIR.
new_wrapper() {
  rm -rf "$1"
  mkdir -p "$1"
  (cd "$1" && go mod init "$2" >/dev/null 2>&1) || die "go mod init failed in $1"
}

# go_build OUTPUT LDFLAGS TAGS PACKAGE...: static, reproducible build; missing
# go.sum lines are added (-mod=mod) and checked against the checksum database.
# The binary is moved into place only when the build succeeded.
go_build() {
  local out=$1 ldflags=$2 tags=$3
  shift 3
  local tmp="$out.tmp.$$"
  CGO_ENABLED=0 go build -mod=mod -trimpath -buildvcs=false -tags "$tags" -ldflags "$ldflags" \
    -o "$tmp" "$@" || {
    rm -f "$tmp"
    die "build of $(basename "$out") failed (see above)"
  }
  mv -f "$tmp" "$out"
}

elapsed() { echo "$(($(date +%s) - $1))s"; }

# Prints the path of a pulumi on PATH, outside .tools/bin, whose version is
# >= PULUMI_MIN_VERSION; prints nothing if there is none.
external_pulumi() {
  local dir v own IFS=:
  own=$(cd "$BIN_DIR" 2>/dev/null && pwd -P) || own=$BIN_DIR
  for dir in $PATH; do
    [[ -n $dir && -f $dir/pulumi && -x $dir/pulumi ]] || continue
    [[ "$(cd "$dir" 2>/dev/null && pwd -P)" == "$own" ]] && continue
    v=$("$dir/pulumi" version 2>/dev/null | head -n1) || continue
    v=${v#v}
    if [[ $v =~ ^[0-9]+\.[0-9]+ ]] && version_ge "$v" "${PULUMI_MIN_VERSION#v}"; then
      echo "$dir/pulumi"
      return 0
    fi
  done
}

# ---------------------------------------------------------------------------
# builders

# A wrapper module at $1 (module path $2) requiring pkg/v3 and sdk/v3 at
# PULUMI_VERSION. pkg/v3's go.mod replaces sdk/v3 with ../sdk, so
# `go install pkg@version` is refused: the wrapper requires both at the same
# version and keeps pkg's other replaces (a clipboard fork).
pulumi_wrapper() {
  local dir=$1 module=$2 gomod
  new_wrapper "$dir" "$module"
  gomod=$(module_gomod github.com/pulumi/pulumi/pkg/v3 "$PULUMI_VERSION")
  (
    cd "$dir"
    # shellcheck disable=SC2046
    go mod edit \
      -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
      -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" \
      $(copy_replaces_args "$gomod")
  )
}

build_pulumi() {
  local key="pulumi $PULUMI_VERSION"
  if stamp_ok pulumi "$key" "$BIN_DIR/pulumi"; then
    log "pulumi $PULUMI_VERSION is up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/pulumi
  t0=$(date +%s)
  log "building pulumi $PULUMI_VERSION (first build takes several minutes)…"
  require_go
  pulumi_wrapper "$dir" paas.invalid/toolchain/pulumi
  (
    cd "$dir"
    go_build "$BIN_DIR/pulumi" \
      "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
      osusergo,grpcnotrace \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  write_stamp pulumi "$key"
  log "built pulumi $PULUMI_VERSION in $(elapsed "$t0")"
}

# pulumi-resource-pulumi-nodejs (the dynamic-provider plugin) is a shell
# script shipped in the sdk/v3 module under nodejs/dist.
install_nodejs_dynamic_provider() {
  local key="pulumi-resource-pulumi-nodejs $PULUMI_VERSION" src
  if stamp_ok pulumi-resource-pulumi-nodejs "$key" "$BIN_DIR/pulumi-resource-pulumi-nodejs"; then
    return 0
  fi
  require_go
  src=$(module_dir github.com/pulumi/pulumi/sdk/v3 "$PULUMI_VERSION")/nodejs/dist/pulumi-resource-pulumi-nodejs
  [[ -f $src ]] || die "$src not found in sdk/v3 $PULUMI_VERSION"
  install -m 0755 "$src" "$BIN_DIR/pulumi-resource-pulumi-nodejs"
  write_stamp pulumi-resource-pulumi-nodejs "$key"
  log "installed pulumi-resource-pulumi-nodejs from sdk/v3 $PULUMI_VERSION"
}

# pulumi-language-nodejs. The upstream host is its own, never tagged module
# (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) and the
# module proxy serves none of its pseudo-versions, so by default the small
# host in scripts/toolchain/pulumi-language-nodejs is built against sdk/v3 at
# PULUMI_VERSION. With PULUMI_LANGUAGE_NODEJS_MODULE_VERSION set in
# toolchain.versions, the upstream host at that pseudo-version is built instead.
build_language_nodejs() {
  local upstream=${PULUMI_LANGUAGE_NODEJS_MODULE_VERSION:-}
  local src=$SCRIPT_DIR/toolchain/pulumi-language-nodejs/main.go key
  if [[ -n $upstream ]]; then
    key="pulumi-language-nodejs upstream $upstream sdk $PULUMI_VERSION"
  else
    [[ -f $src ]] || die "missing $src"
    key="pulumi-language-nodejs local $(cksum <"$src" | cut -d' ' -f1) sdk $PULUMI_VERSION"
  fi
  if stamp_ok pulumi-language-nodejs "$key" "$BIN_DIR/pulumi-language-nodejs"; then
    log "pulumi-language-nodejs ($PULUMI_VERSION) is up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/language-nodejs gomod
  local mod=github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3
  t0=$(date +%s)
  require_go
  # The CLI's module graph: most packages come out of the Go build cache.
  pulumi_wrapper "$dir" paas.invalid/toolchain/pulumi-language-nodejs
  if [[ -n $upstream ]]; then
    log "building pulumi-language-nodejs $upstream (upstream; takes a few minutes)…"
    gomod=$(module_gomod "$mod" "$upstream")
    (
      cd "$dir"
      # shellcheck disable=SC2046
      go mod edit -require="$mod@$upstream" $(copy_replaces_args "$gomod")
      go_build "$BIN_DIR/pulumi-language-nodejs" \
        "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
        osusergo,grpcnotrace "$mod"
    )
  else
    log "building pulumi-language-nodejs (scripts/toolchain/pulumi-language-nodejs, sdk $PULUMI_VERSION)…"
    cp "$src" "$dir/main.go"
    (
      cd "$dir"
      go_build "$BIN_DIR/pulumi-language-nodejs" \
        "-s -w -X main.version=$PULUMI_VERSION" osusergo,grpcnotrace .
    )
  fi
  write_stamp pulumi-language-nodejs "$key"
  log "built pulumi-language-nodejs in $(elapsed "$t0")"
}

# pulumi-language-yaml, the host of Pulumi YAML programs (github.com/pulumi/pulumi-yaml),
# with the pkg/v3 and sdk/v3 its release was made with: their Go APIs moved since, while
# the language-host protocol between host and CLI is stable.
build_language_yaml() {
  go_install_tool pulumi-language-yaml "$PULUMI_YAML_VERSION" github.com/pulumi/pulumi-yaml/pkg/version.Version \
    github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
}

# Version of @pulumi/kubernetes in node_modules, if installed.
installed_kubernetes_sdk_version() {
  local pj=$REPO_ROOT/node_modules/@pulumi/kubernetes/package.json
  [[ -f $pj ]] || return 0
  sed -n 's/^[[:space:]]*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "$pj" | head -n1
}

# pulumi-resource-kubernetes, built from a writable copy of the provider
# module: its go.mod replaces sdk/v4 with ../sdk (the tagged sdk/v4 of the
# same release is required instead), and main.go embeds two files that its
# generate.go makes from the committed schema.json/terraform-mapping.json.
build_kubernetes() {
  local v=$KUBERNETES_PROVIDER_VERSION npm_v
  npm_v=$(installed_kubernetes_sdk_version)
  if [[ -n $npm_v && $npm_v != "$v" ]]; then
    die "node_modules/@pulumi/kubernetes is $npm_v but toolchain.versions has KUBERNETES_PROVIDER_VERSION=$v: the provider plugin must match the npm package exactly; change one of them"
  fi
  local key="pulumi-resource-kubernetes $v $KUBERNETES_PROVIDER_MODULE_VERSION"
  if stamp_ok pulumi-resource-kubernetes "$key" "$BIN_DIR/pulumi-resource-kubernetes"; then
    log "pulumi-resource-kubernetes $v is up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/kubernetes modsrc
  t0=$(date +%s)
  log "building pulumi-resource-kubernetes $v (first build takes 10 minutes or more)…"
  require_go
  modsrc=$(module_dir github.com/pulumi/pulumi-kubernetes/provider/v4 "$KUBERNETES_PROVIDER_MODULE_VERSION")
  [[ -n $modsrc && -d $modsrc ]] || die "could not download pulumi-kubernetes/provider/v4@$KUBERNETES_PROVIDER_MODULE_VERSION"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp -R "$modsrc" "$dir/provider"
  chmod -R u+w "$dir/provider"
  (
    cd "$dir/provider"
    go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
      -require="github.com/pulumi/pulumi-kubernetes/sdk/v4@v$v"
    cd cmd/pulumi-resource-kubernetes
    VERSION=$v CGO_ENABLED=0 go run -mod=mod -buildvcs=false generate.go ||
      die "generating the embedded schema of pulumi-resource-kubernetes failed"
    cd ../..
    go_build "$BIN_DIR/pulumi-resource-kubernetes" \
      "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=$v" \
      "" ./cmd/pulumi-resource-kubernetes
  )
  write_stamp pulumi-resource-kubernetes "$key"
  log "built pulumi-resource-kubernetes $v in $(elapsed "$t0")"
}

# etcd, etcdctl and etcdutl (snapshot restore moved there in 3.6):
# go.etcd.io/etcd/server/v3, etcdctl/v3 and etcdutl/v3 are package main
# at their module roots but replace their sibling modules with ../ paths, so
# they are built in a wrapper module requiring all of them at ETCD_VERSION.
# (etcd's version string is a constant in api/v3/version.)
build_etcd() {
  local key="etcd $ETCD_VERSION etcdctl etcdutl"
  if stamp_ok etcd "$key" "$BIN_DIR/etcd" "$BIN_DIR/etcdctl" "$BIN_DIR/etcdutl"; then
    log "etcd $ETCD_VERSION is up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/etcd m reqs=()
  t0=$(date +%s)
  log "building etcd $ETCD_VERSION, etcdctl and etcdutl (first build takes a few minutes)…"
  require_go
  new_wrapper "$dir" paas.invalid/toolchain/etcd
  for m in api/v3 client/pkg/v3 client/v3 pkg/v3 server/v3 etcdctl/v3 etcdutl/v3; do
    reqs+=("-require=go.etcd.io/etcd/$m@$ETCD_VERSION")
  done
  (
    cd "$dir"
    go mod edit "${reqs[@]}"
    go_build "$BIN_DIR/etcd" "-s -w" "" go.etcd.io/etcd/server/v3
    go_build "$BIN_DIR/etcdctl" "-s -w" "" go.etcd.io/etcd/etcdctl/v3
    go_build "$BIN_DIR/etcdutl" "-s -w" "" go.etcd.io/etcd/etcdutl/v3
  )
  write_stamp etcd "$key"
  log "built etcd $ETCD_VERSION, etcdctl and etcdutl in $(elapsed "$t0")"
}

# go_install_tool NAME VERSION VERSION_VAR PACKAGE: `go install PACKAGE@VERSION`
# into .tools/bin, with VERSION_VAR (a package.var the binary prints) set.
go_install_tool() {
  local name=$1 version=$2 var=$3 pkg=$4 key="$1 $2" t0
  if stamp_ok "$name" "$key" "$BIN_DIR/$name"; then
    log "$name $version is up to date"
    return 0
  fi
  t0=$(date +%s)
  log "building $name $version…"
  require_go
  GOBIN=$BIN_DIR CGO_ENABLED=0 go install -trimpath -buildvcs=false \
    -ldflags "-s -w -X $var=${version#v}" "$pkg@$version" ||
    die "build of $name failed (see above)"
  write_stamp "$name" "$key"
  log "built $name $version in $(elapsed "$t0")"
}

build_actionlint() {
  go_install_tool actionlint "$ACTIONLINT_VERSION" github.com/rhysd/actionlint.version \
    github.com/rhysd/actionlint/cmd/actionlint
}

# prometheus and promtool of one release, for the alerting-rule tests. The
# module's version (v0.3xx.y) is not the release's (3.xx.y): the binaries report
# the release (the module's VERSION file wins when it has one). remove_all_sd
# leaves out every service-discovery plugin but file and HTTP discovery.
build_prometheus() {
  local key="prometheus $PROMETHEUS_VERSION remove_all_sd"
  if stamp_ok prometheus "$key" "$BIN_DIR/prometheus" "$BIN_DIR/promtool"; then
    log "prometheus and promtool $PROMETHEUS_VERSION are up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/prometheus mod=github.com/prometheus/prometheus release ldflags c
  t0=$(date +%s)
  log "building prometheus and promtool $PROMETHEUS_VERSION (first build takes a few minutes)…"
  require_go
  # v0.316.0 is release 3.16.0: the module's minor is the release's major and minor.
  [[ $PROMETHEUS_VERSION =~ ^v0\.([0-9]+)([0-9]{2})\.([0-9]+)$ ]] ||
    die "PROMETHEUS_VERSION must look like v0.316.0 (the Go module's version), got '$PROMETHEUS_VERSION'"
  release="${BASH_REMATCH[1]}.$((10#${BASH_REMATCH[2]})).${BASH_REMATCH[3]}"
  local from_module
  from_module=$(cat "$(module_dir "$mod" "$PROMETHEUS_VERSION")/VERSION" 2>/dev/null) || from_module=""
  [[ -z $from_module || $from_module == "$release" ]] || release=$from_module
  ldflags="-s -w -X github.com/prometheus/common/version.Version=$release -X github.com/prometheus/common/version.Branch=release"
  new_wrapper "$dir" paas.invalid/toolchain/prometheus
  (
    cd "$dir"
    go mod edit -require="$mod@$PROMETHEUS_VERSION"
    for c in prometheus promtool; do
      go_build "$BIN_DIR/$c" "$ldflags" remove_all_sd "$mod/cmd/$c"
    done
  )
  write_stamp prometheus "$key"
  log "built prometheus and promtool $release ($PROMETHEUS_VERSION) in $(elapsed "$t0")"
}

build_kube_state_metrics() {
  go_install_tool kube-state-metrics "$KUBE_STATE_METRICS_VERSION" github.com/prometheus/common/version.Version \
    k8s.io/kube-state-metrics/v2
}

build_kube_score() {
  go_install_tool kube-score "$KUBE_SCORE_VERSION" main.version github.com/zegl/kube-score/cmd/kube-score
}

# trivy's release builds use Go's encoding/json/v2, an experiment in this Go.
# `trivy config` runs the misconfiguration checks embedded in the binary.
build_trivy() {
  GOEXPERIMENT=jsonv2 go_install_tool trivy "$TRIVY_VERSION" github.com/aquasecurity/trivy/pkg/version/app.ver \
    github.com/aquasecurity/trivy/cmd/trivy
}

# checkov into its own virtual environment; .tools/bin/checkov runs it.
install_checkov() {
  local key="checkov $CHECKOV_VERSION" venv=$TOOLS_DIR/venv/checkov
  if stamp_ok checkov "$key" "$BIN_DIR/checkov" "$venv/bin/checkov"; then
    log "checkov $CHECKOV_VERSION is up to date"
    return 0
  fi
  command -v python3 >/dev/null 2>&1 || die "checkov needs python3 (3.9 or newer) with the venv module; on Debian: apt-get install python3 python3-venv"
  local t0
  t0=$(date +%s)
  log "installing checkov $CHECKOV_VERSION from PyPI into $venv (a minute or two)…"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed; on Debian: apt-get install python3-venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION" ||
    die "pip install checkov==$CHECKOV_VERSION failed (see above)"
  ln -sfn "$venv/bin/checkov" "$BIN_DIR/checkov"
  write_stamp checkov "$key"
  log "installed checkov $CHECKOV_VERSION in $(elapsed "$t0")"
}

# ---------------------------------------------------------------------------
# Kubernetes control plane and KWOK

# external_binary NAME WANT VERSION-ARGS...: path of NAME on PATH, outside
# .tools/bin, whose version output has a line matching the regex WANT;
# prints nothing otherwise.
external_binary() {
  local name=$1 want=$2 dir own IFS=:
  shift 2
  own=$(cd "$BIN_DIR" 2>/dev/null && pwd -P) || own=$BIN_DIR
  for dir in $PATH; do
    [[ -n $dir && -f $dir/$name && -x $dir/$name ]] || continue
    [[ "$(cd "$dir" 2>/dev/null && pwd -P)" == "$own" ]] && continue
    if "$dir/$name" "$@" 2>/dev/null | grep -qE -- "$want"; then
      echo "$dir/$name"
      return 0
    fi
  done
}

# link_external NAME WANT VERSION-ARGS...: links an installed NAME of the
# wanted version into .tools/bin; false when there is none.
link_external() {
  local name=$1 want=$2 ext
  shift 2
  ext=$(external_binary "$name" "$want" "$@")
  [[ -n $ext ]] || return 1
  if [[ "$(readlink "$BIN_DIR/$name" 2>/dev/null)" != "$ext" ]]; then
    ln -sfn "$ext" "$BIN_DIR/$name"
    log "using $ext ($want)"
  fi
  write_stamp "$name" "external $ext $want"
}

KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl)

# kube-apiserver, kube-controller-manager, kube-scheduler and kubectl of one
# release. k8s.io/kubernetes requires its staging modules at v0.0.0 and
# replaces each with ./staging/...: the wrapper module replaces each with the
# published module of the same release instead, and takes the upstream go and
# godebug lines (godebug only applies in the main module).
build_kube() {
  local v=$KUBERNETES_VERSION key="kubernetes $KUBERNETES_VERSION" missing=() c
  for c in "${KUBE_COMMANDS[@]}"; do
    if [[ $c == kubectl ]]; then
      link_external kubectl "^ *gitVersion: ${v//./\\.}\$" version --client -o yaml && continue
    else
      link_external "$c" "^Kubernetes ${v//./\\.}\$" --version && continue
    fi
    stamp_ok "$c" "$key" "$BIN_DIR/$c" && continue
    missing+=("$c")
  done
  if ((${#missing[@]} == 0)); then
    log "kubernetes $v (${KUBE_COMMANDS[*]}) is up to date"
    return 0
  fi
  [[ $v =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] || die "KUBERNETES_VERSION must look like v1.35.8, got '$v'"
  local staging="v0.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}" minor=${BASH_REMATCH[1]}
  local t0 dir=$BUILD_DIR/kube gomod info commit date godebug gover pkgs=() ldflags x
  t0=$(date +%s)
  log "building ${missing[*]} $v (first build takes 20 minutes or more on 2 cores)…"
  require_go
  gomod=$(module_gomod k8s.io/kubernetes "$v")
  [[ -f $gomod ]] || die "could not download k8s.io/kubernetes@$v from the Go module proxy"
  info=${gomod%.mod}.info
  commit=$(sed -n 's/.*"Hash": *"\([0-9a-f]*\)".*/\1/p' "$info" 2>/dev/null | head -n1)
  date=$(sed -n 's/.*"Time": *"\([^"]*\)".*/\1/p' "$info" 2>/dev/null | head -n1)
  gover=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod" | head -n1)
  godebug=$(sed -n 's/^godebug \(.*\)$/\1/p' "$gomod" | head -n1)
  new_wrapper "$dir" paas.invalid/toolchain/kube
  (
    cd "$dir"
    local reps=()
    while read -r m; do reps+=("-replace=$m=$m@$staging"); done < <(
      sed -n 's#^[[:space:]]*\(k8s.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod")
    ((${#reps[@]} > 0)) || die "no staging replaces found in the go.mod of k8s.io/kubernetes@$v"
    go mod edit -require="k8s.io/kubernetes@$v" "${reps[@]}" ${gover:+-go=$gover}
    [[ -z $godebug ]] || go mod edit -godebug="$godebug"
    ldflags="-s -w"
    for x in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
      ldflags+=" -X $x.gitVersion=$v -X $x.gitMajor=1 -X $x.gitMinor=$minor"
      ldflags+=" -X $x.gitCommit=${commit:-unknown} -X $x.gitTreeState=clean -X $x.buildDate=${date:-1970-01-01T00:00:00Z}"
    done
    for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
    # One go build for all: the packages they share are compiled once.
    mkdir -p out
    CGO_ENABLED=0 go build -mod=mod -trimpath -buildvcs=false -tags selinux,notest,grpcnotrace \
      -ldflags "$ldflags" -o out/ "${pkgs[@]}" || die "build of ${missing[*]} failed (see above)"
    for c in "${missing[@]}"; do
      rm -f "$BIN_DIR/$c"
      mv -f "out/$c" "$BIN_DIR/$c"
      write_stamp "$c" "$key"
    done
  )
  log "built ${missing[*]} $v in $(elapsed "$t0")"
}

build_kwok() {
  local key="kwok $KWOK_VERSION"
  link_external kwok "^kwok version ${KWOK_VERSION//./\\.} " --version && return 0
  if stamp_ok kwok "$key" "$BIN_DIR/kwok"; then
    log "kwok $KWOK_VERSION is up to date"
    return 0
  fi
  local t0 dir=$BUILD_DIR/kwok
  t0=$(date +%s)
  log "building kwok $KWOK_VERSION (first build takes a few minutes)…"
  require_go
  new_wrapper "$dir" paas.invalid/toolchain/kwok
  (
    cd "$dir"
    go mod edit -require="sigs.k8s.io/kwok@$KWOK_VERSION"
    go_build "$BIN_DIR/kwok" "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}" "" sigs.k8s.io/kwok/cmd/kwok
  )
  write_stamp kwok "$key"
  log "built kwok $KWOK_VERSION in $(elapsed "$t0")"
}

# copy_yaml SRC_DIR DEST_DIR [FILES...]: copies YAML files out of a read-only
# module folder (all *.yaml of SRC_DIR when no files are named).
copy_yaml() {
  local src=$1 dest=$2 f
  shift 2
  rm -rf "$dest"
  mkdir -p "$dest"
  if (($#)); then
    for f in "$@"; do
      [[ -f $src/$f ]] || die "$src/$f not found"
      install -m 0644 "$src/$f" "$dest/$(basename "$f")"
    done
  else
    for f in "$src"/*.yaml; do
      [[ $(basename "$f") == kustomization.yaml ]] && continue
      install -m 0644 "$f" "$dest/"
    done
  fi
}

# The CRDs of the objects the program declares (Gateway API standard channel,
# cert-manager) and KWOK's node and pod stages, from their Go modules, into
# .tools/share/{crds,kwok-stages}.
install_crds() {
  local key="crds gateway-api $GATEWAY_API_VERSION cert-manager $CERT_MANAGER_VERSION stages kwok $KWOK_VERSION" d
  if stamp_ok crds "$key" && [[ -d $SHARE_DIR/crds/gateway-api && -d $SHARE_DIR/crds/cert-manager && -d $SHARE_DIR/kwok-stages ]]; then
    log "CRDs (Gateway API $GATEWAY_API_VERSION, cert-manager $CERT_MANAGER_VERSION) and kwok stages are up to date"
    return 0
  fi
  require_go
  log "copying the Gateway API $GATEWAY_API_VERSION and cert-manager $CERT_MANAGER_VERSION CRDs and the kwok $KWOK_VERSION stages out of their modules…"
  d=$(module_dir sigs.k8s.io/gateway-api "$GATEWAY_API_VERSION")
  [[ -d $d/config/crd/standard ]] || die "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION has no config/crd/standard"
  copy_yaml "$d/config/crd/standard" "$SHARE_DIR/crds/gateway-api"
  d=$(module_dir github.com/cert-manager/cert-manager "$CERT_MANAGER_VERSION")
  [[ -d $d/deploy/crds ]] || die "github.com/cert-manager/cert-manager@$CERT_MANAGER_VERSION has no deploy/crds"
  copy_yaml "$d/deploy/crds" "$SHARE_DIR/crds/cert-manager"
  d=$(module_dir sigs.k8s.io/kwok "$KWOK_VERSION")/kustomize/stage
  copy_yaml "$d" "$SHARE_DIR/kwok-stages" \
    node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
    pod/general/pod-create.yaml pod/general/pod-init-container-running.yaml \
    pod/general/pod-init-container-completed.yaml pod/general/pod-ready.yaml \
    pod/general/pod-complete.yaml pod/general/pod-delete.yaml
  write_stamp crds "$key"
  log "installed CRDs and kwok stages into $SHARE_DIR"
}

# ---------------------------------------------------------------------------
# main

main() {
  local print=0 tools=() t
  for t in "$@"; do
    case $t in
      --print-env | print-env) print=1 ;;
      -h | --help | help)
        usage
        return 0
        ;;
      all) tools+=("${ALL_TOOLS[@]}") ;;
      pulumi) tools+=(pulumi) ;;
      language-nodejs | pulumi-language-nodejs) tools+=(language-nodejs) ;;
      language-yaml | pulumi-language-yaml) tools+=(language-yaml) ;;
      kubernetes | pulumi-resource-kubernetes) tools+=(kubernetes) ;;
      etcd | etcdctl | etcdutl) tools+=(etcd) ;;
      actionlint) tools+=(actionlint) ;;
      prometheus | promtool) tools+=(prometheus) ;;
      kube-state-metrics) tools+=(kube-state-metrics) ;;
      kube-score) tools+=(kube-score) ;;
      trivy) tools+=(trivy) ;;
      checkov) tools+=(checkov) ;;
      kube | kube-apiserver | kube-controller-manager | kube-scheduler | kubectl) tools+=(kube) ;;
      kwok) tools+=(kwok) ;;
      crds | stages) tools+=(crds) ;;
      *) die "unknown argument '$t' (try --help)" ;;
    esac
  done
  if ((print)); then
    print_env
    return 0
  fi
  ((${#tools[@]})) || tools=("${ALL_TOOLS[@]}")

  mkdir -p "$BIN_DIR" "$BUILD_DIR" "$STAMP_DIR" "$SHARE_DIR"
  # One run at a time per checkout (the build folders are shared).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$TOOLS_DIR/.lock"
    flock -n 9 || {
      log "waiting for another scripts/toolchain.sh run to finish…"
      flock 9
    }
  fi

  local ext="" f
  if [[ " ${tools[*]} " == *" pulumi "* || " ${tools[*]} " == *" language-nodejs "* || " ${tools[*]} " == *" language-yaml "* ]]; then
    ext=$(external_pulumi)
    if [[ -n $ext ]]; then
      log "using $ext ($("$ext" version 2>/dev/null | head -n1)); pulumi and its language hosts are not built"
      # Our own copies would shadow it on PATH.
      for f in pulumi pulumi-language-nodejs pulumi-language-yaml pulumi-resource-pulumi-nodejs; do
        rm -f "$BIN_DIR/$f" "$STAMP_DIR/$f"
      done
    fi
  fi
  for t in "${tools[@]}"; do
    case $t in
      pulumi) [[ -n $ext ]] || {
        build_pulumi
        install_nodejs_dynamic_provider
      } ;;
      language-nodejs) [[ -n $ext ]] || build_language_nodejs ;;
      language-yaml) [[ -n $ext ]] || build_language_yaml ;;
      kubernetes) build_kubernetes ;;
      etcd) build_etcd ;;
      actionlint) build_actionlint ;;
      prometheus) build_prometheus ;;
      kube-state-metrics) build_kube_state_metrics ;;
      kube-score) build_kube_score ;;
      trivy) build_trivy ;;
      checkov) install_checkov ;;
      kube) build_kube ;;
      kwok) build_kwok ;;
      crds) install_crds ;;
    esac
  done
}

main "$@"
