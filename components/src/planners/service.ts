/** Semantic checks of Service args, shared by the config parser and the component. Pure. */
import type { ServiceArgs } from "../service";
import { Problems, formatCidr, parseCidr } from "../validation";
import type { AutoscalingArgs } from "./autoscaling";
import { CPU_QUANTITY, DNS_1035, MEMORY_QUANTITY, imageProblem, quantityValue } from "./workload";

export function checkAutoscaling(a: AutoscalingArgs | undefined, path: string, problems: Problems): void {
    const up = a?.scaleUpAbove ?? 80;
    const down = a?.scaleDownBelow ?? 30;
    const min = a?.minReplicas ?? 2;
    const max = a?.maxReplicas ?? 10;
    if (!Number.isInteger(up) || up < 2 || up > 100) problems.add(`${path}.scaleUpAbove`, up, "must be an integer percent from 2 to 100");
    if (!Number.isInteger(down) || down < 1 || down >= up) problems.add(`${path}.scaleDownBelow`, down, `must be an integer percent with 0 < scaleDownBelow < scaleUpAbove (${up})`);
    if (!Number.isInteger(min) || min < 1) problems.add(`${path}.minReplicas`, min, "must be an integer >= 1");
    if (!Number.isInteger(max) || max < min || max > 1000) problems.add(`${path}.maxReplicas`, max, `must be an integer from minReplicas (${min}) to 1000`);
    const windows: [keyof AutoscalingArgs, number][] = [
        ["scaleDownStabilizationSeconds", a?.scaleDownStabilizationSeconds ?? 300],
        ["scaleUpStabilizationSeconds", a?.scaleUpStabilizationSeconds ?? 0],
    ];
    for (const [k, v] of windows)
        if (!Number.isInteger(v) || v < 0 || v > 3600) problems.add(`${path}.${k}`, v, "must be an integer number of seconds from 0 to 3600");
    const pct = a?.scaleDownPercentPerMinute ?? 10;
    if (!Number.isInteger(pct) || pct < 1 || pct > 100) problems.add(`${path}.scaleDownPercentPerMinute`, pct, "must be an integer percent from 1 to 100");
}

export function checkService(name: string, args: ServiceArgs, path: string, problems = new Problems()): Problems {
    if (!DNS_1035.test(name)) problems.add(`${path}.name`, name, "must be a DNS-1035 label: lowercase letters, digits and '-', starting with a letter, at most 63");
    const image = imageProblem(args.image);
    if (image) problems.add(`${path}.image`, args.image, image);
    if (args.port !== undefined && (!Number.isInteger(args.port) || args.port < 1024 || args.port > 65535))
        problems.add(`${path}.port`, args.port, "must be an integer from 1024 to 65535 (non-root containers cannot bind below 1024)");
    const cpu = args.cpu ?? "250m";
    const cpuLimit = args.cpuLimit ?? "1";
    const memory = args.memory ?? "256Mi";
    const memoryLimit = args.memoryLimit ?? memory;
    if (!CPU_QUANTITY.test(cpu)) problems.add(`${path}.cpu`, cpu, 'must be a CPU quantity such as "250m" or "1"');
    if (!CPU_QUANTITY.test(cpuLimit)) problems.add(`${path}.cpuLimit`, cpuLimit, 'must be a CPU quantity such as "500m" or "2"');
    else if (CPU_QUANTITY.test(cpu) && quantityValue(cpuLimit) < quantityValue(cpu)) problems.add(`${path}.cpuLimit`, cpuLimit, `must be >= cpu (${cpu})`);
    if (!MEMORY_QUANTITY.test(memory)) problems.add(`${path}.memory`, memory, 'must be a memory quantity such as "256Mi" or "1Gi"');
    if (!MEMORY_QUANTITY.test(memoryLimit)) problems.add(`${path}.memoryLimit`, memoryLimit, 'must be a memory quantity such as "512Mi"');
    else if (MEMORY_QUANTITY.test(memory) && quantityValue(memoryLimit) < quantityValue(memory)) problems.add(`${path}.memoryLimit`, memoryLimit, `must be >= memory (${memory})`);
    const uid = args.runAsUser ?? 65532;
    if (!Number.isInteger(uid) || uid < 1 || uid > 2147483647) problems.add(`${path}.runAsUser`, uid, "must be a non-root UID from 1 to 2147483647");
    if (args.healthPath !== undefined && !args.healthPath.startsWith("/")) problems.add(`${path}.healthPath`, args.healthPath, 'must start with "/"');
    checkAutoscaling(args.autoscaling, `${path}.autoscaling`, problems);
    (args.calls ?? []).forEach((c, i) => {
        if (!DNS_1035.test(c.service)) problems.add(`${path}.calls[${i}].service`, c.service, "must be a service name");
        if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65535) problems.add(`${path}.calls[${i}].port`, c.port, "must be a port from 1 to 65535");
    });
    (args.egress ?? []).forEach((e, i) => {
        const c = parseCidr(e.cidr);
        if (!c || formatCidr(c) !== e.cidr) problems.add(`${path}.egress[${i}].cidr`, e.cidr, "must be an IPv4 CIDR block with no host bits set");
        else if (c.prefix === 0) problems.add(`${path}.egress[${i}].cidr`, e.cidr, "must not be 0.0.0.0/0: list the destinations");
        if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) problems.add(`${path}.egress[${i}].port`, e.port, "must be a port from 1 to 65535");
    });
    return problems;
}
