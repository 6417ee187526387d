// node-postgres (npm `pg`) against `braid serve`: an application's workflow through Client
// and Pool, checking that every column type arrives as the JavaScript type node-postgres
// gives for PostgreSQL's (int4 a number, int8 and numeric strings, timestamptz a Date, jsonb
// an object, bytea a Buffer), that errors carry PostgreSQL's SQLSTATE in `err.code` and leave
// the connection usable, and that transactions commit and roll back. Run by
// server/tests/node_client.rs as `node node_client.js HOST PORT`; any failed assertion exits
// non-zero with its stack.

'use strict';

const assert = require('node:assert/strict');
const { Client, Pool } = require('pg');

const [host, port] = process.argv.slice(2);
assert.ok(host && port, 'usage: node node_client.js HOST PORT');
const config = { host, port: Number(port), user: 'braid', database: 'braid' };

// PostgreSQL's type OIDs, as node-postgres sees them in `result.fields[i].dataTypeID`.
const OID = {
  int4: 23, int8: 20, numeric: 1700, float8: 701, bool: 16, text: 25, varchar: 1043,
  timestamptz: 1184, date: 1082, jsonb: 3802, bytea: 17, uuid: 2950,
};

const INSERT_ITEM = `INSERT INTO items
  (qty, big, price, ratio, active, name, code, created, due, meta, blob, ref)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`;

// Runs `sql` and returns the error it must raise, checking its SQLSTATE.
async function expectError(client, code, sql, values) {
  const err = await client.query(sql, values).then(
    () => assert.fail(`expected SQLSTATE ${code} from: ${sql}`),
    (e) => e,
  );
  assert.equal(err.code, code, `${sql}: ${err.message}`);
  return err;
}

// After an error outside a transaction the connection takes the next statement.
async function assertUsable(client) {
  const { rows } = await client.query('SELECT 1 AS one');
  assert.deepEqual(rows, [{ one: 1 }]);
}

