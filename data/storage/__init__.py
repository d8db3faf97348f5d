"""Storage: SQLAlchemy 2 tables, the session factory, migrations and repositories."""
