//! `braid shell [DIR | postgres://URL]`: an interactive SQL shell, on a data directory
//! (embedded, through the `braid` crate) or on a server (through the PostgreSQL protocol).
//!
//! Statements end with `;` and may span lines; results print as aligned tables, as psql
//! prints them. Meta-commands: `\q` quits, `\timing` toggles timing, `\dt` lists tables,
//! `\d NAME` describes one, `\i FILE` runs a file (with a progress bar when it is large),
//! `\?` lists these. With a terminal, lines are edited with rustyline and remembered in
//! `~/.braid_history`; without one (a pipe, a file), the script on standard input runs
//! without prompts, and the exit status says whether every statement succeeded.

use std::io::{BufRead, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use braid::{Output, Value};

/// A statement's result, as the shell prints it.
struct Printed {
    columns: Vec<String>,
    rows: Vec<Vec<Option<String>>>,
    /// The command tag (`INSERT 0 1`), printed when there are no columns.
    tag: String,
}

/// Where statements run.
#[allow(clippy::large_enum_variant)] // one per shell: boxing would buy nothing
enum Target {
    Embedded(braid::Connection),
    Remote { runtime: tokio::runtime::Runtime, client: tokio_postgres::Client },
}

impl Target {
    fn open(target: &str) -> Result<Target, String> {
        if target.starts_with("postgres://") || target.starts_with("postgresql://") {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            let (client, connection) = runtime
                .block_on(tokio_postgres::connect(target, tokio_postgres::NoTls))
                .map_err(|e| format!("cannot connect to {target}: {e}"))?;
            runtime.spawn(connection);
            return Ok(Target::Remote { runtime, client });
        }
        let db = braid::Database::open(target).map_err(|e| format!("cannot open {target}: {e}"))?;
        Ok(Target::Embedded(db.connect()))
    }

    /// Runs `sql` (one or more statements): each statement's result, or the first error.
    fn run(&mut self, sql: &str) -> Result<Vec<Printed>, String> {
        match self {
            Target::Embedded(conn) => run_embedded(conn, sql),
            Target::Remote { runtime, client } => runtime.block_on(run_remote(client, sql)),
        }
    }

    /// `\dt`: the tables.
    fn tables(&mut self) -> Result<Printed, String> {
        let names = match self {
            Target::Embedded(conn) => {
                let txn = embedded_db(conn)?.engine().begin_read_only().map_err(|e| e.to_string())?;
                let mut names: Vec<String> =
                    txn.tables().map_err(|e| e.to_string())?.into_iter().map(|t| t.name).collect();
                names.sort();
                names
            }
            Target::Remote { runtime, client } => {
                // The query psql sends for \dt, which braid serve answers from its catalog.
                let sql = "SELECT n.nspname as \"Schema\", c.relname as \"Name\", \
                           CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' END as \"Type\" \
                           FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
                           WHERE c.relkind IN ('r','p','') AND n.nspname <> 'pg_catalog' \
                           AND n.nspname <> 'information_schema' AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY 1,2";
                let rows = runtime.block_on(run_remote(client, sql))?;
                rows.into_iter().flat_map(|p| p.rows).filter_map(|r| r.get(1).cloned().flatten()).collect()
            }
        };
        let rows = names.into_iter().map(|n| vec![Some(n), Some("table".into())]).collect();
        Ok(Printed { columns: vec!["Name".into(), "Type".into()], rows, tag: String::new() })
    }

    /// `\d NAME`: a table's columns.
    fn describe(&mut self, name: &str) -> Result<Printed, String> {
        let columns = vec!["Column".to_string(), "Type".to_string(), "Nullable".to_string(), "Default".to_string()];
        match self {
            Target::Embedded(conn) => {
                let txn = embedded_db(conn)?.engine().begin_read_only().map_err(|e| e.to_string())?;
                let table = txn.table(name).map_err(|_| format!("Did not find any relation named \"{name}\"."))?;
                let rows = table
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        vec![
                            Some(c.name.clone()),
                            Some(c.data_type.to_string().to_ascii_lowercase()),
                            Some(if table.is_not_null(i) { "not null" } else { "" }.to_string()),
                            c.default.clone(),
                        ]
                    })
                    .collect();
                Ok(Printed { columns, rows, tag: String::new() })
            }
            Target::Remote { runtime, client } => {
                let statement = runtime
                    .block_on(client.prepare(&format!("SELECT * FROM {name} LIMIT 0")))
                    .map_err(|_| format!("Did not find any relation named \"{name}\"."))?;
                let rows = statement
                    .columns()
                    .iter()
                    .map(|c| vec![Some(c.name().to_string()), Some(c.type_().name().to_string()), None, None])
                    .collect();
                Ok(Printed { columns, rows, tag: String::new() })
            }
        }
    }
}

