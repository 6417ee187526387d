"""SQLAlchemy 2 (with psycopg 3) against `braid serve`: what a service does on connect
(version, isolation level, type lookups), Core `create_all`, inserts with RETURNING of a
SERIAL key, a select, and reflection of tables and columns. Run by
server/tests/python_clients.rs with the server's SQLAlchemy URL as argv[1]; any failed
assertion exits non-zero with its traceback.

Also: a foreign key, created by create_all and enforced (IntegrityError); reflection of
primary keys, foreign keys, indexes and unique constraints (SQLAlchemy's catalog queries
use array_agg(… ORDER BY …), unnest() and generate_subscripts() in the SELECT list), each
compared with what PostgreSQL 15 returns for the same schema; a whole-schema
MetaData.reflect; and ORM sessions with a relationship, joinedload and a join."""

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

pk = inspector.get_pk_constraint("users")
assert (pk["name"], pk["constrained_columns"]) == ("users_pkey", ["id"]), pk
[fk] = inspector.get_foreign_keys("posts")
assert fk["name"] == "posts_user_id_fkey", fk
assert (fk["constrained_columns"], fk["referred_table"], fk["referred_columns"]) == (["user_id"], "users", ["id"]), fk
assert fk["options"] == {"ondelete": "CASCADE"}, fk
assert inspector.get_foreign_keys("users") == [], inspector.get_foreign_keys("users")
indexes = [(i["name"], i["unique"], i["column_names"]) for i in inspector.get_indexes("posts")]
assert indexes == [("ix_posts_title", False, ["title"])], indexes
uniques = [(u["name"], u["column_names"]) for u in inspector.get_unique_constraints("users")]
assert uniques == [("users_name_key", ["name"])], uniques
indexes = [(i["name"], i["unique"], i.get("duplicates_constraint")) for i in inspector.get_indexes("users")]
assert indexes == [("users_name_key", True, "users_name_key")], indexes

# The whole schema reflected, as Alembic's autogenerate starts.
reflected = MetaData()
reflected.reflect(engine)
assert sorted(reflected.tables) == ["posts", "users"], reflected.tables
assert [c.name for c in reflected.tables["posts"].primary_key] == ["id"]
[reflected_fk] = reflected.tables["posts"].foreign_keys
assert reflected_fk.target_fullname == "users.id", reflected_fk.target_fullname

# The ORM: a relationship both ways, loaded by a join.
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, joinedload, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    books: Mapped[list["Book"]] = relationship(back_populates="author", order_by="Book.id")


class Book(Base):
    __tablename__ = "books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    author_id: Mapped[int] = mapped_column(ForeignKey("authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


Base.metadata.create_all(engine)
with Session(engine) as session:
    session.add_all([Author(name="le guin", books=[Book(title="the dispossessed"), Book(title="lathe")]), Author(name="banks")])
    session.commit()
with Session(engine) as session:
    authors = session.scalars(select(Author).options(joinedload(Author.books)).order_by(Author.id)).unique().all()
    assert [(a.name, [b.title for b in a.books]) for a in authors] == [
        ("le guin", ["the dispossessed", "lathe"]),
        ("banks", []),
    ], authors
    titles = session.scalars(select(Book.title).join(Book.author).where(Author.name == "le guin").order_by(Book.id)).all()
    assert titles == ["the dispossessed", "lathe"], titles
    book = session.get(Book, 2)
    assert book.author.name == "le guin"

print("sqlalchemy: ok")
