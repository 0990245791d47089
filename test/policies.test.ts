import { describe, expect, it } from "vitest";
import * as aws from "../policies/src/aws";
import * as azure from "../policies/src/azure";
import { allPolicies, resourcePolicies } from "../policies/src/all";
import * as gcp from "../policies/src/gcp";
import * as hardening from "../policies/src/hardening";
import * as k8s from "../policies/src/kubernetes";
import type { PaasResourcePolicy, Subject } from "../policies/src/policy";
import * as rbac from "../policies/src/rbac";
import { policyConfig, runResourcePolicy } from "../policies/src/run";

const clone = <T>(v: T): T => structuredClone(v);
const subject = (type: string, props: Record<string, any>, name = "res"): Subject => ({ type, name, urn: `urn:pulumi:test::paas::${type}::${name}`, props });

// ---- passing fixtures: one per resource kind, secure in every respect

const container = {
    name: "app",
    image: "ghcr.io/acme/web:1.2.3",
    // A literal that is no credential, and a credential read from its Secret.
    env: [{ name: "LOG_LEVEL", value: "info" }, { name: "DB_PASSWORD", valueFrom: { secretKeyRef: { name: "db", key: "password" } } }],
    ports: [{ name: "http", containerPort: 8080 }],
    resources: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1", memory: "256Mi" } },
    livenessProbe: { tcpSocket: { port: "http" }, periodSeconds: 20, failureThreshold: 6 },
    readinessProbe: { httpGet: { path: "/healthz", port: "http" } },
    securityContext: {
        runAsNonRoot: true, runAsUser: 65532, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, privileged: false,
        capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
    },
};
const podSpec = { automountServiceAccountToken: false, serviceAccountName: "web", securityContext: { runAsNonRoot: true }, containers: [container], volumes: [{ name: "tmp", emptyDir: {} }] };
const FIX = {
    deployment: subject("kubernetes:apps/v1:Deployment", {
        apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "web", namespace: "apps" },
        spec: { selector: { matchLabels: { app: "web" } }, template: { metadata: { labels: { app: "web" } }, spec: podSpec } },
    }),
    cronjob: subject("kubernetes:batch/v1:CronJob", {
        kind: "CronJob", metadata: { name: "nightly", namespace: "apps" },
        spec: { schedule: "0 3 * * *", jobTemplate: { spec: { template: { spec: { ...podSpec, containers: [{ ...container, ports: undefined, livenessProbe: undefined, readinessProbe: undefined }] } } } } },
    }),
    service: subject("kubernetes:core/v1:Service", { kind: "Service", metadata: { name: "web", namespace: "apps" }, spec: { type: "ClusterIP" } }),
    gateway: subject("kubernetes:gateway.networking.k8s.io/v1:Gateway", {
        kind: "Gateway", metadata: { name: "gw", namespace: "gateway" },
        spec: { listeners: [
            { name: "https", protocol: "HTTPS", port: 443, tls: { mode: "Terminate", certificateRefs: [{ name: "tls" }] } },
            { name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "Same" } } },
        ] },
    }),
    ingress: subject("kubernetes:networking.k8s.io/v1:Ingress", { kind: "Ingress", metadata: { name: "web", namespace: "apps" }, spec: { tls: [{ secretName: "tls" }] } }),
    role: subject("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", { kind: "ClusterRole", metadata: { name: "reader" }, rules: [{ apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] }] }),
    binding: subject("kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", { kind: "ClusterRoleBinding", metadata: { name: "readers" }, roleRef: { kind: "ClusterRole", name: "reader" },
        subjects: [{ kind: "Group", name: "readers", apiGroup: "rbac.authorization.k8s.io" }, { kind: "ServiceAccount", name: "ci", namespace: "cicd" }] }),
    hpa: subject("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", { kind: "HorizontalPodAutoscaler", metadata: { name: "web", namespace: "apps" }, spec: { minReplicas: 2, maxReplicas: 10 } }),
    netpol: subject("kubernetes:networking.k8s.io/v1:NetworkPolicy", {
        kind: "NetworkPolicy", metadata: { name: "web", namespace: "apps" },
        spec: { podSelector: {}, policyTypes: ["Egress"], egress: [{ to: [{ ipBlock: { cidr: "10.100.0.0/24" } }] }] },
    }),
    pdb: subject("kubernetes:policy/v1:PodDisruptionBudget", { kind: "PodDisruptionBudget", metadata: { name: "web", namespace: "apps" }, spec: { maxUnavailable: 1 } }),
    etcd: subject("kubernetes:apps/v1:StatefulSet", {
        kind: "StatefulSet", metadata: { name: "etcd", namespace: "apps" },
        spec: { template: { spec: { ...podSpec, containers: [{
            ...container, name: "etcd", image: "quay.io/coreos/etcd:v3.6.16", command: ["etcd"],
            args: [...k8s.ETCD_TLS_FLAGS.map((f) => (f.endsWith("auth") ? `${f}=true` : `${f}=/tls/x`)), "--listen-client-urls=https://0.0.0.0:2379", "--listen-peer-urls=https://0.0.0.0:2380"],
        }] } } },
    }),
    eks: subject("aws:eks/cluster:Cluster", {
        vpcConfig: { endpointPrivateAccess: true, endpointPublicAccess: false },
        encryptionConfig: { provider: { keyArn: "arn:aws:kms:us-east-1:1:key/k" }, resources: ["secrets"] },
        enabledClusterLogTypes: ["api", "audit", "authenticator"],
    }, "eks"),
    launchTemplate: subject("aws:ec2/launchTemplate:LaunchTemplate", { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } }, "lt"),
    nodeGroup: subject("aws:eks/nodeGroup:NodeGroup", { launchTemplate: { id: "lt-1", version: "1" } }, "ng"),
    ec2NodeClass: subject("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", {
        apiVersion: "karpenter.k8s.aws/v1", kind: "EC2NodeClass", metadata: { name: "apps" },
        spec: { amiSelectorTerms: [{ alias: "al2023@latest" }], metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 1 } },
    }, "apps"),
    iamPolicy: subject("aws:iam/policy:Policy", {
        policy: JSON.stringify({ Version: "2012-10-17", Statement: [
            { Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: "arn:aws:s3:::bucket/*" },
            { Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" },
        ] }),
    }, "pol"),
    iamRole: subject("aws:iam/role:Role", {
        assumeRolePolicy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
    }, "role"),
    gke: subject("gcp:container/cluster:Cluster", {
        privateClusterConfig: { enablePrivateNodes: true },
        masterAuthorizedNetworksConfig: { cidrBlocks: [{ cidrBlock: "198.51.100.0/24" }], gcpPublicCidrsAccessEnabled: false },
        workloadIdentityConfig: { workloadPool: "p.svc.id.goog" },
        enableShieldedNodes: true, enableLegacyAbac: false, masterAuth: { clientCertificateConfig: { issueClientCertificate: false } },
        datapathProvider: "ADVANCED_DATAPATH", databaseEncryption: { state: "ENCRYPTED", keyName: "k" },
        nodeConfig: { serviceAccount: "nodes@p.iam.gserviceaccount.com" },
    }, "gke"),
    nodePool: subject("gcp:container/nodePool:NodePool", {
        nodeConfig: { serviceAccount: "nodes@p.iam.gserviceaccount.com", shieldedInstanceConfig: { enableSecureBoot: true }, workloadMetadataConfig: { mode: "GKE_METADATA" } },
    }, "pool"),
    aks: subject("azure-native:containerservice:ManagedCluster", {
        enableRBAC: true, aadProfile: { managed: true, enableAzureRBAC: true }, disableLocalAccounts: true,
        apiServerAccessProfile: { enablePrivateCluster: true }, networkProfile: { networkPolicy: "cilium" },
        oidcIssuerProfile: { enabled: true }, securityProfile: { workloadIdentity: { enabled: true } },
    }, "aks"),
};
type Fix = keyof typeof FIX;

