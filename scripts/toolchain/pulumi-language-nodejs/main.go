// Command pulumi-language-nodejs is a small Node.js language host for the
// Pulumi engine, built by scripts/toolchain.sh against the pinned
// github.com/pulumi/pulumi/sdk/v3.
//
// Why it exists: the upstream host lives in its own, never tagged Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) that the
// Go module proxy reachable from this project's machines does not serve, and
// the Pulumi CLI cannot be downloaded here. A real Pulumi install (which ships
// the upstream host) is preferred by scripts/toolchain.sh when present.
//
// What it does: the engine starts it with its own gRPC address as the last
// argument; it serves pulumirpc.LanguageRuntime on a free port and prints the
// port. Run starts `node <@pulumi/pulumi>/cmd/run` with the documented
// command-line flags and environment (PULUMI_CONFIG, ...), which is the
// contract between a language host and the @pulumi/pulumi npm package.
// GetRequiredPackages reads the "pulumi" block of the package.json files in
// node_modules. InstallDependencies runs the project's package manager.
// RunPlugin runs policy packs (run-policy-pack) and Node.js plugins
// (run-plugin). Code generation, templates and packing answer Unimplemented.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/nodejs/npm"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// version is set with -ldflags "-X main.version=vX.Y.Z" (the Pulumi release
// whose SDK this host is built against).
var version = "v0.0.0-dev"

// Exit code of @pulumi/pulumi's run script after it has already shown the
// user an actionable message (nodeJSProcessExitedAfterLoggingUserActionableMessage).
const exitCodeUserMessageShown = 32

func main() {
	tracing := flag.String("tracing", "", "emit tracing to a Zipkin-compatible tracing endpoint")
	// Flags older engines passed; accepted and ignored (options now arrive in ProgramInfo).
	flag.String("root", "", "ignored")
	flag.Bool("typescript", true, "ignored")
	flag.String("tsconfig", "", "ignored")
	flag.String("nodeargs", "", "ignored")
	flag.String("packagemanager", "", "ignored")
	flag.Parse()

	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-nodejs", "pulumi-language-nodejs", *tracing)

	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if engineAddress != "" {
		// Exit when the engine goes away.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, cancel); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start health check host RPC server: %w", err))
		}
	}

	stop := make(chan bool)
	go func() {
		<-ctx.Done()
		close(stop)
	}()

	host := &languageHost{engineAddress: engineAddress, tracing: *tracing}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.OpenTracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// The engine reads the port from the first line of stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	engineAddress string
	tracing       string
}

// nodeOptions are the `runtime.options` of a nodejs Pulumi.yaml.
type nodeOptions struct {
	typescript     bool
	nodeargs       string
	tsconfig       string
	packagemanager string
}

func parseOptions(info *pulumirpc.ProgramInfo) nodeOptions {
	opts := nodeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["nodeargs"].(string); ok {
		opts.nodeargs = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["packagemanager"].(string); ok {
		opts.packagemanager = v
	}
	return opts
}

func programDirectory(info *pulumirpc.ProgramInfo, fallback string) string {
	if d := info.GetProgramDirectory(); d != "" {
		return d
	}
	if fallback != "" {
		return fallback
	}
	wd, _ := os.Getwd()
	return wd
}

func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) GetPluginInfo(ctx context.Context, _ *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: strings.TrimPrefix(version, "v")}, nil
}

// ---------------------------------------------------------------------------
// Required plugins: every package in node_modules whose package.json has
// "pulumi": {"resource": true, ...}.

type pulumiPackageJSON struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Pulumi  *struct {
		Resource         bool   `json:"resource"`
		Name             string `json:"name"`
		Version          string `json:"version"`
		Server           string `json:"server"`
		Parameterization *struct {
			Name    string `json:"name"`
			Version string `json:"version"`
			Value   string `json:"value"` // base64
		} `json:"parameterization"`
	} `json:"pulumi"`
}

// nodeModulesDirs lists node_modules folders from dir up to the filesystem
// root (npm workspaces hoist packages to the workspace root).
func nodeModulesDirs(dir string) []string {
	var out []string
	for d := dir; ; d = filepath.Dir(d) {
		nm := filepath.Join(d, "node_modules")
		if st, err := os.Stat(nm); err == nil && st.IsDir() {
			out = append(out, nm)
		}
		if filepath.Dir(d) == d {
			return out
		}
	}
}

// installedPackageDirs returns the top-level package folders of a node_modules folder.
func installedPackageDirs(nm string) []string {
	entries, err := os.ReadDir(nm)
	if err != nil {
		return nil
	}
	var dirs []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(nm, name)
		if strings.HasPrefix(name, "@") {
			scoped, err := os.ReadDir(p)
			if err != nil {
				continue
			}
			for _, s := range scoped {
				dirs = append(dirs, filepath.Join(p, s.Name()))
			}
			continue
		}
		dirs = append(dirs, p)
	}
	return dirs
}

func requiredPackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	seen := map[string]bool{}
	var deps []*pulumirpc.PackageDependency
	for _, nm := range nodeModulesDirs(programDir) {
		for _, dir := range installedPackageDirs(nm) {
			b, err := os.ReadFile(filepath.Join(dir, "package.json"))
			if err != nil {
				continue
			}
			var pkg pulumiPackageJSON
			if json.Unmarshal(b, &pkg) != nil || pkg.Pulumi == nil || !pkg.Pulumi.Resource {
				continue
			}
			name := pkg.Pulumi.Name
			if name == "" {
				name = strings.TrimPrefix(pkg.Name, "@pulumi/")
			}
			ver := pkg.Pulumi.Version
			if ver == "" {
				ver = pkg.Version
			}
			dep := &pulumirpc.PackageDependency{
				Kind:    "resource",
				Name:    name,
				Version: ver,
				Server:  pkg.Pulumi.Server,
			}
			if p := pkg.Pulumi.Parameterization; p != nil {
				value, err := base64.StdEncoding.DecodeString(p.Value)
				if err != nil {
					return nil, fmt.Errorf("%s: bad parameterization value: %w", dir, err)
				}
				dep.Parameterization = &pulumirpc.PackageParameterization{
					Name: p.Name, Version: p.Version, Value: value,
				}
			}
			key := dep.Name + "@" + dep.Version
			if dep.Parameterization != nil {
				key += "/" + dep.Parameterization.Name + "@" + dep.Parameterization.Version
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			deps = append(deps, dep)
		}
	}
	sort.Slice(deps, func(i, j int) bool {
		return deps[i].Name+deps[i].Version < deps[j].Name+deps[j].Version
	})
	return deps, nil
}

func (h *languageHost) GetRequiredPackages(
	ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	deps, err := requiredPackages(programDirectory(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: deps}, nil
}

func (h *languageHost) GetRequiredPlugins(
	ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	deps, err := requiredPackages(programDirectory(req.GetInfo(), req.GetPwd())) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	var plugins []*pulumirpc.PluginDependency
	for _, d := range deps {
		if d.Parameterization != nil {
			continue
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{
			Name: d.Name, Kind: d.Kind, Version: d.Version, Server: d.Server,
		})
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

// ---------------------------------------------------------------------------
// Run

// resolveModule resolves a module of @pulumi/pulumi the way Node does from
// dir, and returns its folder (`node <folder>` loads its index.js).
func resolveModule(ctx context.Context, nodeBin, dir, module string) (string, error) {
	cmd := exec.CommandContext(ctx, nodeBin, "-e",
		"process.stdout.write(require.resolve(process.argv[1]))", module)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil || len(out) == 0 {
		return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed "+
			"(could not resolve %s from %s). Have you run npm install?", module, dir)
	}
	return filepath.Dir(string(out)), nil
}

func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	opts := parseOptions(info)
	programDir := programDirectory(info, req.GetPwd())
	pwd := req.GetPwd()
	if pwd == "" {
		pwd = programDir
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on the $PATH: " + err.Error()}, nil
	}
	runPath := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH")
	if runPath == "" {
		runPath, err = resolveModule(ctx, nodeBin, programDir, "@pulumi/pulumi/cmd/run")
	}
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "bad runtime option nodeargs: " + err.Error()}, nil
	}
	args = append(args, runPath)
	flagArg := func(k, v string) {
		if v != "" {
			args = append(args, "--"+k+"="+v)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engineAddress)
	flagArg("organization", req.GetOrganization())
	flagArg("project", req.GetProject())
	flagArg("root-directory", info.GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("pwd", pwd)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flagArg("parallel", strconv.Itoa(int(req.GetParallel())))
	flagArg("tracing", h.tracing)
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = req.GetProgram() //nolint:staticcheck
	}
	if entry == "" {
		// "." makes Node load the package's main module (package.json "main").
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	config, err := json.Marshal(nonNilMap(req.GetConfig()))
	if err != nil {
		return nil, err
	}
	secretKeys, err := json.Marshal(nonNilSlice(req.GetConfigSecretKeys()))
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"PULUMI_CONFIG="+string(config),
		"PULUMI_CONFIG_SECRET_KEYS="+string(secretKeys),
	)
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}

	logging.V(5).Infof("language host launching: %s %s", nodeBin, strings.Join(args, " "))
	cmd := exec.Command(nodeBin, args...) //nolint:gosec
	cmd.Dir = programDir
	cmd.Env = env
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	runErr := cmd.Run()
	// Node may leave buffered process.stdout/stderr writes behind; make sure
	// the engine sees them before the result.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	if runErr == nil {
		return &pulumirpc.RunResponse{}, nil
	}
	var exitErr *exec.ExitError
	if errors.As(runErr, &exitErr) {
		switch code := exitErr.ExitCode(); code {
		case exitCodeUserMessageShown:
			return &pulumirpc.RunResponse{Bail: true}, nil
		default:
			return &pulumirpc.RunResponse{
				Error: fmt.Sprintf("Program exited with non-zero exit code: %d", code),
			}, nil
		}
	}
	return &pulumirpc.RunResponse{
		Error: "Problem executing program (could not run language executor): " + runErr.Error(),
	}, nil
}

