/**
 * npm run cluster:up | cluster:down | cluster:status — the project's local Kubernetes control
 * plane (see --help).
 */
import * as path from "node:path";
import { clusterDown, clusterStatus, clusterUp, DEFAULT_DIR, DEFAULT_NODES, DEFAULT_PORT_BASE, kubeconfigPath, ports, ROOT } from "./cluster";

const HELP = `Usage: npm run cluster:up | cluster:down | cluster:status [-- options]
   or: tsx scripts/cluster/cli.ts up|down|status [options]

A Kubernetes ${"control plane"} on 127.0.0.1 built from Go modules (npm run toolchain): etcd,
kube-apiserver, kube-controller-manager, kube-scheduler, and kwok simulating ${DEFAULT_NODES.length} nodes in
${DEFAULT_NODES.length} zones (no kubelet, no container runtime: pods are scheduled and reported Running, no
image is pulled). Gateway API and cert-manager CRDs are installed; claims of the default
StorageClass get simulated volumes.

  up       start whatever is not running (harmless when all is), wait until it is ready,
           print the kubeconfig's path. A component that had crashed is reported with the
           end of its log and started again.
  down     stop exactly the processes 'up' started (by the PIDs it recorded). The state
           (certificates, etcd data, logs) is kept, so the next 'up' resumes.
  status   which components run.

Options:
  --dir DIR           state folder (default ${path.relative(ROOT, DEFAULT_DIR)}; env PAAS_CLUSTER_DIR)
  --port-base N       first of 6 loopback ports (default ${DEFAULT_PORT_BASE}; env PAAS_CLUSTER_PORT_BASE):
                      etcd client/peer, API server (N+2), controller manager, scheduler, kwok
  --feature-gates G   passed to the API server and controller manager (e.g. HPAConfigurableTolerance=false)
  --purge             with down: also delete the state folder
  -h, --help          this text
`;

function fail(msg: string): never {
    process.stderr.write(`cluster: ${msg}\n`);
    process.exit(2);
}

async function main(argv: string[]): Promise<void> {
    const cmd = argv[0];
    if (!cmd || cmd === "-h" || cmd === "--help" || cmd === "help") {
        process.stdout.write(HELP);
        return;
    }
    let dir = path.resolve(process.env.PAAS_CLUSTER_DIR || DEFAULT_DIR);
    let portBase = process.env.PAAS_CLUSTER_PORT_BASE ? Number(process.env.PAAS_CLUSTER_PORT_BASE) : DEFAULT_PORT_BASE;
    let featureGates: string | undefined;
    let purge = false;
    for (let i = 1; i < argv.length; i++) {
        const a = argv[i];
        const value = () => argv[++i] ?? fail(`${a} needs a value (see --help)`);
        if (a === "--dir") dir = path.resolve(value());
        else if (a === "--port-base") portBase = Number(value());
        else if (a === "--feature-gates") featureGates = value();
        else if (a === "--purge" && cmd === "down") purge = true;
        else if (a === "-h" || a === "--help") return void process.stdout.write(HELP);
        else fail(`unknown option '${a}' for '${cmd}' (see --help)`);
    }
    if (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65_529)
        fail(`--port-base (PAAS_CLUSTER_PORT_BASE) must be an integer from 1024 to 65529, got '${portBase}'`);
    const log = (l: string) => process.stderr.write(`${l}\n`);
    switch (cmd) {
        case "up": {
            const t0 = Date.now();
            const info = await clusterUp({ dir, portBase, nodes: DEFAULT_NODES, featureGates, log });
            const rel = path.relative(process.cwd(), info.kubeconfig) || info.kubeconfig;
            const kubectl = path.relative(process.cwd(), path.join(ROOT, ".tools/bin/kubectl"));
            process.stdout.write([
                `cluster: ready in ${((Date.now() - t0) / 1000).toFixed(1)} s — API server ${info.server}`,
                `cluster: kubeconfig (admin, keep it private): ${rel}`,
                "cluster: try",
                `  export KUBECONFIG=${info.kubeconfig}`,
                `  ${kubectl} get nodes -L topology.kubernetes.io/zone     # or: npm run kubectl -- get nodes`,
                `  ${kubectl} get deploy,sts,pvc,pdb,hpa -n apps         # after npm run up:local`,
                "cluster: stop it with npm run cluster:down",
                "",
            ].join("\n"));
            break;
        }
        case "down": {
            const stopped = await clusterDown({ dir, log }, purge);
            process.stdout.write(stopped.length ? `cluster: stopped ${stopped.join(", ")}${purge ? `; removed ${dir}` : ""}\n` : `cluster: nothing was running${purge ? `; removed ${dir}` : ""}\n`);
            break;
        }
        case "status": {
            const st = clusterStatus({ dir });
            for (const [c, s] of Object.entries(st)) process.stdout.write(`${c.padEnd(24)} ${s}\n`);
            process.stdout.write(`API server: https://127.0.0.1:${ports(portBase).apiserver}; kubeconfig: ${kubeconfigPath(dir)}\n`);
            break;
        }
        default:
            fail(`unknown command '${cmd}': use up, down or status (see --help)`);
    }
}

main(process.argv.slice(2)).catch((e: Error) => fail(e.message));