async function createAndInsert(client) {
  await client.query(`CREATE TABLE items (
    id SERIAL PRIMARY KEY,
    qty integer NOT NULL,
    big bigint,
    price numeric(12,2),
    ratio double precision,
    active boolean,
    name text UNIQUE,
    code varchar(20),
    created timestamptz,
    due date,
    meta jsonb,
    blob bytea,
    ref uuid
  )`);

  // A plain parameterised query: Date, object and Buffer parameters as node-postgres sends them.
  const first = await client.query(INSERT_ITEM, [
    7, '9007199254740993', 12.5, 0.1 + 0.2, true, 'widget ✓ "quoted"', 'W-1',
    new Date('2024-02-29T13:45:30.123Z'), '2024-02-29', { tags: ['a', 'b'], n: 1.5, ok: true },
    Buffer.from([0, 1, 254, 255]), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
  ]);
  assert.equal(first.command, 'INSERT');
  assert.equal(first.rowCount, 1);
  assert.deepEqual(first.rows, [{ id: 1 }]);

  // A named prepared statement: parsed once, then bound and executed again by name.
  const prepared = { name: 'insert_item', text: INSERT_ITEM };
  const second = await client.query({
    ...prepared,
    values: [-3, '-42', '0.5', -1.25, false, 'gadget', 'G-2', '2024-03-01 09:00:00+02', '2000-01-01',
      // node-postgres sends a JS array as a PostgreSQL array literal; JSON arrays go as text.
      JSON.stringify([1, 'two', null]), Buffer.alloc(0), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12'],
  });
  assert.deepEqual(second.rows, [{ id: 2 }]);
  const third = await client.query({
    ...prepared,
    values: [0, null, null, null, null, 'empty', null, null, null, null, null, null],
  });
  assert.deepEqual(third.rows, [{ id: 3 }]);
}

async function checkTypes(client) {
  const result = await client.query('SELECT * FROM items ORDER BY id');
  const oids = Object.fromEntries(result.fields.map((f) => [f.name, f.dataTypeID]));
  assert.deepEqual(oids, {
    id: OID.int4, qty: OID.int4, big: OID.int8, price: OID.numeric, ratio: OID.float8,
    active: OID.bool, name: OID.text, code: OID.varchar, created: OID.timestamptz, due: OID.date,
    meta: OID.jsonb, blob: OID.bytea, ref: OID.uuid,
  });
  assert.equal(result.rows.length, 3);
  const [a, b, c] = result.rows;

  assert.equal(a.id, 1);
  assert.equal(a.qty, 7); // int4 → number
  assert.equal(a.big, '9007199254740993'); // int8 → string, exact past 2^53
  assert.equal(a.price, '12.50'); // numeric → string, with the column's scale
  assert.equal(a.ratio, 0.30000000000000004); // float8 → number, round-trip exact
  assert.equal(a.active, true);
  assert.equal(a.name, 'widget ✓ "quoted"');
  assert.equal(a.code, 'W-1');
  assert.ok(a.created instanceof Date, `timestamptz gave ${typeof a.created}`);
  assert.equal(a.created.toISOString(), '2024-02-29T13:45:30.123Z'); // the same instant
  assert.ok(a.due instanceof Date, `date gave ${typeof a.due}`);
  assert.deepEqual([a.due.getFullYear(), a.due.getMonth(), a.due.getDate()], [2024, 1, 29]);
  assert.deepEqual(a.meta, { tags: ['a', 'b'], n: 1.5, ok: true }); // jsonb → object
  assert.ok(Buffer.isBuffer(a.blob), `bytea gave ${typeof a.blob}`);
  assert.deepEqual([...a.blob], [0, 1, 254, 255]);
  assert.equal(a.ref, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'); // uuid → string

  assert.equal(b.qty, -3);
  assert.equal(b.big, '-42');
  assert.equal(b.price, '0.50');
  assert.equal(b.ratio, -1.25);
  assert.equal(b.active, false);
  assert.equal(b.created.toISOString(), '2024-03-01T07:00:00.000Z');
  assert.deepEqual([b.due.getFullYear(), b.due.getMonth(), b.due.getDate()], [2000, 0, 1]);
  assert.deepEqual(b.meta, [1, 'two', null]);
  assert.equal(b.blob.length, 0);
  assert.equal(b.ref, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12'); // uuids print in lower case

  // NULL is null for every type.
  for (const column of ['big', 'price', 'ratio', 'active', 'code', 'created', 'due', 'meta', 'blob', 'ref']) {
    assert.equal(c[column], null, `${column} of a NULL`);
  }

  // Aggregates: count(*) is bigint (a string), sum(numeric) numeric, sum(int4) bigint.
  const agg = await client.query(
    'SELECT count(*), count(price) AS priced, sum(price) AS total, sum(qty) AS qty FROM items WHERE id <= $1', [3]);
  assert.deepEqual(agg.rows, [{ count: '3', priced: '2', total: '13.00', qty: '4' }]);
  assert.deepEqual(agg.fields.map((f) => f.dataTypeID), [OID.int8, OID.int8, OID.numeric, OID.int8]);

  // Parameters compared against typed columns.
  const found = await client.query(
    'SELECT name FROM items WHERE big = $1 AND price = $2 AND ref = $3 AND created = $4 AND meta @> $5',
    ['9007199254740993', '12.5', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', new Date('2024-02-29T13:45:30.123Z'),
      { tags: ['b'] }]);
  assert.deepEqual(found.rows, [{ name: 'widget ✓ "quoted"' }]);

  const updated = await client.query('UPDATE items SET price = price * 2 WHERE price IS NOT NULL');
  assert.equal(updated.command, 'UPDATE');
  assert.equal(updated.rowCount, 2);
  const prices = await client.query('SELECT price FROM items WHERE price IS NOT NULL ORDER BY id');
  assert.deepEqual(prices.rows.map((r) => r.price), ['25.00', '1.00']);
}

async function checkTransactions(client, other) {
  await client.query('BEGIN');
  await client.query('INSERT INTO items (qty, name) VALUES ($1, $2)', [1, 'rolled back']);
  const inside = await client.query('SELECT count(*) FROM items WHERE name = $1', ['rolled back']);
  assert.equal(inside.rows[0].count, '1');
  await client.query('ROLLBACK');
  const after = await client.query('SELECT count(*) FROM items WHERE name = $1', ['rolled back']);
  assert.equal(after.rows[0].count, '0');

  await client.query('BEGIN');
  await client.query('INSERT INTO items (qty, name) VALUES ($1, $2)', [2, 'committed']);
  const unseen = await other.query('SELECT count(*) FROM items WHERE name = $1', ['committed']);
  assert.equal(unseen.rows[0].count, '0'); // not visible before COMMIT
  await client.query('COMMIT');
  const seen = await other.query('SELECT qty FROM items WHERE name = $1', ['committed']);
  assert.deepEqual(seen.rows, [{ qty: 2 }]);

  // An error aborts the transaction: statements are refused until ROLLBACK.
  await client.query('BEGIN');
  await expectError(client, '23505', 'INSERT INTO items (qty, name) VALUES ($1, $2)', [3, 'committed']);
  await expectError(client, '25P02', 'SELECT 1');
  await client.query('ROLLBACK');
  await assertUsable(client);
}

async function checkErrors(client) {
  const dup = await expectError(client, '23505', 'INSERT INTO items (qty, name) VALUES ($1, $2)', [1, 'gadget']);
  assert.ok(dup.message.includes('duplicate key'), dup.message);
  await assertUsable(client);
  await expectError(client, '42P01', 'SELECT * FROM no_such_table');
  await assertUsable(client);
  await expectError(client, '22P02', 'INSERT INTO items (qty, name) VALUES ($1, $2)', ['not a number', 'bad']);
  await assertUsable(client);
  await expectError(client, '22P02', "SELECT 'abc'::integer");
  await assertUsable(client);
  await expectError(client, '22012', 'SELECT qty / $1 FROM items', [0]);
  await assertUsable(client);
  await expectError(client, '22012', 'SELECT 1 / 0');
  await assertUsable(client);
  // The named statement survives the errors and still runs.
  const again = await client.query({
    name: 'insert_item', text: INSERT_ITEM,
    values: [9, null, '1.005', null, null, 'after errors', null, null, null, null, null, null],
  });
  assert.equal(typeof again.rows[0].id, 'number');
  const price = await client.query('SELECT price FROM items WHERE id = $1', [again.rows[0].id]);
  assert.deepEqual(price.rows, [{ price: '1.01' }]); // rounded half away from zero to scale 2
}

async function checkPool() {
  const pool = new Pool({ ...config, max: 4 });
  try {
    await pool.query('CREATE TABLE hits (n integer NOT NULL, at timestamptz)');
    const writes = Array.from({ length: 20 }, (_, n) =>
      pool.query('INSERT INTO hits (n, at) VALUES ($1, now()) RETURNING n', [n]));
    const inserted = await Promise.all(writes);
    assert.deepEqual(inserted.map((r) => r.rows[0].n), Array.from({ length: 20 }, (_, n) => n));
    const reads = Array.from({ length: 12 }, (_, n) =>
      pool.query('SELECT $1::int4 * 2 AS doubled, count(*) AS rows, sum(n) AS total FROM hits', [n]));
    for (const [n, result] of (await Promise.all(reads)).entries()) {
      assert.deepEqual(result.rows, [{ doubled: 2 * n, rows: '20', total: '190' }]);
    }
    // A transaction on one checked-out client while the pool serves others.
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('DELETE FROM hits WHERE n >= $1', [10]);
      const outside = await pool.query('SELECT count(*) FROM hits');
      assert.equal(outside.rows[0].count, '20');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    const left = await pool.query('SELECT count(*) FROM hits');
    assert.equal(left.rows[0].count, '10');
  } finally {
    await pool.end();
  }
}

async function main() {
  const client = new Client(config);
  const other = new Client(config);
  await client.connect();
  await other.connect();
  try {
    await createAndInsert(client);
    await checkTypes(client);
    await checkTransactions(client, other);
    await checkErrors(client);
  } finally {
    await client.end();
    await other.end();
  }
  await checkPool();
  console.log('node-postgres: ok');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
