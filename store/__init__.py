"""The state store: engine, sessions, schema migrations, and the writes and reads on it."""
