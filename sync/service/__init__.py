"""``trainyard serve``: the scheduler, its jobs, leases, HTTP endpoint, metrics and logs.

``runner.serve`` wires them: it opens the database, builds the jobs from the config
(``scheduler``), starts the HTTP endpoint (``http``: ``/healthz``, ``/metrics``, out_dir's
files) and waits for SIGTERM/SIGINT, then lets the running page finish and stops.
"""
