"""Vendor adapters: the contract the engine speaks, and one adapter per vendor system.

`contract` and `openapi.json` are the Vendor Work API; `registry` is the seam a plan's
`vendor.api.adapter` picks through. `work_api` is the client of the Work API itself;
`redmine` maps a Redmine project onto the same contract. `http`, `errors`, `auth` and
`redact` are shared by every adapter.
"""
