"""PATCH of session state in one statement (PostgreSQL)

``memory_api_json_merge_patch(target json, patch json)``: RFC 7396 on ``json`` (not ``jsonb``,
whose documents lose their key order and cannot hold "\\u0000"), so the database applies a merge
patch in the write itself. Members keep their order and the text stays compact, as when the
service applies the patch: existing members in place, new ones after them in the patch's order.
SQLite has ``json_patch()`` built in: nothing to do there.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MERGE_PATCH = """
CREATE OR REPLACE FUNCTION memory_api_json_merge_patch(target json, patch json)
RETURNS json LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    IF json_typeof(patch) IS DISTINCT FROM 'object' THEN
        RETURN patch;
    END IF;
    IF json_typeof(target) IS DISTINCT FROM 'object' THEN
        target := '{}';
    END IF;
    RETURN CAST('{' || COALESCE((
        SELECT string_agg(
            to_json(COALESCE(t.key, p.key)) || ':' || CASE
                WHEN p.key IS NULL THEN CAST(t.value AS text)
                WHEN json_typeof(p.value) <> 'object' THEN CAST(p.value AS text)
                ELSE CAST(memory_api_json_merge_patch(t.value, p.value) AS text)
            END,
            ',' ORDER BY t.position NULLS LAST, p.position
        )
        FROM json_each(target) WITH ORDINALITY AS t(key, value, position)
        FULL JOIN json_each(patch) WITH ORDINALITY AS p(key, value, position) ON p.key = t.key
        WHERE p.key IS NULL OR json_typeof(p.value) <> 'null'
    ), '') || '}' AS json);
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(MERGE_PATCH)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS memory_api_json_merge_patch(json, json)")
