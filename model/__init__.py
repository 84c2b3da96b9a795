"""The ART model: typed SQLAlchemy 2.0 tables, the engine factory, migrations and the pure rules
(team resolution, sprint → iteration, status categories). Imports nothing else of trainyard."""
