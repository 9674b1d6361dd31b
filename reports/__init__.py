"""Reports people read: the burn chart, and the trial report in HTML and Markdown."""
