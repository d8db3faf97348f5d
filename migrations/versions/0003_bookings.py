"""Bookings (promises made on the phone, their work orders and code secrets) and branches' service radius.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 01:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``bookings``; add ``branches.service_radius_km`` (NULL: the default radius)."""
    op.create_table(
        "bookings",
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("work_order", sa.String(length=32), nullable=False),
        sa.Column("branch_id", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("slot_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("slot_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("engineer_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
        sa.UniqueConstraint("work_order"),
    )
    op.create_index("ix_bookings_branch_id", "bookings", ["branch_id"])
    with op.batch_alter_table("branches") as batch:
        batch.add_column(sa.Column("service_radius_km", sa.Float(), nullable=True))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table("branches") as batch:
        batch.drop_column("service_radius_km")
    op.drop_index("ix_bookings_branch_id", table_name="bookings")
    op.drop_table("bookings")