// splitArgs splits a command line like a POSIX shell does for words:
// whitespace separates, single quotes are literal, double quotes allow
// backslash escapes, a backslash outside quotes escapes the next character.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errors.New("unterminated single quote")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, errors.New("unterminated double quote")
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	return args, nil
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ---------------------------------------------------------------------------
// Dependencies and about

func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	stdout, stderr := streamWriters(func(out, errOut []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: out, Stderr: errOut})
	})
	opts := parseOptions(req.GetInfo())
	dir := programDirectory(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	name, err := npm.Install(server.Context(), npm.PackageManagerType(opts.packagemanager), dir,
		false /*production*/, stdout, stderr)
	if err != nil {
		return fmt.Errorf("%s install failed: %w", name, err)
	}
	fmt.Fprintf(stdout, "Finished installing dependencies with %s\n", name)
	return nil
}

// streamWriters returns stdout and stderr writers that forward each write
// through send (one of out/errOut set). gRPC streams allow one sender at a
// time, and exec copies a child's stdout and stderr concurrently.
func streamWriters(send func(out, errOut []byte) error) (io.Writer, io.Writer) {
	var mu sync.Mutex
	mk := func(isErr bool) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			b := append([]byte(nil), p...)
			mu.Lock()
			defer mu.Unlock()
			var err error
			if isErr {
				err = send(nil, b)
			} else {
				err = send(b, nil)
			}
			if err != nil {
				return 0, err
			}
			return len(p), nil
		})
	}
	return mk(false), mk(true)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// RunPlugin runs a plugin written in Node.js: a CrossGuard policy pack (kind
// "analyzer", through @pulumi/pulumi/cmd/run-policy-pack <args> <program>) or
// a provider/tool (through @pulumi/pulumi/cmd/run-plugin <program> <args>).
// The plugin's output is streamed back; the engine reads its port from it.
func (h *languageHost) RunPlugin(
	req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	ctx := server.Context()
	info := req.GetInfo()
	opts := parseOptions(info)
	programDir := programDirectory(info, req.GetPwd())
	program := programDir
	if e := info.GetEntryPoint(); e != "" && e != "." {
		program = filepath.Join(programDir, e)
	}

	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	module := "@pulumi/pulumi/cmd/run-plugin"
	if req.GetKind() == "analyzer" {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runPath, err := resolveModule(ctx, nodeBin, programDir, module)
	if err != nil {
		return err
	}
	args, err := splitArgs(opts.nodeargs)
	if err != nil {
		return fmt.Errorf("bad runtime option nodeargs: %w", err)
	}
	args = append(args, runPath)
	if req.GetKind() == "analyzer" {
		args = append(append(args, req.GetArgs()...), program)
	} else {
		args = append(append(args, program), req.GetArgs()...)
	}

	send := func(r *pulumirpc.RunPluginResponse) error { return server.Send(r) }
	stdout, stderr := streamWriters(func(out, errOut []byte) error {
		if errOut != nil {
			return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: errOut}})
		}
		return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: out}})
	})

	logging.V(5).Infof("language host launching plugin: %s %s", nodeBin, strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, nodeBin, args...) //nolint:gosec
	// Plugins run in their own folder (a PolicyPack reads ./package.json).
	cmd.Dir = programDir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	if opts.typescript {
		cmd.Env = append(cmd.Env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	cmd.Stdout = stdout
	cmd.Stderr = stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) {
			return fmt.Errorf("running %s: %w", module, err)
		}
		code = exitErr.ExitCode()
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

func (h *languageHost) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on the $PATH: %w", err)
	}
	out, err := exec.CommandContext(ctx, nodeBin, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: nodeBin,
		Version:    strings.TrimSpace(string(out)),
		Metadata:   map[string]string{"languageHost": "paas toolchain " + version},
	}, nil
}

// GetProgramDependencies reports the installed version of every dependency
// named in the program's package.json.
func (h *languageHost) GetProgramDependencies(
	ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDirectory(req.GetInfo(), req.GetPwd()) //nolint:staticcheck
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading package.json: %w", err)
	}
	var manifest struct {
		Dependencies    map[string]string `json:"dependencies"`
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		return nil, fmt.Errorf("parsing package.json: %w", err)
	}
	names := map[string]bool{}
	for n := range manifest.Dependencies {
		names[n] = true
	}
	if req.GetTransitiveDependencies() {
		for n := range manifest.DevDependencies {
			names[n] = true
		}
	}
	nms := nodeModulesDirs(dir)
	var deps []*pulumirpc.DependencyInfo
	for n := range names {
		ver := manifest.Dependencies[n]
		for _, nm := range nms {
			if v, ok := installedVersion(filepath.Join(nm, n)); ok {
				ver = v
				break
			}
		}
		deps = append(deps, &pulumirpc.DependencyInfo{Name: n, Version: ver})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func installedVersion(pkgDir string) (string, bool) {
	f, err := os.Open(filepath.Join(pkgDir, "package.json"))
	if err != nil {
		return "", false
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return "", false
	}
	var p struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &p) != nil || p.Version == "" {
		return "", false
	}
	return p.Version, true
}
