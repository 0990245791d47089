/** Kubeconfig documents (JSON, which every Kubernetes client reads like YAML). Pure. */

export interface ExecCredential {
    readonly command: string;
    readonly args: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    /** Shown by kubectl when the command is missing. */
    readonly installHint: string;
}

/**
 * A kubeconfig with one cluster whose credentials come from an exec plugin: no long-lived token
 * or client key is ever stored in state, only the endpoint and the CA.
 */
export function execKubeconfig(name: string, server: string, caData: string, exec: ExecCredential): string {
    return JSON.stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server, "certificate-authority-data": caData } }],
        contexts: [{ name, context: { cluster: name, user: name } }],
        "current-context": name,
        users: [
            {
                name,
                user: {
                    exec: {
                        apiVersion: "client.authentication.k8s.io/v1beta1",
                        command: exec.command,
                        args: [...exec.args],
                        env: Object.entries(exec.env ?? {}).map(([k, v]) => ({ name: k, value: v })),
                        interactiveMode: "Never",
                        provideClusterInfo: false,
                        installHint: exec.installHint,
                    },
                },
            },
        ],
    });
}
