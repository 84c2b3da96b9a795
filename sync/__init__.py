"""The composition root: config, the sync engine, the CLI and the scheduler."""