/** The fixture with `mutate` applied to its props (and, for a removed API version, another type). */
function variant(f: Fix, mutate: (p: any) => void, type?: string): Subject {
    const s = clone(FIX[f]);
    mutate(s.props);
    return type === undefined ? s : { ...s, type };
}

// [policy, fixture, mutation, exact messages]
const C0 = "spec.template.spec.containers[0]";
const cases: [PaasResourcePolicy, Fix, (p: any) => void, string[], string?][] = [
    [k8s.noPrivilegedContainers, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.privileged = true; }, [`Deployment "apps/web": ${C0}.securityContext.privileged is true; remove it or set it to false`]],
    [k8s.noPrivilegeEscalation, "deployment", (p) => { delete p.spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation; }, [`Deployment "apps/web": ${C0}.securityContext.allowPrivilegeEscalation must be false; set it explicitly`]],
    [k8s.runAsNonRoot, "deployment", (p) => { delete p.spec.template.spec.containers[0].securityContext.runAsNonRoot; delete p.spec.template.spec.securityContext.runAsNonRoot; }, [`Deployment "apps/web": ${C0}.securityContext.runAsNonRoot is not true (nor spec.template.spec.securityContext.runAsNonRoot); set runAsNonRoot: true`]],
    [k8s.runAsNonRoot, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.runAsUser = 0; }, [`Deployment "apps/web": ${C0}.securityContext.runAsUser is 0 (root); use a non-zero UID`]],
    [k8s.readOnlyRootFilesystem, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false; }, [`Deployment "apps/web": ${C0}.securityContext.readOnlyRootFilesystem must be true; mount an emptyDir where the app writes`]],
    [k8s.dropAllCapabilities, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.capabilities = { drop: ["NET_RAW"] }; }, [`Deployment "apps/web": ${C0}.securityContext.capabilities.drop must include "ALL"`]],
    [k8s.dropAllCapabilities, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.capabilities.add = ["SYS_ADMIN", "NET_BIND_SERVICE"]; }, [`Deployment "apps/web": ${C0}.securityContext.capabilities.add has SYS_ADMIN; only NET_BIND_SERVICE may be added`]],
    [k8s.noHostNamespaces, "deployment", (p) => { p.spec.template.spec.hostNetwork = true; p.spec.template.spec.hostPID = true; }, [
        'Deployment "apps/web": spec.template.spec.hostNetwork is true; remove it', 'Deployment "apps/web": spec.template.spec.hostPID is true; remove it']],
    [k8s.noHostNamespaces, "cronjob", (p) => { p.spec.jobTemplate.spec.template.spec.hostIPC = true; }, ['CronJob "apps/nightly": spec.jobTemplate.spec.template.spec.hostIPC is true; remove it']],
    [k8s.noHostPathVolumes, "deployment", (p) => { p.spec.template.spec.volumes.push({ name: "docker", hostPath: { path: "/var/run/docker.sock" } }); }, [
        'Deployment "apps/web": spec.template.spec.volumes[1] ("docker") is a hostPath volume; use an emptyDir, a PVC or a projected volume']],
    [k8s.seccompProfile, "deployment", (p) => { delete p.spec.template.spec.containers[0].securityContext.seccompProfile; }, [
        `Deployment "apps/web": ${C0}.securityContext.seccompProfile.type is unset (nor set at spec.template.spec.securityContext); set RuntimeDefault`]],
    [k8s.seccompProfile, "deployment", (p) => { p.spec.template.spec.containers[0].securityContext.seccompProfile.type = "Unconfined"; }, [
        `Deployment "apps/web": ${C0}.securityContext.seccompProfile.type is Unconfined (nor set at spec.template.spec.securityContext); set RuntimeDefault`]],
    [k8s.resourceRequestsLimits, "deployment", (p) => { p.spec.template.spec.containers[0].resources = { requests: { cpu: "1" } }; }, [
        `Deployment "apps/web": ${C0}.resources lacks requests.memory, limits.memory, limits.cpu; set them so the scheduler and the HPA can work`]],
    [k8s.imagePinned, "deployment", (p) => { p.spec.template.spec.containers[0].image = "nginx:latest"; }, [`Deployment "apps/web": ${C0}.image "nginx:latest" must not use the tag "latest": pin a version tag or a digest (@sha256:…)`]],
    [k8s.imagePinned, "deployment", (p) => { p.spec.template.spec.containers[0].image = "nginx"; }, [`Deployment "apps/web": ${C0}.image "nginx" must be pinned: add a tag other than latest, or better a digest (@sha256:…)`]],
    [k8s.noLiteralCredentials, "deployment", (p) => { p.spec.template.spec.containers[0].env.push({ name: "DB_PASSWORD_PLAIN", value: "hunter2" }); }, [
        `Deployment "apps/web": ${C0}.env[2] ("DB_PASSWORD_PLAIN") has a literal value and its name says it holds a credential; move it to a Secret and use valueFrom.secretKeyRef`]],
    [k8s.noLiteralCredentials, "cronjob", (p) => { p.spec.jobTemplate.spec.template.spec.containers[0].env = [{ name: "UPLOAD_ID", value: "AKIAIOSFODNN7EXAMPLE" }]; }, [
        'CronJob "apps/nightly": spec.jobTemplate.spec.template.spec.containers[0].env[0] ("UPLOAD_ID") has a literal value and its value looks like an AWS access key ID; move it to a Secret and use valueFrom.secretKeyRef']],
    [k8s.noLiteralCredentials, "deployment", (p) => { p.spec.template.spec.containers[0].env[0].value = "-----BEGIN RSA PRIVATE KEY-----\nMIIE"; }, [
        `Deployment "apps/web": ${C0}.env[0] ("LOG_LEVEL") has a literal value and its value looks like a private key; move it to a Secret and use valueFrom.secretKeyRef`]],
    [k8s.networkPolicyEgressInternet, "netpol", (p) => { p.spec.egress[0].to.push({ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }); }, [
        'NetworkPolicy "apps/web": spec.egress[0].to ipBlocks (10.100.0.0/24, 0.0.0.0/0) cover every public address; list the destinations']],
    [k8s.networkPolicyEgressInternet, "netpol", (p) => { p.spec.egress[0].to = [{ ipBlock: { cidr: "0.0.0.0/1" } }, { ipBlock: { cidr: "128.0.0.0/1", except: ["10.0.0.0/8"] } }]; }, [
        'NetworkPolicy "apps/web": spec.egress[0].to ipBlocks (0.0.0.0/1, 128.0.0.0/1) cover every public address; list the destinations']],
    [k8s.probes, "deployment", (p) => { delete p.spec.template.spec.containers[0].readinessProbe; }, ['Deployment "apps/web": spec.template.spec.containers[0] serves a port but has no readinessProbe; add HTTP or TCP probes']],
    [k8s.probes, "deployment", (p) => { const c = p.spec.template.spec.containers[0]; c.livenessProbe = { ...c.readinessProbe }; }, [
        'Deployment "apps/web": spec.template.spec.containers[0] has the same livenessProbe as readinessProbe, so a failing dependency restarts every pod; probe liveness with a cheaper check (the port) and a higher failureThreshold']],
    [k8s.noServiceAccountTokenAutomount, "deployment", (p) => { delete p.spec.template.spec.automountServiceAccountToken; }, [
        'Deployment "apps/web": spec.template.spec.automountServiceAccountToken is not false; set it to false, or allow service account "web" in the policy config']],
    [k8s.serviceType, "service", (p) => { p.spec.type = "LoadBalancer"; }, ['Service "apps/web": spec.type is LoadBalancer; use ClusterIP behind the gateway, or set allowLoadBalancer']],
    [k8s.serviceType, "service", (p) => { p.spec.type = "NodePort"; }, ['Service "apps/web": spec.type is NodePort; use ClusterIP behind the gateway, or set allowNodePort']],
    [k8s.tlsRequired, "gateway", (p) => { delete p.spec.listeners[0].tls; }, ['Gateway "gateway/gw": spec.listeners[0] ("https") has no tls.certificateRefs; reference a certificate Secret']],
    [k8s.tlsRequired, "gateway", (p) => { p.spec.listeners[1].allowedRoutes = { namespaces: { from: "All" } }; }, [
        'Gateway "gateway/gw": spec.listeners[1] ("http") serves plain HTTP to other namespaces; serve HTTPS, or restrict it to a redirect route (allowedRoutes.namespaces.from: Same)']],
    [k8s.tlsRequired, "gateway", (p) => { p.spec.listeners = [p.spec.listeners[1]]; }, ['Gateway "gateway/gw": spec.listeners has no HTTPS listener; add one']],
    [k8s.tlsRequired, "ingress", (p) => { p.spec.tls = []; }, ['Ingress "apps/web": spec.tls is empty; add a TLS section with a certificate Secret']],
    [k8s.rbacNoWildcards, "role", (p) => { p.rules[0].verbs = ["*"]; p.rules[0].apiGroups = ["*"]; }, [
        'ClusterRole "reader": rules[0].verbs contains "*"; list what is needed', 'ClusterRole "reader": rules[0].apiGroups contains "*"; list what is needed']],
    [k8s.noClusterAdminBinding, "binding", (p) => { p.roleRef.name = "cluster-admin"; }, ['ClusterRoleBinding "readers": roleRef.name is cluster-admin; bind a least-privilege role from the access model instead']],
    [k8s.hpaReplicaBounds, "hpa", (p) => { p.spec.minReplicas = 12; }, ['HorizontalPodAutoscaler "apps/web": spec.minReplicas (12) is greater than spec.maxReplicas (10); lower min or raise max']],
    [k8s.hpaReplicaBounds, "hpa", (p) => { p.spec.minReplicas = 1; }, ['HorizontalPodAutoscaler "apps/web": spec.minReplicas is 1; use at least 2 so a single pod failure is not an outage']],
    [k8s.pdbAllowsDisruption, "pdb", (p) => { p.spec = { maxUnavailable: 0 }; }, ['PodDisruptionBudget "apps/web": spec allows no disruption (maxUnavailable 0 or minAvailable 100%); allow at least one pod to be evicted']],
    [k8s.pdbAllowsDisruption, "pdb", (p) => { p.spec = { minAvailable: "100%" }; }, ['PodDisruptionBudget "apps/web": spec allows no disruption (maxUnavailable 0 or minAvailable 100%); allow at least one pod to be evicted']],
    [k8s.etcdTls, "etcd", (p) => {
        const c = p.spec.template.spec.containers[0];
        c.args = c.args.filter((a: string) => !a.startsWith("--peer-client-cert-auth")).map((a: string) => a.replace("https://0.0.0.0:2380", "http://0.0.0.0:2380"));
    }, ['StatefulSet "apps/etcd": spec.template.spec.containers[0] runs etcd but lacks --peer-client-cert-auth and serves plain http on --listen-peer-urls; enable peer and client TLS with client-certificate auth']],
    [hardening.noHostPorts, "deployment", (p) => { p.spec.template.spec.containers[0].ports[0].hostPort = 8080; }, [
        `Deployment "apps/web": ${C0}.ports[0].hostPort is 8080; remove it and reach the pod through a Service`]],
    [hardening.unprivilegedContainerPorts, "deployment", (p) => { p.spec.template.spec.containers[0].ports[0].containerPort = 80; }, [
        `Deployment "apps/web": ${C0}.ports[0].containerPort is 80, below 1024; serve on 1024 or above and map the port in the Service`]],
    [hardening.noSecurityOverrides, "deployment", (p) => {
        const pod = p.spec.template.spec;
        pod.securityContext.sysctls = [{ name: "net.ipv4.tcp_syncookies", value: "1" }, { name: "kernel.msgmax", value: "65536" }];
        pod.securityContext.seLinuxOptions = { type: "spc_t" };
        pod.containers[0].securityContext.procMount = "Unmasked";
        pod.containers[0].securityContext.appArmorProfile = { type: "Unconfined" };
        pod.containers[0].securityContext.seLinuxOptions = { user: "system_u", role: "system_r" };
        p.spec.template.metadata.annotations = { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" };
    }, [
        'Deployment "apps/web": spec.template.spec.securityContext.sysctls[1] sets kernel.msgmax, which is not a safe sysctl; remove it',
        'Deployment "apps/web": spec.template.spec.securityContext.seLinuxOptions.type is spc_t; use one of container_t, container_init_t, container_kvm_t, container_engine_t or leave it unset',
        `Deployment "apps/web": ${C0}.securityContext.procMount is Unmasked; remove it (Default masks the host's /proc paths)`,
        `Deployment "apps/web": ${C0}.securityContext.seLinuxOptions.user is set; remove it`,
        `Deployment "apps/web": ${C0}.securityContext.seLinuxOptions.role is set; remove it`,
        `Deployment "apps/web": ${C0}.securityContext.appArmorProfile.type is Unconfined; use RuntimeDefault or a Localhost profile`,
        'Deployment "apps/web": spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is unconfined; use runtime/default or localhost/<profile>']],
    [hardening.noSecurityOverrides, "cronjob", (p) => { p.spec.jobTemplate.spec.template.metadata = { annotations: { "container.apparmor.security.beta.kubernetes.io/app": "unconfined" } }; }, [
        'CronJob "apps/nightly": spec.jobTemplate.spec.template.metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"] is unconfined; use runtime/default or localhost/<profile>']],
    [hardening.serviceNoExternalIps, "service", (p) => { p.spec.externalIPs = ["203.0.113.7", "203.0.113.8"]; }, [
        'Service "apps/web": spec.externalIPs is 203.0.113.7, 203.0.113.8; remove it and expose the Service through the gateway or a LoadBalancer']],
    [hardening.noRemovedApis, "pdb", (p) => { p.apiVersion = "policy/v1beta1"; }, ['PodDisruptionBudget "apps/web": apiVersion policy/v1beta1 was removed in Kubernetes 1.25; use policy/v1'],
        "kubernetes:policy/v1beta1:PodDisruptionBudget"],
    [hardening.noRemovedApis, "hpa", () => undefined, ['HorizontalPodAutoscaler "apps/web": apiVersion autoscaling/v2beta2 was removed in Kubernetes 1.26; use autoscaling/v2'],
        "kubernetes:autoscaling/v2beta2:HorizontalPodAutoscaler"],
    [hardening.noRemovedApis, "deployment", (p) => { delete p.kind; }, ['Deployment "apps/web": apiVersion extensions/v1beta1 was removed in Kubernetes 1.16; use apps/v1'],
        "kubernetes:extensions/v1beta1:Deployment"],
    [hardening.noRemovedApis, "cronjob", () => undefined, ['CronJob "apps/nightly": apiVersion batch/v1beta1 was removed in Kubernetes 1.25; use batch/v1'], "kubernetes:batch/v1beta1:CronJob"],
    [hardening.noRemovedApis, "ingress", () => undefined, ['Ingress "apps/web": apiVersion networking.k8s.io/v1beta1 was removed in Kubernetes 1.22; use networking.k8s.io/v1'],
        "kubernetes:networking.k8s.io/v1beta1:Ingress"],
    [rbac.rbacNoEscalation, "role", (p) => { p.rules.push({ apiGroups: [""], resources: ["secrets", "configmaps"], verbs: ["get", "list"] }); }, [
        'ClusterRole "reader": rules[1] grants get, list on secrets, so it reads Secrets, among them every service-account token and credential in scope; remove it, or scope it to the resourceNames needed']],
    [rbac.rbacNoEscalation, "role", (p) => { p.rules = [{ apiGroups: ["rbac.authorization.k8s.io"], resources: ["clusterroles"], verbs: ["bind", "escalate"] }, { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["impersonate"] }]; }, [
        'ClusterRole "reader": rules[0] grants bind, escalate on clusterroles, so it can bind or widen roles beyond its own permissions; remove it, or scope it to the resourceNames needed',
        'ClusterRole "reader": rules[1] grants impersonate on serviceaccounts, so it can act as other identities; remove it, or scope it to the resourceNames needed']],
    [rbac.rbacNoEscalation, "role", (p) => {
        p.rules = [
            { apiGroups: ["admissionregistration.k8s.io"], resources: ["validatingwebhookconfigurations"], verbs: ["get", "delete"] },
            { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"] },
            { apiGroups: [""], resources: ["nodes/proxy"], verbs: ["get"] },
        ];
    }, [
        'ClusterRole "reader": rules[0] grants delete on validatingwebhookconfigurations, so it can change admission webhooks, which see or rewrite every request they match; remove it, or scope it to the resourceNames needed',
        'ClusterRole "reader": rules[1] grants update on certificatesigningrequests/approval, so it can approve certificate requests, minting client certificates for any identity; remove it, or scope it to the resourceNames needed',
        'ClusterRole "reader": rules[2] grants get on nodes/proxy, so it reaches the kubelet API through nodes/proxy, which runs commands in every pod of the node; remove it, or scope it to the resourceNames needed']],
    [rbac.rbacPodAccess, "role", (p) => { p.rules.push({ apiGroups: [""], resources: ["pods/exec", "pods/log"], verbs: ["create", "get"] }, { apiGroups: [""], resources: ["pods"], verbs: ["get", "create"] }); }, [
        'ClusterRole "reader": rules[1] grants create, get on pods/exec, so it runs commands in the pods, with their service accounts and mounted secrets; keep it to break-glass roles, and allow "reader" in the policy config if it is one',
        'ClusterRole "reader": rules[2] grants create on pods, so it creates pods, which may run as any service account of the namespace and mount its secrets; keep it to break-glass roles, and allow "reader" in the policy config if it is one']],
    [rbac.rbacPodAccess, "role", (p) => { p.kind = "Role"; p.metadata.namespace = "apps"; p.rules = [{ apiGroups: [""], resources: ["*/attach"], verbs: ["create"] }]; }, [
        'Role "apps/reader": rules[0] grants create on pods/attach, so it attaches to the pods\' processes; keep it to break-glass roles, and allow "apps/reader" in the policy config if it is one']],
    [rbac.rbacNoSystemGroupBinding, "binding", (p) => { p.subjects.push({ kind: "Group", name: "system:authenticated" }, { kind: "User", name: "system:anonymous" }, { kind: "Group", name: "system:masters" }); }, [
        'ClusterRoleBinding "readers": subjects[2] is the group system:authenticated, which is every authenticated identity, service accounts of every namespace included; bind named users, groups or service accounts',
        'ClusterRoleBinding "readers": subjects[3] is the user system:anonymous, which is every anonymous request; bind named users, groups or service accounts',
        'ClusterRoleBinding "readers": subjects[4] is the group system:masters, which bypasses RBAC entirely; bind named users, groups or service accounts']],
    [aws.eksPublicEndpoint, "eks", (p) => { p.vpcConfig = { endpointPrivateAccess: true }; }, ['Cluster "eks": vpcConfig.endpointPublicAccess is on and publicAccessCidrs is unset (0.0.0.0/0); set endpointPublicAccess: false or list your networks']],
    [aws.eksPublicEndpoint, "eks", (p) => { p.vpcConfig = { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/0"] }; }, ['Cluster "eks": vpcConfig.endpointPublicAccess is on and publicAccessCidrs is 0.0.0.0/0; set endpointPublicAccess: false or list your networks']],
    [aws.eksPublicEndpoint, "eks", (p) => { p.vpcConfig = { endpointPublicAccess: true, publicAccessCidrs: ["0.0.0.0/1", "128.0.0.0/1"] }; }, [
        'Cluster "eks": vpcConfig.endpointPublicAccess is on and publicAccessCidrs (0.0.0.0/1, 128.0.0.0/1) together cover every public address, as 0.0.0.0/0 does; set endpointPublicAccess: false or list your networks']],
    [aws.eksSecretsEncryption, "eks", (p) => { delete p.encryptionConfig; }, ['Cluster "eks": encryptionConfig does not encrypt "secrets" with a KMS key; add encryptionConfig { provider.keyArn, resources: ["secrets"] }']],
    [aws.eksAuditLogs, "eks", (p) => { p.enabledClusterLogTypes = ["api"]; }, ['Cluster "eks": enabledClusterLogTypes lacks audit, authenticator; enable them']],
    [aws.eksImdsv2, "launchTemplate", (p) => { p.metadataOptions.httpTokens = "optional"; }, ['LaunchTemplate "lt": metadataOptions.httpTokens is optional; set it to "required"']],
    [aws.eksImdsv2, "launchTemplate", (p) => { p.metadataOptions.httpPutResponseHopLimit = 2; }, ['LaunchTemplate "lt": metadataOptions.httpPutResponseHopLimit is 2; set it to 1']],
    [aws.eksImdsv2, "nodeGroup", (p) => { delete p.launchTemplate; }, ['NodeGroup "ng": launchTemplate is unset, so IMDSv1 stays available; use a launch template with metadataOptions.httpTokens: required']],
    [aws.eksImdsv2, "ec2NodeClass", (p) => { p.spec.metadataOptions.httpTokens = "optional"; }, ['EC2NodeClass "apps": spec.metadataOptions.httpTokens is optional; set it to "required"']],
    [aws.eksImdsv2, "ec2NodeClass", (p) => { p.spec.metadataOptions = { httpPutResponseHopLimit: 2 }; }, ['EC2NodeClass "apps": spec.metadataOptions.httpPutResponseHopLimit is 2; set it to 1']],
    [aws.iamNoWildcardActions, "iamPolicy", (p) => { p.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b" }] }); }, ['Policy "pol": policy Statement[0].Action has s3:*; list the actions needed']],
    [aws.iamNoWildcardActions, "iamPolicy", (p) => { p.policy = JSON.stringify({ Statement: [{ Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject"], Resource: "*" }] }); }, ['Policy "pol": policy Statement[0].Resource is "*" for write actions (s3:PutObject); scope it to ARNs']],
    [aws.iamTrustNoWildcardPrincipal, "iamRole", (p) => { p.assumeRolePolicy = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] }); }, ['Role "role": assumeRolePolicy Statement[0].Principal is "*"; name the account, service or OIDC provider']],
    [gcp.gkePrivateNodes, "gke", (p) => { p.privateClusterConfig.enablePrivateNodes = false; }, ['Cluster "gke": privateClusterConfig.enablePrivateNodes is not true; enable private nodes (egress through Cloud NAT)']],
    [gcp.gkeMasterAuthorizedNetworks, "gke", (p) => { delete p.masterAuthorizedNetworksConfig; }, ['Cluster "gke": masterAuthorizedNetworksConfig is unset, so any address may reach the API; set it (an empty list means the private endpoint only)']],
    [gcp.gkeMasterAuthorizedNetworks, "gke", (p) => { p.masterAuthorizedNetworksConfig = { cidrBlocks: [{ cidrBlock: "0.0.0.0/0" }], gcpPublicCidrsAccessEnabled: true }; }, [
        'Cluster "gke": masterAuthorizedNetworksConfig.cidrBlocks contains 0.0.0.0/0; list your networks', 'Cluster "gke": masterAuthorizedNetworksConfig.gcpPublicCidrsAccessEnabled is true; set it to false']],
    [gcp.gkeMasterAuthorizedNetworks, "gke", (p) => { p.masterAuthorizedNetworksConfig.cidrBlocks = [{ cidrBlock: "0.0.0.0/2" }, { cidrBlock: "64.0.0.0/2" }, { cidrBlock: "128.0.0.0/1" }]; }, [
        'Cluster "gke": masterAuthorizedNetworksConfig.cidrBlocks (0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/1) together cover every public address, as 0.0.0.0/0 does; list your networks']],
    [gcp.gkeWorkloadIdentity, "gke", (p) => { delete p.workloadIdentityConfig; }, ['Cluster "gke": workloadIdentityConfig.workloadPool is unset; set it to <project>.svc.id.goog']],
    [gcp.gkeWorkloadIdentity, "nodePool", (p) => { p.nodeConfig.workloadMetadataConfig.mode = "GCE_METADATA"; }, ['NodePool "pool": nodeConfig.workloadMetadataConfig.mode is not GKE_METADATA; set it']],
    [gcp.gkeShieldedNodes, "gke", (p) => { p.enableShieldedNodes = false; }, ['Cluster "gke": enableShieldedNodes is false; remove it or set true']],
    [gcp.gkeShieldedNodes, "nodePool", (p) => { p.nodeConfig.shieldedInstanceConfig.enableSecureBoot = false; }, ['NodePool "pool": nodeConfig.shieldedInstanceConfig.enableSecureBoot is not true; enable secure boot']],
    [gcp.gkeLegacyAuth, "gke", (p) => { p.enableLegacyAbac = true; p.masterAuth.clientCertificateConfig.issueClientCertificate = true; }, [
        'Cluster "gke": enableLegacyAbac is true; use RBAC', 'Cluster "gke": masterAuth.clientCertificateConfig.issueClientCertificate is true; set it to false']],
    [gcp.gkeNetworkPolicy, "gke", (p) => { delete p.datapathProvider; }, ['Cluster "gke": neither datapathProvider ADVANCED_DATAPATH nor networkPolicy.enabled is set; NetworkPolicies would not be enforced']],
    [gcp.gkeSecretsEncryption, "gke", (p) => { p.databaseEncryption = { state: "DECRYPTED" }; }, ['Cluster "gke": databaseEncryption is not ENCRYPTED with a keyName; set a Cloud KMS key']],
    [gcp.gkeNodeServiceAccount, "nodePool", (p) => { p.nodeConfig.serviceAccount = "123-compute@developer.gserviceaccount.com"; }, [
        'NodePool "pool": nodeConfig.serviceAccount is 123-compute@developer.gserviceaccount.com (the Compute Engine default); use a dedicated least-privilege service account']],
    [gcp.gkeNodeServiceAccount, "gke", (p) => { p.nodeConfig = {}; }, ['Cluster "gke": nodeConfig.serviceAccount is unset (the Compute Engine default); use a dedicated least-privilege service account']],
    [azure.aksAadRbac, "aks", (p) => { p.aadProfile = { managed: true }; }, ['ManagedCluster "aks": aadProfile is not managed Entra ID with enableAzureRBAC; set aadProfile { managed: true, enableAzureRBAC: true }']],
    [azure.aksAadRbac, "aks", (p) => { p.enableRBAC = false; }, ['ManagedCluster "aks": enableRBAC is false; enable Kubernetes RBAC']],
    [azure.aksLocalAccounts, "aks", (p) => { p.disableLocalAccounts = false; }, ['ManagedCluster "aks": disableLocalAccounts is not true; disable local accounts']],
    [azure.aksApiAccess, "aks", (p) => { p.apiServerAccessProfile = {}; }, ['ManagedCluster "aks": apiServerAccessProfile is neither private nor limited to authorizedIPRanges; set one']],
    [azure.aksApiAccess, "aks", (p) => { p.apiServerAccessProfile = { authorizedIPRanges: ["0.0.0.0/0"] }; }, ['ManagedCluster "aks": apiServerAccessProfile.authorizedIPRanges contains 0.0.0.0/0; list your networks']],
    [azure.aksApiAccess, "aks", (p) => { p.apiServerAccessProfile = { authorizedIPRanges: ["0.0.0.0/1", "128.0.0.0/2", "192.0.0.0/2"] }; }, [
        'ManagedCluster "aks": apiServerAccessProfile.authorizedIPRanges (0.0.0.0/1, 128.0.0.0/2, 192.0.0.0/2) together cover every public address, as 0.0.0.0/0 does; list your networks']],
    [azure.aksNetworkPolicy, "aks", (p) => { p.networkProfile = { networkPolicy: "none" }; }, ['ManagedCluster "aks": networkProfile.networkPolicy is none; set cilium (or azure/calico)']],
    [azure.aksWorkloadIdentity, "aks", (p) => { p.oidcIssuerProfile.enabled = false; delete p.securityProfile; }, [
        'ManagedCluster "aks": oidcIssuerProfile.enabled is not true; enable the OIDC issuer', 'ManagedCluster "aks": securityProfile.workloadIdentity.enabled is not true; enable workload identity']],
];

describe("resource policies", () => {
    it("every passing fixture passes every policy", () => {
        for (const p of resourcePolicies) for (const [name, s] of Object.entries(FIX)) expect([p.name, name, runResourcePolicy(p, s)]).toEqual([p.name, name, []]);
    });

    it("every resource policy has at least one failing case, and every policy is named in kebab-case with a description", () => {
        const covered = new Set(cases.map(([p]) => p.name));
        expect(resourcePolicies.map((p) => p.name).filter((n) => !covered.has(n))).toEqual([]);
        for (const p of allPolicies) {
            expect(p.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
            expect(p.description.length).toBeGreaterThan(20);
        }
        expect(new Set(allPolicies.map((p) => p.name)).size).toBe(allPolicies.length);
    });

    it.each(cases.map(([p, f, m, msgs, type], i) => [`${p.name} #${i}`, p, f, m, msgs, type] as const))("%s reports the exact violation", (_, policy, fix, mutate, messages, type) => {
        expect(runResourcePolicy(policy, variant(fix, mutate, type))).toEqual(messages);
    });

    it("honours its config", () => {
        const lb = variant("service", (p) => { p.spec.type = "LoadBalancer"; });
        expect(runResourcePolicy(k8s.serviceType, lb, { allowLoadBalancer: true })).toEqual([]);
        expect(runResourcePolicy(k8s.imagePinned, FIX.deployment, { requireDigest: true })).toEqual([
            `Deployment "apps/web": ${C0}.image "ghcr.io/acme/web:1.2.3" must be pinned by digest (@sha256:…)`]);
        expect(runResourcePolicy(k8s.hpaReplicaBounds, variant("hpa", (p) => { p.spec.minReplicas = 1; }), { minReplicas: 1 })).toEqual([]);
        expect(runResourcePolicy(k8s.noServiceAccountTokenAutomount, variant("deployment", (p) => { delete p.spec.template.spec.automountServiceAccountToken; }), { allowedServiceAccounts: ["web"] })).toEqual([]);
        expect(policyConfig(k8s.dropAllCapabilities)).toEqual({ allowedCapabilities: ["NET_BIND_SERVICE"] });
    });

    it("pins by digest except the listed repositories, and keeps to the allowed registries", () => {
        const withImage = (image: string) => variant("deployment", (p) => { p.spec.template.spec.containers[0].image = image; });
        const digest = "sha256:" + "ab".repeat(32);
        const prod = { requireDigest: true, tagPinnedRepositories: ["quay.io/coreos/etcd"], allowedRegistries: [] };
        expect(runResourcePolicy(k8s.imagePinned, withImage(`ghcr.io/acme/web:1.2.3@${digest}`), prod)).toEqual([]);
        expect(runResourcePolicy(k8s.imagePinned, withImage("quay.io/coreos/etcd:v3.6.16"), prod)).toEqual([]);
        // The exemption is for a pinned tag only, never for latest.
        expect(runResourcePolicy(k8s.imagePinned, withImage("quay.io/coreos/etcd:latest"), prod)).toEqual([
            `Deployment "apps/web": ${C0}.image "quay.io/coreos/etcd:latest" must not use the tag "latest": pin a version tag or a digest (@sha256:…)`]);
        expect(runResourcePolicy(k8s.imagePinned, withImage("quay.io/other/etcd:v3.6.16"), prod)).toEqual([
            `Deployment "apps/web": ${C0}.image "quay.io/other/etcd:v3.6.16" must be pinned by digest (@sha256:…)`]);
        const registries = { requireDigest: false, tagPinnedRepositories: [], allowedRegistries: ["ghcr.io", "quay.io"] };
        expect(runResourcePolicy(k8s.imagePinned, FIX.deployment, registries)).toEqual([]);
        expect(runResourcePolicy(k8s.imagePinned, withImage("nginx:1.27"), registries)).toEqual([
            `Deployment "apps/web": ${C0}.image "nginx:1.27" comes from the registry docker.io, not one of ghcr.io, quay.io; mirror it there`]);
        expect(["nginx", "library/nginx", "localhost/x", "registry:5000/team/app", "gcr.io/p/app"].map(k8s.imageRegistry)).toEqual(["docker.io", "docker.io", "localhost", "registry:5000", "gcr.io"]);
    });

    it("lets allowed roles grant pod access, and a container that adds NET_BIND_SERVICE bind a low port", () => {
        const exec = variant("role", (p) => { p.rules = [{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }]; });
        expect(runResourcePolicy(rbac.rbacPodAccess, exec, { allowedRoles: ["reader"] })).toEqual([]);
        expect(runResourcePolicy(rbac.rbacPodAccess, exec, { allowedRoles: ["apps/reader"] })).toHaveLength(1);
        // Reading one named Secret is not reading them all; listing them all is.
        expect(runResourcePolicy(rbac.rbacNoEscalation, variant("role", (p) => { p.rules = [{ apiGroups: [""], resources: ["secrets"], resourceNames: ["tls"], verbs: ["get"] }]; }))).toEqual([]);
        const port80 = variant("deployment", (p) => {
            const c = p.spec.template.spec.containers[0];
            c.ports[0].containerPort = 80;
            c.securityContext.capabilities.add = ["NET_BIND_SERVICE"];
        });
        expect(runResourcePolicy(hardening.unprivilegedContainerPorts, port80)).toEqual([]);
        expect(runResourcePolicy(hardening.noHostPorts, variant("deployment", (p) => { p.spec.template.spec.containers[0].ports[0].hostPort = 0; }))).toEqual([]);
    });

    it("reads an omitted field as the API defaults it", () => {
        // Safe defaults: no violation for leaving them out.
        expect(runResourcePolicy(k8s.tlsRequired, variant("gateway", (p) => { delete p.spec.listeners[1].allowedRoutes; }))).toEqual([]); // from: Same
        expect(runResourcePolicy(k8s.resourceRequestsLimits, variant("deployment", (p) => { delete p.spec.template.spec.containers[0].resources.requests; }))).toEqual([]); // requests = limits
        expect(runResourcePolicy(k8s.serviceType, variant("service", (p) => { delete p.spec.type; }))).toEqual([]); // ClusterIP
        expect(runResourcePolicy(k8s.noHostNamespaces, variant("deployment", (p) => { delete p.spec.template.spec.hostNetwork; }))).toEqual([]); // false
        expect(runResourcePolicy(hardening.noSecurityOverrides, variant("deployment", (p) => {
            p.spec.template.spec.containers[0].securityContext.procMount = "Default";
            p.spec.template.spec.securityContext.seLinuxOptions = { type: "container_t" };
        }))).toEqual([]);
        // Unsafe defaults: leaving them out is a violation.
        expect(runResourcePolicy(k8s.hpaReplicaBounds, variant("hpa", (p) => { delete p.spec.minReplicas; }))).toEqual([
            'HorizontalPodAutoscaler "apps/web": spec.minReplicas is 1; use at least 2 so a single pod failure is not an outage']);
        expect(runResourcePolicy(k8s.readOnlyRootFilesystem, variant("deployment", (p) => { delete p.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem; }))).toEqual([
            `Deployment "apps/web": ${C0}.securityContext.readOnlyRootFilesystem must be true; mount an emptyDir where the app writes`]);
        expect(runResourcePolicy(k8s.resourceRequestsLimits, variant("deployment", (p) => { p.spec.template.spec.containers[0].resources = { requests: { cpu: "1", memory: "1Gi" } }; }))).toEqual([
            `Deployment "apps/web": ${C0}.resources lacks limits.memory, limits.cpu; set them so the scheduler and the HPA can work`]);
    });

    it("skips resource types it does not read", () => {
        expect(runResourcePolicy(aws.eksAuditLogs, FIX.gke)).toEqual([]);
        expect(runResourcePolicy(k8s.probes, variant("cronjob", () => undefined))).toEqual([]);
    });
});
