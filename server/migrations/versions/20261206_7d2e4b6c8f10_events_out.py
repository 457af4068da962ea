"""events out: the outbox, consumer cursors, subscriptions, deliveries and alerts

Revision ID: 7d2e4b6c8f10
Revises: 5b1c0e7a9d42
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '7d2e4b6c8f10'
down_revision = '5b1c0e7a9d42'
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _enum(name, values):
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        'outbox_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=True),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('type', sa.String(length=40), nullable=False),
        sa.Column('occurred_at', UTC, nullable=False),
        sa.Column('station_code', sa.String(length=12), nullable=True),
        sa.Column('area_path', sa.String(length=120), nullable=False),
        sa.Column('object_type', sa.String(length=20), nullable=False),
        sa.Column('object_id', sa.String(length=255), nullable=False),
        sa.Column('object_version', sa.Integer(), nullable=False),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_event')),
        sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_event_id')),
        sa.UniqueConstraint('seq', name=op.f('uq_outbox_event_seq')),
    )
    op.create_index('ix_outbox_event_object', 'outbox_event', ['object_type', 'object_id', 'object_version'])
    op.create_index('ix_outbox_event_unsequenced', 'outbox_event', ['seq', 'id'])
    op.create_table(
        'outbox_cursor',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('updated_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_outbox_cursor')),
    )
    op.execute("INSERT INTO outbox_cursor (name, position, updated_at) VALUES "
               "('sequencer', 0, CURRENT_TIMESTAMP), ('alerts', 0, CURRENT_TIMESTAMP), "
               "('deliveries', 0, CURRENT_TIMESTAMP)")
    op.create_table(
        'subscription',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', _enum('targetkind', ('webhook', 'wecom', 'dingtalk', 'feishu')), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('area_code', sa.String(length=12), nullable=False),
        sa.Column('area_path', sa.String(length=120), nullable=False),
        sa.Column('url', sa.String(length=1000), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=True),
        sa.Column('topics', sa.JSON(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('paused_reason', sa.Text(), nullable=True),
        sa.Column('paused_at', UTC, nullable=True),
        sa.Column('consecutive_failures', sa.Integer(), nullable=False),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_subscription_owner_id_user_account'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['area_code'], ['area.code'], name=op.f('fk_subscription_area_code_area')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    )
    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subscription_id', sa.Integer(), nullable=False),
        sa.Column('event_seq', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.String(length=36), nullable=False),
        sa.Column('event_type', sa.String(length=40), nullable=False),
        sa.Column('object_key', sa.String(length=280), nullable=False),
        sa.Column('status', _enum('deliverystatus', ('pending', 'delivered', 'failed')), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', UTC, nullable=False),
        sa.Column('leased_until', UTC, nullable=True),
        sa.Column('last_attempt_at', UTC, nullable=True),
        sa.Column('response_code', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('delivered_at', UTC, nullable=True),
        sa.Column('created_at', UTC, nullable=False),
        sa.ForeignKeyConstraint(['subscription_id'], ['subscription.id'],
                                name=op.f('fk_delivery_subscription_id_subscription'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
        sa.UniqueConstraint('subscription_id', 'event_id', name='uq_delivery_subscription_event'),
    )
    op.create_index('ix_delivery_due', 'delivery', ['status', 'next_attempt_at'])
    op.create_index('ix_delivery_order', 'delivery', ['subscription_id', 'object_key', 'event_seq'])
    op.create_index('ix_delivery_log', 'delivery', ['subscription_id', 'id'])
    op.create_table(
        'alert',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=30), nullable=False),
        sa.Column('station_code', sa.String(length=12), nullable=False),
        sa.Column('area_path', sa.String(length=120), nullable=False),
        sa.Column('object_type', sa.String(length=20), nullable=True),
        sa.Column('object_id', sa.String(length=255), nullable=True),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('facts', sa.JSON(), nullable=False),
        sa.Column('source_event_id', sa.String(length=36), nullable=True),
        sa.Column('dedupe_key', sa.String(length=300), nullable=False),
        sa.Column('raised_at', UTC, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_alert_dedupe_key')),
    )
    op.create_index('ix_alert_path_raised', 'alert', ['area_path', 'raised_at', 'id'])


def downgrade():
    op.drop_table('alert')
    op.drop_table('delivery')
    op.drop_table('subscription')
    op.drop_table('outbox_cursor')
    op.drop_table('outbox_event')
