"""Notifications the Prefect way: the blocks Prefect's automations send with, and the
automations `trials deploy` creates from the settings and the plans' `notify:` sections."""
