//! Binding DDL: CREATE / DROP of tables, indexes, views and triggers, ALTER TABLE.
//!
//! Views live in the engine's key space as their SQL text under `Meta("view/NAME")`: a view
//! is bound again at each use, so it follows later changes to its tables.

use braid_engine::keys::Key;
use braid_engine::{ColumnDef, TableDef, Txn};
use sqlparser::ast;

use super::expr::column_type_of;
use super::{Binder, ident, object_name};
use crate::error::{Error, Result};
use crate::names;
use crate::plan::{AlterOp, ColumnChange, Expr, Statement};

/// The key of a view's definition.
pub(crate) fn view_key(name: &str) -> Vec<u8> {
    Key::Meta(&format!("view/{name}")).encode()
}

/// A view's SQL, if a view of that name exists.
pub(crate) fn load_view(txn: &Txn, name: &str) -> Result<Option<String>> {
    let Some(bytes) = txn.kv_ref().get(&view_key(name))? else { return Ok(None) };
    String::from_utf8(bytes.to_vec())
        .map(Some)
        .map_err(|_| Error::Storage(braid_engine::Error::corrupt("view definition")))
}

/// Every view's name and SQL, in name order.
pub fn views(txn: &Txn) -> Result<Vec<(String, String)>> {
    use braid_engine::keys::{KeyPrefix, decode_meta_key};
    let mut out = vec![];
    for entry in txn.kv_ref().scan_prefix(&KeyPrefix::MetaStartingWith("view/").encode())? {
        let (key, value) = entry?;
        let name = decode_meta_key(&key)?;
        let sql = String::from_utf8(value.to_vec())
            .map_err(|_| Error::Storage(braid_engine::Error::corrupt("view definition")))?;
        out.push((name["view/".len()..].to_string(), sql));
    }
    Ok(out)
}

