"""A simulated vendor: the Vendor Work API with real in-memory state and accelerated time."""
