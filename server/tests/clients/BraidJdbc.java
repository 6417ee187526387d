// pgJDBC against `braid serve`: connect, DDL, a PreparedStatement with a parameter of each
// type (run past pgJDBC's prepareThreshold, so it switches to a named server-side
// statement and binary results), NULLs, a ResultSet read back, commit and rollback,
// DatabaseMetaData, and information_schema. Run by server/tests/jdbc.rs as
// `java -cp postgresql.jar BraidJdbc.java URL`; prints "JDBC OK" and exits 0 when every
// check holds, or throws (exit 1) naming the one that did not.

import java.math.BigDecimal;
import java.sql.*;
import java.util.ArrayList;
import java.util.List;

public class BraidJdbc {
    static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError("check failed: " + what);
    }

    static long count(Connection c, String table) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
            check(rs.next(), "count returns a row");
            return rs.getLong(1);
        }
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0])) {
            DatabaseMetaData meta = c.getMetaData();
            System.out.println("connected: " + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion());

            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL, "
                        + "ok BOOLEAN, data BLOB, at TIMESTAMP, qty INTEGER DEFAULT 0)");
                s.execute("CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10");
            }

            // A parameter of each type; 8 rows so pgJDBC passes its prepareThreshold (5).
            Timestamp at = Timestamp.valueOf("2024-05-06 07:08:09.123456");
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO items (id, name, price, ok, data, at, qty) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
                for (int i = 1; i <= 8; i++) {
                    ins.setLong(1, i);
                    ins.setString(2, "item " + i + " \u00e9\u2603");
                    ins.setDouble(3, i * 2.5);
                    ins.setBoolean(4, i % 2 == 0);
                    ins.setBytes(5, new byte[] {(byte) i, 0, (byte) 0xff});
                    ins.setTimestamp(6, at);
                    ins.setInt(7, i * 10);
                    check(ins.executeUpdate() == 1, "insert " + i + " changes one row");
                }
                // NULLs of each kind.
                ins.setLong(1, 9);
                ins.setString(2, "nulls");
                ins.setNull(3, Types.DOUBLE);
                ins.setNull(4, Types.BOOLEAN);
                ins.setNull(5, Types.BINARY);
                ins.setNull(6, Types.TIMESTAMP);
                ins.setNull(7, Types.INTEGER);
                check(ins.executeUpdate() == 1, "insert of NULLs");
            }
            check(count(c, "items") == 9, "nine rows");

            // Read back, the same statement repeated past the threshold.
            try (PreparedStatement q = c.prepareStatement("SELECT id, name, price, ok, data, at, qty FROM items WHERE id = ?")) {
                for (int round = 0; round < 8; round++) {
                    for (int i = 1; i <= 8; i++) {
                        q.setLong(1, i);
                        try (ResultSet rs = q.executeQuery()) {
                            check(rs.next(), "row " + i);
                            check(rs.getLong("id") == i, "id");
                            check(rs.getString("name").equals("item " + i + " \u00e9\u2603"), "name: " + rs.getString("name"));
                            check(rs.getDouble("price") == i * 2.5, "price");
                            check(rs.getBoolean("ok") == (i % 2 == 0), "ok");
                            byte[] data = rs.getBytes("data");
                            check(data.length == 3 && data[0] == (byte) i && data[2] == (byte) 0xff, "data");
                            check(rs.getTimestamp("at").equals(at), "at: " + rs.getTimestamp("at"));
                            check(rs.getInt("qty") == i * 10, "qty");
                            check(!rs.next(), "one row");
                        }
                    }
                }
                q.setLong(1, 9);
                try (ResultSet rs = q.executeQuery()) {
                    check(rs.next(), "the NULL row");
                    rs.getDouble("price");
                    check(rs.wasNull(), "price is NULL");
                    check(rs.getObject("ok") == null && rs.getBytes("data") == null, "NULLs read back");
                    check(rs.getTimestamp("at") == null && rs.getObject("qty") == null, "NULLs read back");
                }
            }

            // Parameters pgJDBC sends with other types than the column's: int4, numeric,
            // float4, and strings compared with numbers.
            try (PreparedStatement q = c.prepareStatement("SELECT count(*) FROM items WHERE qty >= ? AND price < ? AND price > ?")) {
                q.setInt(1, 20);
                q.setBigDecimal(2, new BigDecimal("15.5"));
                q.setFloat(3, 1.0f);
                try (ResultSet rs = q.executeQuery()) {
                    check(rs.next() && rs.getLong(1) == 5, "mixed parameter types");
                }
            }
            ResultSetMetaData rsmd;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, name, price FROM items ORDER BY id")) {
                rsmd = rs.getMetaData();
                check(rsmd.getColumnCount() == 3, "three columns");
                check(rsmd.getColumnName(2).equals("name"), "column name");
                check(rsmd.getColumnType(1) == Types.INTEGER, "id is integer: " + rsmd.getColumnType(1));
                check(rsmd.getColumnType(3) == Types.REAL, "price is real: " + rsmd.getColumnType(3));
                int n = 0;
                while (rs.next()) n++;
                check(n == 9, "nine rows read");
            }

            // Transactions: rollback undoes, commit keeps, an error fails the transaction.
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO items (id, name) VALUES (100, 'rolled back')");
                c.rollback();
                check(count(c, "items") == 9, "rollback undid the insert");
                s.executeUpdate("INSERT INTO items (id, name) VALUES (101, 'committed')");
                c.commit();
                check(count(c, "items") == 10, "commit kept the insert");
                try {
                    s.executeUpdate("INSERT INTO items (id, name) VALUES (101, 'duplicate')");
                    check(false, "a duplicate key fails");
                } catch (SQLException e) {
                    check("23505".equals(e.getSQLState()), "duplicate key is 23505: " + e.getSQLState());
                }
                c.rollback();
            }
            c.setAutoCommit(true);
            check(count(c, "items") == 10, "after the failed transaction");

            // Errors carry their SQLSTATE.
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT * FROM no_such_table");
                check(false, "an unknown table fails");
            } catch (SQLException e) {
                check("42P01".equals(e.getSQLState()), "unknown table is 42P01: " + e.getSQLState());
            }

            // DatabaseMetaData: tables and columns.
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = meta.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rs.next()) tables.add(rs.getString("TABLE_NAME"));
            }
            check(tables.equals(List.of("items")), "getTables: " + tables);
            List<String> views = new ArrayList<>();
            try (ResultSet rs = meta.getTables(null, "public", "%", new String[] {"VIEW"})) {
                while (rs.next()) views.add(rs.getString("TABLE_NAME"));
            }
            check(views.equals(List.of("cheap")), "getTables(VIEW): " + views);
            List<String> columns = new ArrayList<>();
            try (ResultSet rs = meta.getColumns(null, null, "items", "%")) {
                while (rs.next()) columns.add(rs.getString("COLUMN_NAME") + ":" + rs.getString("TYPE_NAME"));
            }
            check(columns.equals(List.of("id:int4", "name:text", "price:float4", "ok:bool", "data:bytea", "at:timestamp", "qty:int4")),
                    "getColumns: " + columns);

            // information_schema, as tools query it.
            List<String> names = new ArrayList<>();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT table_name, table_type FROM information_schema.tables "
                            + "WHERE table_schema = 'public' ORDER BY table_name")) {
                while (rs.next()) names.add(rs.getString(1) + ":" + rs.getString(2));
            }
            check(names.equals(List.of("cheap:VIEW", "items:BASE TABLE")), "information_schema.tables: " + names);
            names.clear();
            try (PreparedStatement q = c.prepareStatement("SELECT column_name, data_type, is_nullable FROM information_schema.columns "
                    + "WHERE table_name = ? ORDER BY ordinal_position")) {
                q.setString(1, "items");
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) names.add(rs.getString(1) + ":" + rs.getString(2) + ":" + rs.getString(3));
                }
            }
            check(names.equals(List.of("id:integer:NO", "name:text:NO", "price:real:YES", "ok:boolean:YES",
                    "data:bytea:YES", "at:timestamp without time zone:YES", "qty:integer:YES")), "information_schema.columns: " + names);
        }
        System.out.println("JDBC OK");
    }
}
