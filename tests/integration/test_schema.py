"""The migrations build exactly the schema the models declare, on both databases: a column added to a model
without its migration (or the other way round) fails here, not on a deployment's first write."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from server.extensions import db


def test_the_migrations_build_exactly_the_models(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == []
