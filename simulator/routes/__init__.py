"""The simulator's HTTP routes: the Vendor Work API under /v1, and test controls under /admin."""