impl Binder<'_> {
    pub(super) fn create_table(&mut self, create: &ast::CreateTable) -> Result<Statement> {
        if create.query.is_some() {
            return Err(Error::unsupported("CREATE TABLE … AS SELECT"));
        }
        let name = self.new_relation(&create.name)?;
        let mut columns = vec![];
        let mut primary_key: Vec<String> = vec![];
        let mut checks = vec![];
        let mut unique = vec![];
        // SERIAL and identity columns: the column, what it is (for messages), and an
        // identity's sequence options.
        let mut serial: Vec<(String, &str, &[ast::SequenceOptions])> = vec![];
        // Foreign keys: referencing columns and the constraint, made once the table's own
        // keys are known (a table may reference itself).
        let mut references: Vec<(Vec<String>, &ast::ForeignKeyConstraint)> = vec![];
        for c in &create.columns {
            let column_name = ident(&c.name);
            if is_serial(&c.data_type) {
                serial.push((column_name.clone(), "SERIAL", &[]));
            }
            let (storage, declared) = column_type_of(&c.data_type)?;
            let mut column = ColumnDef::new(column_name.clone(), storage).declared(declared);
            for option in &c.options {
                match &option.option {
                    ast::ColumnOption::NotNull => column = column.not_null(),
                    ast::ColumnOption::Null => {}
                    ast::ColumnOption::Default(e) => column = column.default_sql(default_text(e)),
                    ast::ColumnOption::PrimaryKey(_) => {
                        if !primary_key.is_empty() {
                            return Err(Error::invalid(format!("table {name} has more than one primary key")));
                        }
                        primary_key.push(column_name.clone());
                    }
                    ast::ColumnOption::Unique(_) => column = column.unique(),
                    ast::ColumnOption::Check(check) => checks.push(check.expr.to_string()),
                    ast::ColumnOption::ForeignKey(fk) => references.push((vec![column_name.clone()], fk)),
                    ast::ColumnOption::Generated { generated_as, generation_expr: None, sequence_options, .. } => {
                        column.identity = Some(match generated_as {
                            ast::GeneratedAs::Always => braid_engine::Identity::Always,
                            _ => braid_engine::Identity::ByDefault,
                        });
                        column = column.not_null();
                        let options = sequence_options.as_deref().unwrap_or_default();
                        serial.push((column_name.clone(), "an identity column", options));
                    }
                    ast::ColumnOption::Collation(_) | ast::ColumnOption::Comment(_) => {}
                    other => return Err(Error::unsupported(format!("column option {other}"))),
                }
            }
            if columns.iter().any(|c: &ColumnDef| c.name == column.name) {
                return Err(Error::invalid(format!("duplicate column name: {}", column.name)));
            }
            columns.push(column);
        }
        let names = |cols: &[ast::IndexColumn]| -> Result<Vec<String>> { cols.iter().map(index_column).collect() };
        for constraint in &create.constraints {
            match constraint {
                ast::TableConstraint::PrimaryKey(pk) => {
                    if !primary_key.is_empty() {
                        return Err(Error::invalid(format!("table {name} has more than one primary key")));
                    }
                    primary_key = names(&pk.columns)?;
                }
                ast::TableConstraint::Unique(u) => unique.push(names(&u.columns)?),
                ast::TableConstraint::Check(c) => checks.push(c.expr.to_string()),
                ast::TableConstraint::ForeignKey(fk) => references.push((fk.columns.iter().map(ident).collect(), fk)),
                other => return Err(Error::unsupported(format!("table constraint {other}"))),
            }
        }
        let mut def = TableDef::new(name, columns);
        if !primary_key.is_empty() {
            let keys: Vec<&str> = primary_key.iter().map(String::as_str).collect();
            def = def.primary_key(&keys).map_err(|_| Error::not_found("column", primary_key.join(", ")))?;
        }
        // SERIAL and identity columns are integers filled from a sequence
        // `{table}_{column}_seq` OWNED BY them, `nextval` of it their DEFAULT: what
        // PostgreSQL makes of SERIAL. Also the rowid alias (`id serial PRIMARY KEY`), which
        // could number itself: applications and dumps reach the sequence by name
        // (`setval`, `currval`, `pg_get_serial_sequence`), and psql shows the default.
        let mut sequences = vec![];
        for (column, kind, options) in &serial {
            let position = def.columns.iter().position(|c| c.name == *column).expect("a column of the table");
            let col = &def.columns[position];
            if col.data_type != braid_engine::DataType::Integer {
                return Err(Error::invalid(format!("{kind} {column} must be smallint, integer or bigint")));
            }
            if col.default.is_some() {
                return Err(Error::invalid(format!("{kind} {column} cannot have a DEFAULT")));
            }
            let sequence = super::sequence::for_column(&def.name, col, options)?;
            let column = &mut def.columns[position];
            column.default = Some(super::sequence::nextval_default(&sequence.name));
            column.nullable = false;
            sequences.push(sequence);
        }
        for check in checks {
            def = def.check_sql(check);
        }
        // Single-column UNIQUE constraints are column flags; only wider ones need an index.
        let mut single = vec![];
        unique.retain(|cols| {
            if cols.len() == 1 {
                single.push(cols[0].clone());
                false
            } else {
                true
            }
        });
        for name in single {
            let column =
                def.columns.iter_mut().find(|c| c.name == name).ok_or_else(|| Error::not_found("column", &name))?;
            column.unique = true;
        }
        let mut keys: Vec<Vec<String>> = unique.clone();
        keys.push(primary_key.clone());
        keys.extend(def.columns.iter().filter(|c| c.unique).map(|c| vec![c.name.clone()]));
        for (columns, fk) in references {
            let fk = self.foreign_key(&def, columns, fk, Some(&keys))?;
            def.foreign_keys.push(fk);
        }
        let if_not_exists = create.if_not_exists;
        let create = Statement::CreateTable { def, if_not_exists, unique };
        if sequences.is_empty() {
            return Ok(create);
        }
        let mut steps = vec![create];
        steps.extend(sequences.into_iter().map(|def| Statement::CreateSequence { def, if_not_exists }));
        Ok(Statement::Several(steps))
    }

    pub(super) fn create_index(&mut self, create: &ast::CreateIndex) -> Result<Statement> {
        if let Some(using) = &create.using
            && !using.to_string().eq_ignore_ascii_case("btree")
        {
            return Err(Error::unsupported(format!("index strategy {using}")));
        }
        let table = self.find_relation(&create.table_name)?;
        // `((n + 1))` is the expression `n + 1`, not a nested one.
        fn unnest(mut e: &ast::Expr) -> &ast::Expr {
            while let ast::Expr::Nested(inner) = e {
                e = inner;
            }
            e
        }
        let parts: Vec<&ast::Expr> = create.columns.iter().map(|c| unnest(&c.column.expr)).collect();
        let plain: Option<Vec<String>> =
            parts.iter().map(|e| if let ast::Expr::Identifier(i) = e { Some(ident(i)) } else { None }).collect();
        let (columns, expressions) = match plain {
            Some(columns) => (columns, vec![]),
            // An expression index: every part is kept as SQL, a plain column as its name.
            None => (parts.iter().map(|e| index_part_name(e)).collect(), parts.iter().map(|e| e.to_string()).collect()),
        };
        let predicate = create.predicate.as_ref().map(|p| unnest(p).to_string());
        if !expressions.is_empty() || predicate.is_some() {
            let def = self.txn.table(&table).map_err(|_| Error::not_found("table", &table))?;
            index_definition(self.txn, &def, &expressions, predicate.as_deref())?;
        }
        // An index lives in its table's schema.
        let name = create.name.as_ref().map(|n| object_name(n).map(|n| names::sibling(&table, &n))).transpose()?;
        Ok(Statement::CreateIndex {
            table,
            name,
            columns,
            expressions,
            predicate,
            unique: create.unique,
            if_not_exists: create.if_not_exists,
        })
    }

    pub(super) fn create_view(&mut self, create: &ast::CreateView) -> Result<Statement> {
        let name = self.new_relation(&create.name)?;
        // Bind once now, so a view over missing tables or columns is refused at CREATE; as
        // at each use, its names are looked up from its own schema.
        let path = std::mem::replace(&mut self.path, crate::names::SearchPath::of_view(&name));
        let bound = self.query(&create.query);
        self.path = path;
        bound?;
        let sql = if create.columns.is_empty() {
            create.query.to_string()
        } else {
            let cols: Vec<String> = create.columns.iter().map(|c| c.name.to_string()).collect();
            let alias = crate::functions::quote_ident(names::bare(&name));
            format!("SELECT * FROM ({}) AS {alias}({})", create.query, cols.join(", "))
        };
        Ok(Statement::CreateView { name, sql, if_not_exists: create.if_not_exists })
    }

    pub(super) fn drop(
        &mut self,
        kind: ast::ObjectType,
        if_exists: bool,
        names: &[ast::ObjectName],
        cascade: bool,
    ) -> Result<Statement> {
        if kind == ast::ObjectType::Table {
            let dropped: Vec<String> = names.iter().map(|n| self.find_relation(n)).collect::<Result<_>>()?;
            // Foreign keys of other tables that reference a dropped one: CASCADE drops the
            // keys (not the tables), as PostgreSQL does; without it the DROP fails.
            let mut steps = vec![];
            for child in self.txn.tables()?.iter().filter(|t| !dropped.contains(&t.name)) {
                for fk in child.foreign_keys.iter().filter(|f| dropped.contains(&f.parent)) {
                    if !cascade {
                        return Err(Error::DependentObjects(format!(
                            "cannot drop table {} because other objects depend on it\nDETAIL:  constraint {} on table {} depends on table {}\nHINT:  Use DROP ... CASCADE to drop the dependent objects too.",
                            fk.parent, fk.name, child.name, fk.parent
                        )));
                    }
                    let op = AlterOp::DropConstraint { name: fk.name.clone(), if_exists: false };
                    steps.push(Statement::AlterTable { table: child.name.clone(), op });
                }
            }
            if !steps.is_empty() {
                steps.extend(dropped.into_iter().map(|name| Statement::DropTable { name, if_exists }));
                return Ok(Statement::Several(steps));
            }
        }
        let one = |name: &ast::ObjectName| -> Result<Statement> {
            let name = self.find_relation(name)?;
            Ok(match kind {
                ast::ObjectType::Table => Statement::DropTable { name, if_exists },
                ast::ObjectType::Index => Statement::DropIndex { name, if_exists },
                ast::ObjectType::View => Statement::DropView { name, if_exists },
                ast::ObjectType::Sequence => Statement::DropSequence { name, if_exists, cascade },
                other => return Err(Error::unsupported(format!("DROP {other}"))),
            })
        };
        match names {
            [name] => one(name),
            names => Ok(Statement::Several(names.iter().map(one).collect::<Result<_>>()?)),
        }
    }

    pub(super) fn alter_table(&mut self, alter: &ast::AlterTable) -> Result<Statement> {
        let table = self.find_relation(&alter.name)?;
        match alter.operations.as_slice() {
            [] => Err(Error::invalid("ALTER TABLE needs an action")),
            [operation] => self.alter_action(&table, operation),
            // Several actions run one after the other, all or none; each is bound against
            // the table as it stands before the statement.
            operations => {
                Ok(Statement::Several(operations.iter().map(|o| self.alter_action(&table, o)).collect::<Result<_>>()?))
            }
        }
    }

    fn alter_action(&mut self, table: &str, operation: &ast::AlterTableOperation) -> Result<Statement> {
        let table = table.to_string();
        if let ast::AlterTableOperation::OwnerTo { new_owner } = operation {
            let role = match new_owner {
                ast::Owner::Ident(name) => Some(ident(name)),
                _ => None,
            };
            return Ok(Statement::OwnerTo { relation: table, role });
        }
        let op = match operation {
            ast::AlterTableOperation::AddColumn { column_def, .. } => {
                let (storage, declared) = column_type_of(&column_def.data_type)?;
                let mut column = ColumnDef::new(ident(&column_def.name), storage).declared(declared);
                for option in &column_def.options {
                    match &option.option {
                        ast::ColumnOption::NotNull => column = column.not_null(),
                        ast::ColumnOption::Default(e) => column = column.default_sql(default_text(e)),
                        ast::ColumnOption::Null => {}
                        other => return Err(Error::unsupported(format!("ADD COLUMN with {other}"))),
                    }
                }
                let default = match &column.default {
                    Some(sql) => {
                        let e = crate::parse::expression(sql)?;
                        self.push_scope(super::scope::Scope::default());
                        let bound = self.expr(&e);
                        self.pop_scope();
                        bound?
                    }
                    None => crate::plan::Expr::Literal(braid_engine::Value::Null),
                };
                if !column.nullable && column.default.is_none() {
                    return Err(Error::invalid("cannot add a NOT NULL column without a DEFAULT"));
                }
                AlterOp::AddColumn(column, default)
            }
            ast::AlterTableOperation::DropColumn { column_names, .. } => match column_names.as_slice() {
                [c] => AlterOp::DropColumn(ident(c)),
                _ => return Err(Error::unsupported("dropping several columns at once")),
            },
            ast::AlterTableOperation::RenameColumn { old_column_name, new_column_name } => {
                AlterOp::RenameColumn { from: ident(old_column_name), to: ident(new_column_name) }
            }
            ast::AlterTableOperation::RenameTable { table_name } => {
                let new = match table_name {
                    // A table stays in its schema.
                    ast::RenameTableNameKind::To(n) | ast::RenameTableNameKind::As(n) => {
                        let new = object_name(n)?;
                        names::check_bare(&new)?;
                        names::sibling(&table, &new)
                    }
                };
                AlterOp::RenameTable(new)
            }
            ast::AlterTableOperation::AddConstraint { constraint, .. } => self.add_constraint(&table, constraint)?,
            ast::AlterTableOperation::DropConstraint { name, if_exists, .. } => {
                AlterOp::DropConstraint { name: ident(name), if_exists: *if_exists }
            }
            ast::AlterTableOperation::AlterColumn { column_name, op } => {
                let column = ident(column_name);
                let def = self.txn.table(&table).map_err(|_| Error::not_found("table", &table))?;
                let at =
                    def.column_index(&column).map_err(|_| Error::not_found("column", format!("{table}.{column}")))?;
                let change = match op {
                    ast::AlterColumnOperation::SetNotNull => ColumnChange::SetNotNull,
                    ast::AlterColumnOperation::DropNotNull => {
                        if def.primary_key.contains(&(at as u32)) || def.rowid_alias == Some(at as u32) {
                            return Err(Error::InvalidDefinition(format!("column \"{column}\" is in a primary key")));
                        }
                        ColumnChange::DropNotNull
                    }
                    ast::AlterColumnOperation::SetDefault { value } => ColumnChange::SetDefault(default_text(value)),
                    ast::AlterColumnOperation::DropDefault => ColumnChange::DropDefault,
                    ast::AlterColumnOperation::SetDataType { data_type, using, .. } => {
                        let (storage, declared) = column_type_of(data_type)?;
                        self.push_scope(Self::table_scope(&def, &table));
                        let using = match using {
                            Some(e) => self.expr(e),
                            None => Ok(crate::plan::Expr::Cast(
                                Box::new(crate::plan::Expr::column(at, column.as_str())),
                                storage,
                            )),
                        };
                        self.pop_scope();
                        ColumnChange::Type { data_type: storage, declared, using: using? }
                    }
                    other => return Err(Error::unsupported(format!("ALTER COLUMN {other}"))),
                };
                AlterOp::AlterColumn { column, change }
            }
            other => return Err(Error::unsupported(format!("ALTER TABLE {other}"))),
        };
        Ok(Statement::AlterTable { table, op })
    }

    /// `ALTER TABLE t ADD [CONSTRAINT name] PRIMARY KEY | UNIQUE | CHECK …`. A CHECK carries
    /// the query that finds a row violating it, so the executor can test the rows already
    /// there without binding anything.
    fn add_constraint(&mut self, table: &str, constraint: &ast::TableConstraint) -> Result<AlterOp> {
        let def = self.txn.table(table).map_err(|_| Error::not_found("table", table))?;
        let table_def = def.clone();
        let names = |cols: &[ast::IndexColumn]| -> Result<Vec<String>> {
            let names: Vec<String> = cols.iter().map(index_column).collect::<Result<_>>()?;
            match names.iter().find(|n| def.column_index(n).is_err()) {
                Some(missing) => Err(Error::not_found("column", format!("{table}.{missing}"))),
                None => Ok(names),
            }
        };
        Ok(match constraint {
            ast::TableConstraint::PrimaryKey(pk) => {
                if !def.primary_key.is_empty() {
                    return Err(Error::InvalidDefinition(format!(
                        "multiple primary keys for table \"{table}\" are not allowed"
                    )));
                }
                AlterOp::AddPrimaryKey(names(&pk.columns)?)
            }
            ast::TableConstraint::Unique(u) => {
                let columns = names(&u.columns)?;
                let name = match &u.name {
                    Some(name) => names::sibling(table, &ident(name)),
                    None => format!("{table}_{}_key", columns.join("_")),
                };
                AlterOp::AddUnique { name, columns }
            }
            ast::TableConstraint::Check(c) => {
                let sql = c.expr.to_string();
                let probe = format!("SELECT 1 FROM {} WHERE NOT ({sql}) LIMIT 1", names::sql_name(table));
                let Some(crate::parse::Parsed::Sql(statement, _)) = crate::parse::parse(&probe)?.into_iter().next()
                else {
                    return Err(Error::invalid(format!("not a CHECK expression: {sql}")));
                };
                let ast::Statement::Query(query) = statement.as_ref() else {
                    return Err(Error::invalid(format!("not a CHECK expression: {sql}")));
                };
                let (violations, _) = self.query(query)?;
                let name = c.name.as_ref().map(ident).unwrap_or_else(|| format!("{}_check", names::bare(table)));
                AlterOp::AddCheck { name, sql, violations }
            }
            ast::TableConstraint::ForeignKey(fk) => {
                let columns = fk.columns.iter().map(ident).collect();
                let def = self.foreign_key(&table_def, columns, fk, None)?;
                let mut with_key = table_def.clone();
                with_key.foreign_keys = vec![def.clone()];
                let links = self.write_links(&with_key, false)?;
                AlterOp::AddForeignKey { def, links }
            }
            other => return Err(Error::unsupported(format!("ALTER TABLE ADD {other}"))),
        })
    }

    pub(super) fn truncate(&mut self, truncate: &ast::Truncate) -> Result<Statement> {
        let restart_identity = matches!(truncate.identity, Some(ast::TruncateIdentityOption::Restart));
        let mut tables = vec![];
        for target in &truncate.table_names {
            let name = self.find_relation(&target.name)?;
            if !self.txn.has_table(&name)? {
                return Err(Error::not_found("table", name));
            }
            tables.push(name);
        }
        // A table referenced by a foreign key is truncated only with the tables that
        // reference it: named too, or added by CASCADE (and theirs in turn).
        let cascade = matches!(truncate.cascade, Some(ast::CascadeOption::Cascade));
        let all = self.txn.tables()?;
        let mut i = 0;
        while i < tables.len() {
            for child in &all {
                if tables.contains(&child.name) || !child.foreign_keys.iter().any(|f| f.parent == tables[i]) {
                    continue;
                }
                if !cascade {
                    return Err(Error::unsupported(format!(
                        "cannot truncate a table referenced in a foreign key constraint: table \"{}\" references \"{}\" (truncate it at the same time, or use TRUNCATE … CASCADE)",
                        child.name, tables[i]
                    )));
                }
                tables.push(child.name.clone());
            }
            i += 1;
        }
        // Every table emptied needs TRUNCATE, those CASCADE adds too.
        for name in &tables {
            self.access(name, crate::privileges::RelKind::Table, braid_engine::roles::TRUNCATE);
        }
        Ok(Statement::Truncate { tables, restart_identity })
    }
}

