"""A vendor API at a link-local or cloud-metadata address is refused unless allowed."""

from __future__ import annotations

import pytest

from models.checks import PlanPolicy
from models.vendor_address import link_local_host
from planfile import load_plan
from tests.conftest import line_of


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "169.254.0.1",
        "[fe80::1]",
        "fe80::abcd",
        "[fd00:ec2::254]",
        "[::ffff:169.254.169.254]",
        "metadata.google.internal",
        "METADATA.GOOGLE.INTERNAL.",
        "metadata",
    ],
)
def test_link_local_and_metadata_hosts_are_recognised(host: str) -> None:
    assert link_local_host(host)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.0.0.5", "192.168.1.10", "[::1]", "vendor.example.com", "169.255.0.1"]
)
def test_other_hosts_are_not(host: str) -> None:
    assert not link_local_host(host)


@pytest.mark.parametrize("url", ["http://169.254.169.254", "http://[fe80::1]:8080/v1"])
def test_a_plan_pointing_at_the_metadata_service_is_refused_unless_allowed(
    url: str, write_plan
) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("http://127.0.0.1:8765", url))
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [(f.field, f.line) for f in errors] == [
        ("vendor.api.base_url", line_of(path, "base_url"))
    ]
    assert "TRIALS_ALLOW_LINK_LOCAL_VENDORS=true" in errors[0].fix
    assert load_plan(path, PlanPolicy(allow_link_local_vendors=True)).ok
