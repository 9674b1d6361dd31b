"""Where a plan may send the vendor's token: never to a link-local or cloud-metadata address
unless the organisation allows it."""

from __future__ import annotations

import ipaddress

from models.findings import Finding, error

# Cloud providers serve instance credentials at link-local addresses (169.254.169.254,
# fd00:ec2::254) and these names; a plan pointing there would send the vendor token, and
# every vendor call, to the machine's own metadata service.
METADATA_HOSTS = {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
METADATA_NETWORKS = (
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("fd00:ec2::254/128"),
)
ALLOW_SETTING = "TRIALS_ALLOW_LINK_LOCAL_VENDORS"


def link_local_host(host: str) -> bool:
    """Whether the host is a link-local or cloud-metadata address or name (IPv4 or IPv6,
    with or without brackets; an IPv4-mapped IPv6 address counts as its IPv4)."""
    name = host.strip("[]").rstrip(".").lower()
    if name in METADATA_HOSTS:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False  # a name is judged as written: validating a plan asks no DNS server
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in METADATA_NETWORKS)


def vendor_address_findings(host: str | None, *, allowed: bool) -> list[Finding]:
    """An error for a vendor API at a link-local or metadata address, unless allowed."""
    if allowed or host is None or not link_local_host(host):
        return []
    return [
        error(
            ("vendor", "api", "base_url"),
            f"{host} is a link-local or cloud-metadata address: the engine would send the "
            "vendor's token, and every call, to this machine's metadata service",
            "use the vendor's own address; if the vendor really is on a link-local "
            f"network, set {ALLOW_SETTING}=true",
        )
    ]
