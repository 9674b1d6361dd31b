"""The monitor's directive steps: which directives await the vendor's answer, and record one."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.contract import Directive
from store.db import read_session, write_session
from store.directives import OpenDirective, open_directives, record_vendor_answer


@task(cache_policy=NO_CACHE)
async def unanswered_directives() -> list[OpenDirective]:
    """The forwarded directives of unfinished trials that the vendor has not answered."""
    with read_session() as session:
        return open_directives(session=session)


@task(cache_policy=NO_CACHE)
async def save_directive_answer(key: str, directive: Directive) -> bool:
    """Record the vendor's answer to the directive with `key`, once; False if it was known."""
    with write_session() as session:
        return record_vendor_answer(session=session, key=key, directive=directive)
