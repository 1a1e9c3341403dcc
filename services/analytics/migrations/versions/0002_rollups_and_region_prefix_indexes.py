"""rollups of the current facts, region-prefix indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 08:40:00

Dashboards read rollup tables (sums of the current facts per period × region × industry × node type × park)
instead of aggregating the facts at query time; the rollups are filled here from the facts already received
and maintained by the consumer from then on. Pattern-ops indexes serve the region-prefix filters
(``LIKE '33%'``) of the queries that still read the facts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = (
    'period_code', 'period_kind', 'period_year', 'period_start', 'period_end',
    'region_code', 'province_code', 'city_code', 'county_code',
    'industry_code', 'industry_section', 'industry_division', 'industry_group', 'industry_class',
)
KEY = ('period_code', 'region_code', 'industry_code', 'node_type', 'park')


def key_columns() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column('rollup_id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column('period_code', sa.String(length=7), nullable=False),
        sa.Column('period_kind', sa.String(length=8), nullable=False),
        sa.Column('period_year', sa.Integer(), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('region_code', sa.String(length=6), nullable=False),
        sa.Column('province_code', sa.String(length=6), nullable=False),
        sa.Column('city_code', sa.String(length=6), nullable=True),
        sa.Column('county_code', sa.String(length=6), nullable=True),
        sa.Column('industry_code', sa.String(length=4), nullable=False),
        sa.Column('industry_section', sa.String(length=1), nullable=True),
        sa.Column('industry_division', sa.String(length=2), nullable=True),
        sa.Column('industry_group', sa.String(length=3), nullable=True),
        sa.Column('industry_class', sa.String(length=4), nullable=True),
        sa.Column('node_type', sa.String(length=16), nullable=False),
        sa.Column('park', sa.String(length=200), nullable=True),
    ]


def rollup_indexes(name: str, *extra: str) -> None:
    op.create_index(f'ux_{name}_key', name, [*KEY, *extra], unique=True, postgresql_nulls_not_distinct=True)


def backfill(name: str, facts: str, join: str, extra: dict[str, str], measures: dict[str, str]) -> None:
    columns = [*DIMENSIONS, 'node_type', 'park', *extra, *measures]
    selected = [
        *(f'f.{c}' for c in DIMENSIONS),
        "COALESCE(e.node_type, 'unknown')",
        'e.park',
        *extra.values(),
        *(f'SUM({m})' for m in measures.values()),
    ]
    groups = ', '.join(str(i) for i in range(1, len(DIMENSIONS) + 3 + len(extra)))
    op.execute(
        f"INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(selected)} FROM {facts} f {join} "
        f"LEFT JOIN enterprises e ON e.enterprise_id = f.enterprise_id WHERE f.is_current GROUP BY {groups}"
    )


def upgrade() -> None:
    op.create_table('calculation_rollups',
    *key_columns(),
    sa.Column('facts', sa.Integer(), nullable=False),
    sa.Column('total_emissions_tco2', sa.Numeric(), nullable=False),
    sa.Column('net_emissions_tco2', sa.Numeric(), nullable=False),
    sa.Column('energy_tce', sa.Numeric(), nullable=False),
    sa.Column('valued_facts', sa.Integer(), nullable=False),
    sa.Column('valued_emissions_tco2', sa.Numeric(), nullable=False),
    sa.Column('added_value_10k_cny', sa.Numeric(), nullable=False),
    sa.PrimaryKeyConstraint('rollup_id', name=op.f('pk_calculation_rollups')),
    )
    rollup_indexes('calculation_rollups')
    op.create_table('carrier_rollups',
    *key_columns(),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('facts', sa.Integer(), nullable=False),
    sa.Column('emissions_tco2', sa.Numeric(), nullable=False),
    sa.Column('energy_tce', sa.Numeric(), nullable=False),
    sa.PrimaryKeyConstraint('rollup_id', name=op.f('pk_carrier_rollups')),
    )
    rollup_indexes('carrier_rollups', 'carrier')
    op.create_table('evaluation_rollups',
    *key_columns(),
    sa.Column('grade', sa.SmallInteger(), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('facts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('rollup_id', name=op.f('pk_evaluation_rollups')),
    )
    rollup_indexes('evaluation_rollups', 'grade', 'level')
    op.create_table('certificate_rollups',
    *key_columns(),
    sa.Column('facts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('rollup_id', name=op.f('pk_certificate_rollups')),
    )
    rollup_indexes('certificate_rollups')
    op.create_index(
        'ix_calculations_current_period_region_prefix', 'calculations',
        ['period_code', sa.text('region_code varchar_pattern_ops')], unique=False, postgresql_where=sa.text('is_current'),
    )
    op.create_index(
        'ix_evaluations_current_period_region_prefix', 'evaluations',
        ['period_code', sa.text('region_code varchar_pattern_ops')], unique=False, postgresql_where=sa.text('is_current'),
    )
    valued = 'f.added_value_10k_cny > 0'
    backfill('calculation_rollups', 'calculations', '', {}, {
        'facts': '1',
        'total_emissions_tco2': 'f.total_emissions_tco2',
        'net_emissions_tco2': 'f.net_emissions_tco2',
        'energy_tce': 'f.energy_tce',
        'valued_facts': f'CASE WHEN {valued} THEN 1 ELSE 0 END',
        'valued_emissions_tco2': f'CASE WHEN {valued} THEN f.total_emissions_tco2 ELSE 0 END',
        'added_value_10k_cny': f'CASE WHEN {valued} THEN f.added_value_10k_cny ELSE 0 END',
    })
    backfill('carrier_rollups', 'calculations', 'JOIN calculation_carriers c ON c.calculation_id = f.calculation_id',
             {'carrier': 'c.carrier'}, {'facts': '1', 'emissions_tco2': 'c.emissions_tco2', 'energy_tce': 'c.energy_tce'})
    backfill('evaluation_rollups', 'evaluations', '', {'grade': 'f.grade', 'level': 'f.level'}, {'facts': '1'})
    backfill('certificate_rollups', 'certificates', '', {}, {'facts': '1'})


def downgrade() -> None:
    op.drop_index('ix_evaluations_current_period_region_prefix', table_name='evaluations')
    op.drop_index('ix_calculations_current_period_region_prefix', table_name='calculations')
    for name in ('certificate_rollups', 'evaluation_rollups', 'carrier_rollups', 'calculation_rollups'):
        op.drop_table(name)
