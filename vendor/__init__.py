"""The Vendor Work API: its contract, the httpx client, and adapters for other APIs."""
