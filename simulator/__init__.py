"""A simulated vendor: the Vendor Work API with real state, profiles and accelerated time."""

import warnings

# FastAPI attaches the Idempotency-Key header's alias inside `str | None`, which pydantic
# 2.12 reports as having no effect; the alias does work (the tests send the header by it).
warnings.filterwarnings(
    "ignore", message="The 'alias' attribute with value 'Idempotency-Key'", category=UserWarning
)
