"""SQLAlchemy 2 (with psycopg 3) against `braid serve`: what a service does on connect
(version, isolation level, type lookups), Core `create_all`, inserts with RETURNING of a
SERIAL key, a select, and reflection of tables and columns. Run by
server/tests/python_clients.rs with the server's SQLAlchemy URL as argv[1]; any failed
assertion exits non-zero with its traceback.

Also: a foreign key, created by create_all and enforced (IntegrityError).

Not yet here (the "PostgreSQL for real" issue): reflection of primary keys, foreign keys,
indexes and unique constraints (SQLAlchemy's queries for them call unnest() and
generate_subscripts() in the SELECT list)."""

import sys

from sqlalchemy import Column, Float, ForeignKey, Integer, MetaData, String, Table, create_engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

engine = create_engine(sys.argv[1])

with engine.connect() as conn:
    version = conn.execute(text("select version()")).scalar()
    assert version.startswith("PostgreSQL 15."), version
    assert engine.dialect.server_version_info[0] == 15, engine.dialect.server_version_info

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("score", Float),
)
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE")),
    Column("title", String(100), index=True),
)
metadata.create_all(engine)
# A second create_all finds the tables through the catalogs and creates nothing.
metadata.create_all(engine)

with engine.begin() as conn:
    ids = conn.execute(users.insert().returning(users.c.id), [{"name": "ada", "score": 1.5}, {"name": "bob", "score": None}]).all()
    assert [i for (i,) in ids] == [1, 2], ids
    conn.execute(posts.insert(), [{"user_id": 1, "title": "hello"}, {"user_id": 2, "title": "again"}])
    rows = conn.execute(
        select(users.c.name, posts.c.title).join(posts, posts.c.user_id == users.c.id).order_by(users.c.id)
    ).all()
    assert [tuple(r) for r in rows] == [("ada", "hello"), ("bob", "again")], rows

try:
    with engine.begin() as conn:
        conn.execute(posts.insert(), [{"user_id": 99, "title": "nobody's"}])
    raise AssertionError("a post of no user was accepted")
except IntegrityError:
    pass
with engine.begin() as conn:
    conn.execute(users.delete().where(users.c.name == "bob"))
    titles = conn.execute(select(posts.c.title).order_by(posts.c.id)).scalars().all()
    assert titles == ["hello"], titles

inspector = inspect(engine)
assert sorted(inspector.get_table_names()) == ["posts", "users"], inspector.get_table_names()
columns = [(c["name"], c["nullable"]) for c in inspector.get_columns("users")]
assert columns == [("id", False), ("name", False), ("score", True)], columns
assert inspector.has_table("users") and not inspector.has_table("nobody")

print("sqlalchemy: ok")
