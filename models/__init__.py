"""The domain: the plan schema, the tables and the pure rules. No I/O, no Prefect."""
