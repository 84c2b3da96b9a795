"""``python -m sync.sandbox.jira``: serve a fake Jira on 127.0.0.1 (the benchmarks run it so)."""

from sync.sandbox.jira.fake import main

main()