/// The database of an embedded target's connection.
fn embedded_db(conn: &braid::Connection) -> Result<&braid::Database, String> {
    conn.database().ok_or_else(|| "not an embedded connection".to_string())
}

fn run_embedded(conn: &mut braid::Connection, sql: &str) -> Result<Vec<Printed>, String> {
    let mut out = vec![];
    for mut statement in conn.prepare_all(sql).map_err(|e| e.to_string())? {
        let command = statement.command();
        let printed = match conn.run_prepared(&mut statement, ()).map_err(|e| e.to_string())? {
            Output::Rows(rows) => {
                let columns = rows.columns().to_vec();
                let rows = rows
                    .map(|r| r.map(|r| r.values().iter().map(text).collect()))
                    .collect::<braid::Result<Vec<_>>>()
                    .map_err(|e| e.to_string())?;
                Printed { columns, rows, tag: format!("{command} ") }
            }
            Output::Changed(n) => {
                Printed { columns: vec![], rows: vec![], tag: format!("{} {n}", crate::pg::session::tag_verb(command)) }
            }
            Output::Done => Printed { columns: vec![], rows: vec![], tag: command.to_string() },
        };
        out.push(printed);
    }
    Ok(out)
}

/// A value as the shell shows it; `None` for NULL (printed empty, as psql does).
fn text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Boolean(b) => Some(if *b { "t" } else { "f" }.to_string()),
        v => Some(braid::value::to_text(v)),
    }
}

