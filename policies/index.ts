/** The CrossGuard pack: only assembles the policies (see src/). */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./src/all";

new PolicyPack("paas", { policies: allPolicies });