/// A constraint's column must be a plain column name.
fn index_column(c: &ast::IndexColumn) -> Result<String> {
    match &c.column.expr {
        ast::Expr::Identifier(i) => Ok(ident(i)),
        other => Err(Error::unsupported(format!("index on expression {other}"))),
    }
}

/// What an index key part contributes to the index's made-up name, as PostgreSQL chooses
/// it: a column's name, a function's name, else `expr`.
fn index_part_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => ident(i),
        ast::Expr::Function(f) => object_name(&f.name).unwrap_or_else(|_| "expr".into()),
        ast::Expr::Nested(e) | ast::Expr::Cast { expr: e, .. } => index_part_name(e),
        _ => "expr".into(),
    }
}

/// An expression or partial index's SQL, bound over a row of its table: the key parts (none
/// for a partial index on plain columns) and the predicate. Every part must give the same
/// value for the same row each time (PostgreSQL's IMMUTABLE), or the index would lose rows:
/// no subqueries, no parameters, no functions of the clock, the session or the catalog.
pub(crate) fn index_definition(
    txn: &Txn,
    table: &TableDef,
    expressions: &[String],
    predicate: Option<&str>,
) -> Result<(Vec<Expr>, Option<Expr>)> {
    let mut binder = Binder::new(txn, &[], crate::names::SearchPath::default());
    binder.push_scope(Binder::table_scope(table, &table.name));
    let bind = |binder: &mut Binder, sql: &str, what: &str| -> Result<Expr> {
        let e = binder.expr(&crate::parse::expression(sql)?)?;
        let mut fixed = true;
        e.walk(&mut |x| {
            fixed &= match x {
                Expr::Function(f, _) => f.is_deterministic(),
                Expr::Param(_) | Expr::Exists { .. } | Expr::ScalarSubquery(_) | Expr::InSubquery { .. } => false,
                _ => true,
            }
        });
        if !fixed {
            return Err(Error::InvalidObjectDefinition(format!("functions in index {what} must be marked IMMUTABLE")));
        }
        Ok(e)
    };
    let parts = expressions.iter().map(|sql| bind(&mut binder, sql, "expression")).collect::<Result<Vec<_>>>()?;
    let predicate = predicate.map(|sql| bind(&mut binder, sql, "predicate")).transpose()?;
    Ok((parts, predicate))
}

/// `SERIAL`, `BIGSERIAL`, `SMALLSERIAL` (and `SERIAL4`, `SERIAL8`, `SERIAL2`).
fn is_serial(t: &ast::DataType) -> bool {
    let name = t.to_string().to_ascii_lowercase();
    matches!(name.as_str(), "serial" | "bigserial" | "smallserial" | "serial2" | "serial4" | "serial8")
}

/// A DEFAULT expression as it is kept and shown (`pg_get_expr`, psql's `\\d`): sqlparser's
/// text, with the type names of casts in lower case as PostgreSQL prints them
/// (`nextval('s'::regclass)`, not `::REGCLASS`). Type names ignore case, so the meaning
/// is the same.
fn default_text(e: &ast::Expr) -> String {
    let text = e.to_string();
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    let mut in_string = false;
    while let Some(c) = rest.chars().next() {
        if c == '\'' {
            in_string = !in_string;
        }
        if !in_string && rest.starts_with("::") {
            out.push_str("::");
            rest = &rest[2..];
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
            out.push_str(&rest[..end].to_ascii_lowercase());
            rest = &rest[end..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}