async fn run_remote(client: &tokio_postgres::Client, sql: &str) -> Result<Vec<Printed>, String> {
    use tokio_postgres::SimpleQueryMessage as M;
    let messages = client.simple_query(sql).await.map_err(|e| match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    })?;
    let mut out = vec![];
    let mut current = Printed { columns: vec![], rows: vec![], tag: String::new() };
    for message in messages {
        match message {
            M::RowDescription(columns) => current.columns = columns.iter().map(|c| c.name().to_string()).collect(),
            M::Row(row) => {
                if current.columns.is_empty() {
                    current.columns = row.columns().iter().map(|c| c.name().to_string()).collect();
                }
                current.rows.push((0..row.len()).map(|i| row.get(i).map(str::to_string)).collect());
            }
            M::CommandComplete(n) => {
                if current.columns.is_empty() {
                    current.tag = format!("OK {n}");
                }
                out.push(std::mem::replace(
                    &mut current,
                    Printed { columns: vec![], rows: vec![], tag: String::new() },
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// An aligned table, as psql prints one, with its row count.
fn render(p: &Printed) -> String {
    if p.columns.is_empty() {
        return format!("{}\n", p.tag.trim());
    }
    let cell = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut widths: Vec<usize> = p.columns.iter().map(|c| c.chars().count()).collect();
    for row in &p.rows {
        for (w, v) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell(v).chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = p.columns.iter().zip(&widths).map(|(c, w)| format!("{c:^w$}")).collect();
    out.push_str(&format!(" {} \n", header.join(" | ")));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(w + 2)).collect();
    out.push_str(&format!("{}\n", rule.join("+")));
    for row in &p.rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(v, w)| format!("{:<w$}", cell(v))).collect();
        out.push_str(&format!(" {}\n", cells.join(" | ").trim_end()));
    }
    let n = p.rows.len();
    out.push_str(&format!("({n} row{})\n", if n == 1 { "" } else { "s" }));
    out
}

/// The shell's state between lines.
struct Shell {
    target: Target,
    timing: bool,
    /// The statement being typed, until a line ends it with `;`.
    pending: String,
    /// Whether any statement failed (the exit status of a script).
    failed: bool,
}

impl Shell {
    /// Handles one input line: a meta-command, or part of a statement.
    fn line(&mut self, line: &str) -> bool {
        let trimmed = line.trim();
        if self.pending.is_empty() && trimmed.starts_with('\\') {
            return self.meta(trimmed);
        }
        if trimmed.is_empty() && self.pending.is_empty() {
            return true;
        }
        self.pending.push_str(line);
        self.pending.push('\n');
        if trimmed.ends_with(';') {
            let sql = std::mem::take(&mut self.pending);
            self.execute(&sql);
        }
        true
    }

    fn execute(&mut self, sql: &str) {
        let start = Instant::now();
        let result = self.target.run(sql);
        let elapsed = start.elapsed();
        match result {
            Ok(printed) => printed.iter().for_each(|p| print!("{}", render(p))),
            Err(e) => {
                self.failed = true;
                eprintln!("ERROR:  {e}");
            }
        }
        self.report_time(elapsed);
    }

    fn report_time(&self, elapsed: Duration) {
        if self.timing {
            println!("Time: {:.3} ms", elapsed.as_secs_f64() * 1000.0);
        }
    }

    /// A meta-command; `false` to quit.
    fn meta(&mut self, command: &str) -> bool {
        let (name, arg) = command.split_once(char::is_whitespace).unwrap_or((command, ""));
        let arg = arg.trim();
        let shown = match name {
            "\\q" => return false,
            "\\timing" => {
                self.timing = !self.timing;
                println!("Timing is {}.", if self.timing { "on" } else { "off" });
                return true;
            }
            "\\dt" => self.target.tables(),
            "\\d" if !arg.is_empty() => self.target.describe(arg),
            "\\d" => self.target.tables(),
            "\\i" if !arg.is_empty() => {
                self.include(Path::new(arg));
                return true;
            }
            "\\?" => {
                println!(
                    "\\q quit   \\timing toggle timing   \\dt list tables   \\d NAME describe   \\i FILE run a file"
                );
                return true;
            }
            other => Err(format!("invalid command {other}; \\? lists them")),
        };
        match shown {
            Ok(p) => print!("{}", render(&p)),
            Err(e) => {
                self.failed = true;
                eprintln!("{e}");
            }
        }
        true
    }

    /// `\i FILE`: runs a file's lines, with a progress bar on standard error when it is large.
    fn include(&mut self, path: &Path) {
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) => {
                self.failed = true;
                eprintln!("{}: {e}", path.display());
                return;
            }
        };
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let progress = (size > 1 << 20).then(|| {
            let bar = indicatif::ProgressBar::new(size);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {eta}")
                    .expect("a valid template"),
            );
            bar
        });
        for line in std::io::BufReader::new(file).lines() {
            let Ok(line) = line else { break };
            if let Some(bar) = &progress {
                bar.inc(line.len() as u64 + 1);
            }
            if !self.line(&line) {
                break;
            }
        }
        if let Some(bar) = progress {
            bar.finish_and_clear();
        }
    }
}

/// Runs the shell on `target` (a data directory or a `postgres://` URL); the exit status is
/// failure if a statement of a script failed.
pub fn run(target: &str) -> Result<bool, String> {
    let target = Target::open(target)?;
    let mut shell = Shell { target, timing: false, pending: String::new(), failed: false };
    if !std::io::stdin().is_terminal() {
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| e.to_string())?;
            if !shell.line(&line) {
                break;
            }
        }
        if !shell.pending.trim().is_empty() {
            let sql = std::mem::take(&mut shell.pending);
            shell.execute(&sql);
        }
        return Ok(!shell.failed);
    }
    let mut editor = rustyline::DefaultEditor::new().map_err(|e| e.to_string())?;
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".braid_history"));
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!("braid shell {} — \\? for help, \\q to quit", env!("CARGO_PKG_VERSION"));
    loop {
        let prompt = if shell.pending.is_empty() { "braid=> " } else { "braid-> " };
        match editor.readline(prompt) {
            Ok(line) => {
                let _ = editor.add_history_entry(line.as_str());
                if !shell.line(&line) {
                    break;
                }
            }
            // Ctrl-C drops the statement being typed; Ctrl-D quits.
            Err(rustyline::error::ReadlineError::Interrupted) => shell.pending.clear(),
            Err(_) => break,
        }
    }
    if let Some(h) = &history {
        let _ = editor.save_history(h);
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_aligned_as_psql_aligns_them() {
        let p = Printed {
            columns: vec!["id".into(), "name".into()],
            rows: vec![vec![Some("1".into()), Some("ada".into())], vec![Some("22".into()), None]],
            tag: String::new(),
        };
        assert_eq!(render(&p), " id | name \n----+------\n 1  | ada\n 22 |\n(2 rows)\n");
    }
}
