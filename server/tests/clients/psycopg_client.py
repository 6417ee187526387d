"""psycopg 3 against `braid serve`: connect, parameters, executemany, commit / rollback,
a server error. Run by server/tests/python_clients.rs with the server's DSN as argv[1];
any failed assertion exits non-zero with its traceback."""

import sys
from decimal import Decimal

import psycopg
from psycopg import errors

dsn = sys.argv[1]

with psycopg.connect(dsn) as conn:  # not autocommit: psycopg sends BEGIN itself
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, score REAL, active BOOLEAN)")
        cur.execute("INSERT INTO people VALUES (%s, %s, %s, %s)", (1, "ada", 1.5, True))
        assert cur.rowcount == 1, cur.rowcount
        cur.executemany(
            "INSERT INTO people VALUES (%s, %s, %s, %s)",
            [(i, f"name-{i}", i / 4, i % 2 == 0) for i in range(2, 102)],
        )
    conn.commit()

    with conn.cursor() as cur:
        cur.execute("SELECT name, score, active FROM people WHERE id = %s", (1,))
        assert cur.fetchone() == ("ada", 1.5, True)
        cur.execute("SELECT count(*), sum(id) FROM people WHERE score >= %s", (10.0,))
        count, total = cur.fetchone()
        assert (count, total) == (62, sum(range(40, 102))), (count, total)
        assert [d.name for d in cur.description] == ["count", "sum"] or len(cur.description) == 2
    conn.commit()

    # Rollback undoes the transaction.
    with conn.cursor() as cur:
        cur.execute("DELETE FROM people WHERE id > %s", (50,))
        assert cur.rowcount == 51, cur.rowcount
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM people")
        assert cur.fetchone() == (101,)
    conn.commit()

    # A server error: its SQLSTATE becomes psycopg's exception class, and the failed
    # transaction refuses statements until it is rolled back.
    with conn.cursor() as cur:
        try:
            cur.execute("INSERT INTO people VALUES (%s, %s, %s, %s)", (1, "dup", 0.0, False))
            raise AssertionError("a duplicate key was accepted")
        except errors.UniqueViolation:
            pass
        try:
            cur.execute("SELECT 1")
            raise AssertionError("a failed transaction accepted a statement")
        except errors.InFailedSqlTransaction:
            pass
    conn.rollback()
    with conn.cursor() as cur:
        try:
            cur.execute("SELECT nope FROM people")
            raise AssertionError("an unknown column was accepted")
        except errors.UndefinedColumn:
            pass
    conn.rollback()

# Autocommit and NULLs.
with psycopg.connect(dsn, autocommit=True) as conn:
    conn.execute("INSERT INTO people VALUES (%s, %s, %s, %s)", (500, "nobody", None, None))
    row = conn.execute("SELECT score, active FROM people WHERE id = %s", (500,)).fetchone()
    assert row == (None, None), row

# NUMERIC: Decimal in and out, exactly, as text and as binary.
with psycopg.connect(dsn, autocommit=True) as conn:
    conn.execute("CREATE TABLE money (id INTEGER PRIMARY KEY, amount NUMERIC(12,2))")
    conn.execute("INSERT INTO money VALUES (%s, %s), (%s, %s)", (1, Decimal("0.10"), 2, Decimal("0.20")))
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        row = cur.execute("SELECT sum(amount), avg(amount), 0.1 + 0.2 FROM money WHERE amount > %s", (Decimal("0.05"),)).fetchone()
        assert row == (Decimal("0.30"), Decimal("0.15000000000000000000"), Decimal("0.3")), (binary, row)
        assert str(row[0]) == "0.30", row
    try:
        conn.execute("INSERT INTO money VALUES (%s, %s)", (3, Decimal("12345678901.5")))
        raise AssertionError("a value past numeric(12,2) was accepted")
    except errors.NumericValueOutOfRange:
        pass

print("psycopg: ok")
