"""default source mapping for the platform's energy-activity template (88.118.1/META.ENERGY_ACTIVITY 1.0)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27

The rows are written out here (not imported from the package) so that this migration keeps meaning what
it meant when it was written. Government users change the mapping afterwards through metadata management.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMESPACE = uuid.UUID("5b0c7f1e-2d1a-5c3e-9f7a-88c0a2b1d002")
_NOTE = "默认映射 / default mapping (migration 0002)"

# industry, item code, source code (None: not an emission source), unit, aggregation, weight item
ROWS = [
    ("*", "electricityPurchased", "electricity.purchased", "MWh", "sum", None),
    ("*", "electricityExported", "electricity.exported", "MWh", "sum", None),
    ("*", "rawCoal", "fuel.bituminous_coal", "t", "sum", None),
    ("*", "anthracite", "fuel.anthracite", "t", "sum", None),
    ("*", "coke", "fuel.coke", "t", "sum", None),
    ("*", "naturalGas", "fuel.natural_gas", "10^4 Nm3", "sum", None),
    ("*", "diesel", "fuel.diesel", "t", "sum", None),
    ("*", "gasoline", "fuel.gasoline", "t", "sum", None),
    ("*", "fuelOil", "fuel.fuel_oil", "t", "sum", None),
    ("*", "lpg", "fuel.lpg", "t", "sum", None),
    ("*", "purchasedHeat", "heat.purchased", "GJ", "sum", None),
    ("*", "purchasedSteam", "steam.purchased", "t", "sum", None),
    ("*", "steamEnthalpy", "steam.enthalpy", "kJ/kg", "weighted_mean", "purchasedSteam"),
    ("*", "limestoneProcess", "process.caco3", "t", "sum", None),
    ("*", "pvGeneration", "electricity.own_renewable", "MWh", "sum", None),
    ("*", "electricityGenerated", None, "MWh", "sum", None),
    ("*", "industrialAddedValue", None, "10^4 CNY", "sum", None),
]


def upgrade() -> None:
    table = sa.table(
        "source_mappings",
        sa.column("id", sa.UUID()),
        sa.column("industry_code", sa.String()),
        sa.column("item_code", sa.String()),
        sa.column("source_code", sa.String()),
        sa.column("unit", sa.String()),
        sa.column("aggregation", sa.String()),
        sa.column("weight_item", sa.String()),
        sa.column("note", sa.String()),
        sa.column("updated_by", sa.String()),
    )
    op.bulk_insert(
        table,
        [
            {
                "id": uuid.uuid5(_NAMESPACE, f"{industry}/{item}"),
                "industry_code": industry,
                "item_code": item,
                "source_code": source,
                "unit": unit,
                "aggregation": aggregation,
                "weight_item": weight,
                "note": _NOTE,
                "updated_by": "migration",
            }
            for industry, item, source, unit, aggregation, weight in ROWS
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM source_mappings WHERE updated_by = 'migration'"))
