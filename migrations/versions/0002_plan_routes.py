"""Routes of stored plans in their own table, so that a route is read without its whole plan.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 22:37:07.565543
"""

from __future__ import annotations

import json
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``plan_routes`` and fill it from the plans already stored."""
    routes = op.create_table(
        "plan_routes",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("route", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"]),
        sa.PrimaryKeyConstraint("plan_id", "engineer_id", "date"),
    )
    plans = sa.table("plans", sa.column("id", sa.Integer()), sa.column("document", sa.JSON()))
    rows = []
    for plan_id, document in op.get_bind().execute(sa.select(plans.c.id, plans.c.document)):
        doc = json.loads(document) if isinstance(document, str) else document
        rows += [
            {
                "plan_id": plan_id,
                "engineer_id": r["engineer_id"],
                "date": date.fromisoformat(r["date"]),
                "route": r,
            }
            for r in doc.get("routes", [])
        ]
    if rows:
        op.bulk_insert(routes, rows)


def downgrade() -> None:
    """Drop ``plan_routes`` (the plans keep every route in their document)."""
    op.drop_table("plan_routes")
