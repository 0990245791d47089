/** Checks of AccessControl args, shared by the config parser and the component. Pure. */
import type { AccessControlArgs } from "../accessControl";
import { Problems } from "../validation";
import { checkAcl } from "./acl";
import { AZURE_FORBIDDEN_ROLES, GCP_FORBIDDEN_ROLES, awsGrantProblems } from "./iam";

export function checkAccess(args: Omit<AccessControlArgs, "clusterName">, path: string, problems: Problems): void {
    checkAcl(args.rules ?? [], `${path}.rules`, problems);
    const seen = new Set<string>();
    (args.workloadIdentities ?? []).forEach((w, i) => {
        const at = `${path}.workloadIdentities[${i}]`;
        const key = `${w.namespace}/${w.serviceAccount}`;
        if (seen.has(key)) problems.add(`${at}.serviceAccount`, w.serviceAccount, "must be unique among the workload identities");
        seen.add(key);
        for (const c of ["aws", "gcp", "azure"] as const)
            if (w[c] !== undefined && c !== args.cloud) problems.add(`${at}.${c}`, w[c], `is only allowed when the cloud is "${c}" (the cloud is "${args.cloud}")`);
        const grant = args.cloud === "local" ? undefined : w[args.cloud];
        if (args.cloud === "local") problems.add(at, w.serviceAccount, 'needs a cloud: workload identities do not exist on the "local" cloud');
        else if (grant === undefined) problems.add(`${at}.${args.cloud}`, undefined, `is required: the grant for cloud "${args.cloud}"`);
        if (w.aws) {
            if (w.aws.actions.length === 0) problems.add(`${at}.aws.actions`, w.aws.actions, "must list at least one action");
            if (w.aws.resources.length === 0) problems.add(`${at}.aws.resources`, w.aws.resources, "must list at least one resource ARN");
            for (const p of awsGrantProblems(w.aws.actions, w.aws.resources)) problems.add(`${at}.aws.${p.field}[${p.index}]`, p.value, p.message);
        }
        w.gcp?.roles.forEach((r, j) => {
            if (!/^(roles|projects\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/.test(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "must be a role such as roles/storage.objectViewer");
            else if ((GCP_FORBIDDEN_ROLES as readonly string[]).includes(r)) problems.add(`${at}.gcp.roles[${j}]`, r, "is far broader than a workload needs; grant a predefined or custom role");
        });
        w.azure?.roles.forEach((r, j) => {
            if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(r.roleDefinitionId)) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "must be a role definition GUID");
            else if ((AZURE_FORBIDDEN_ROLES as readonly string[]).includes(r.roleDefinitionId.toLowerCase())) problems.add(`${at}.azure.roles[${j}].roleDefinitionId`, r.roleDefinitionId, "is Owner, Contributor or User Access Administrator; grant a narrower role");
            if (!r.scope.startsWith("/subscriptions/")) problems.add(`${at}.azure.roles[${j}].scope`, r.scope, "must be an Azure resource ID (/subscriptions/…)");
        });
    });
}

