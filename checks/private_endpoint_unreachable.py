"""private_endpoint_unreachable: kubectl cannot connect to the API endpoint (private, CIDR-restricted, firewalled).

Not an authentication problem: the request never reaches the API server.
"""
from __future__ import annotations

from eksdoctor.check import Check, failed, passed, skipped, warned
from eksdoctor.findings import AFFECTED_USER, CLUSTER_ADMIN, FixStep, Severity
from eksdoctor.model import fixes

from ._client import view

NOT_AUTH = "This is not an authentication problem: kubectl's request never reached the API server."


def run(bundle):
    v = view(bundle)
    if v.probe.kind == "absent":
        return skipped("the API server was not probed", missing=("kubernetes:probe",))
    if v.probe.reached_server:
        return passed(f"the API endpoint is reachable ({v.probe.describe()})")
    if v.probe.kind == "not_sent":
        return passed("kubectl stops before connecting (see the credential findings)")
    net = bundle.local.get("endpoint") or {}
    message = v.probe.message
    if message.startswith("ConfigError"):
        return warned("kubectl cannot use the kubeconfig's cluster entry", f"{message.split(': ', 1)[-1]}\n{NOT_AUTH}",
                      evidence=[v.probe.pointer], severity=Severity.MEDIUM,
                      fix=(FixStep(v.update_kubeconfig(), AFFECTED_USER, "rewrite the cluster entry from DescribeCluster"),))
    if message.startswith("TLSError"):
        return warned("The TLS connection to the API endpoint fails", f"{message}\nA proxy that intercepts TLS, or a "
                      f"certificate-authority that is not the cluster's, gives this. {NOT_AUTH}",
                      evidence=[v.probe.pointer], severity=Severity.MEDIUM)
    vpc = (v.cluster.raw.get("resourcesVpcConfig") if v.cluster else None) or {}
    cidrs = [c for c in vpc.get("publicAccessCidrs") or [] if c]
    lines = [f"kubectl prints: Unable to connect to the server: {message.split(': ', 1)[-1]}"]
    if net.get("addresses"):
        lines.append(f"{net.get('host')} resolves to {', '.join(net['addresses'])}"
                     + (" (private addresses: reachable only from inside the VPC or a connected network)" if net.get("private") else "")
                     + (f"; TCP to port {net.get('port')}: {net.get('tcp')}" if net.get("tcp") else ""))
    lines.append(NOT_AUTH)
    my_ip = FixStep("curl -s https://checkip.amazonaws.com", AFFECTED_USER, "prints this machine's public IP address")
    if vpc.get("endpointPublicAccess") is False:
        lines.insert(0, f"Cluster {v.target.cluster} has only a private endpoint (endpointPublicAccess=false), and this machine is outside its network.")
        fix = (my_ip, FixStep(fixes.endpoint_access(v.target, ("<your-public-ip>/32",)), CLUSTER_ADMIN,
                              "or run kubectl from inside the VPC (bastion, VPN, Cloud9/SSM); this opens the public endpoint to your address only"))
        return failed("The cluster's API endpoint is private and unreachable from here", "\n".join(lines),
                      evidence=[v.probe.pointer, v.cluster.pointer], fix=fix, confidence="certain",
                      facts=[("endpointPublicAccess", "false")])
    if cidrs and cidrs != ["0.0.0.0/0"]:
        lines.insert(0, f"The public endpoint only admits {', '.join(cidrs)}; this machine's address is probably not among them.")
        fix = (my_ip, FixStep(fixes.endpoint_access(v.target, (*cidrs, "<your-public-ip>/32")), CLUSTER_ADMIN,
                              "add your address to publicAccessCidrs (keeps the existing ones)"))
        return failed("The cluster's public endpoint does not admit this address", "\n".join(lines),
                      evidence=[v.probe.pointer, v.cluster.pointer], fix=fix, confidence="likely",
                      facts=[("publicAccessCidrs", ",".join(cidrs))])
    return failed("kubectl cannot connect to the API endpoint", "\n".join(lines) +
                  "\nThe endpoint is public; a firewall, proxy (HTTPS_PROXY) or VPN on this side is the usual cause.",
                  evidence=[v.probe.pointer], confidence="possible",
                  fix=(FixStep(f"curl -sv --max-time 5 {fixes.q(v.sel.server + '/version') if v.sel else ''}", AFFECTED_USER,
                               "shows where the connection stops (DNS, TCP, proxy, TLS)"),))


CHECK = Check(
    id="private_endpoint_unreachable",
    title="The API endpoint cannot be reached (not an authentication problem)",
    severity="high",
    stage="network",
    depends_on=("stale_kubeconfig_recreated_cluster",),
    docs="docs/checks/private_endpoint_unreachable.md",
    summary=("With endpointPublicAccess=false, or publicAccessCidrs that exclude you, kubectl times out "
             "('dial tcp …:443: i/o timeout'). No token is ever checked: it is a network problem."),
    remediation="run kubectl from inside the VPC, or aws eks update-cluster-config --resources-vpc-config publicAccessCidrs=<your ip>/32",
    run=run,
)
