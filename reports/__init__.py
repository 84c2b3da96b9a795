"""Reports: each one a query returning plain dataclasses, then JSON/CSV/Markdown/HTML renderers."""
