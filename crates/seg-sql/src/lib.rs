//! Seg programs compiled to SQL, for running the same rules on an existing
//! engine or warehouse: DuckDB, PostgreSQL, DataFusion, Spark SQL, BigQuery
//! and Snowflake.
//!
//! [`compile`] takes a checked (usually prepared and optimized) program with
//! the run's param values, instant and selection, and gives a [`Compiled`]
//! query: one boolean column per selected segment (its membership, never
//! NULL), one text column per priority group (the chosen segment's name, or
//! NULL), after the `key` column. [`Compiled::select`] prints the statement;
//! [`Compiled::condition`] prints one segment's condition for use in a
//! query of one's own.
//!
//! The meaning is Seg's, exactly, or the construct is refused: whatever a
//! dialect cannot express with the same result for every row is a located
//! E0501 (a construct), E0502 (a regex feature) or E0503 (size) diagnostic,
//! and nothing is printed with a silently different meaning. How each trap
//! is avoided is described in `docs/sql.md`; the private `lower` module
//! holds the mapping and [`Dialect`] the spelling of each engine.

mod dialect;
mod lower;
mod regex;

pub use dialect::Dialect;
use seg_diagnostics::Diagnostic;
use seg_ir::{Const, Program, Selection};

/// One output column: its name and the SQL that computes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    /// The segment's or priority group's name.
    pub name: String,
    /// The SQL expression (a boolean for a segment, text for a group).
    pub sql: String,
}

/// A program compiled for one dialect.
#[derive(Clone, Debug)]
pub struct Compiled {
    dialect: Dialect,
    key: Option<String>,
    segments: Vec<Column>,
    priorities: Vec<Column>,
}

impl Compiled {
    /// The dialect it was compiled for.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The selected segments' membership conditions, in selection order.
    pub fn segments(&self) -> &[Column] {
        &self.segments
    }

    /// The selected priority groups, each a `CASE` over its segments.
    pub fn priorities(&self) -> &[Column] {
        &self.priorities
    }

    /// The membership condition of the selected segment `name`.
    pub fn condition(&self, name: &str) -> Option<&str> {
        self.segments
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.sql.as_str())
    }

    /// `SELECT key, <segment columns>, <priority columns> FROM from`, one
    /// column per line. `from` is printed as given: a table name, a
    /// qualified name, or any table expression of the dialect.
    pub fn select(&self, from: &str) -> String {
        let d = self.dialect;
        let mut columns: Vec<String> = Vec::new();
        if let Some(key) = &self.key {
            columns.push(d.ident(key));
        }
        for c in self.segments.iter().chain(&self.priorities) {
            columns.push(format!("{} AS {}", c.sql, d.ident(&c.name)));
        }
        if columns.is_empty() {
            columns.push("COUNT(*) AS profiles".to_string());
        }
        format!("SELECT\n  {}\nFROM {from}", columns.join(",\n  "))
    }
}

/// Compiles the selected segments and priority groups of `program` for
/// `dialect`, at the instant `as_of` (microseconds since the Unix epoch)
/// with the param values `params` (one per param, as
/// [`seg_ir::param_values`] gives them). Errors are located diagnostics of
/// what the dialect cannot express.
pub fn compile(
    program: &Program,
    params: &[Const],
    as_of: i64,
    selection: &Selection,
    dialect: Dialect,
) -> Result<Compiled, Vec<Diagnostic>> {
    // Lowering recurses over expression trees as deep as the parser allows;
    // the extra stack keeps that safe on small thread stacks.
    stacker::maybe_grow(4 * 1024 * 1024, 32 * 1024 * 1024, || {
        compile_on_stack(program, params, as_of, selection, dialect)
    })
}

/// [`compile`], on a stack deep enough for any program.
fn compile_on_stack(
    program: &Program,
    params: &[Const],
    as_of: i64,
    selection: &Selection,
    dialect: Dialect,
) -> Result<Compiled, Vec<Diagnostic>> {
    let mut lowering = lower::Lowering::new(program, params, as_of, dialect);
    let segments: Vec<Column> = selection
        .segments()
        .iter()
        .map(|&id| Column {
            name: program.segments[id.0 as usize].name.clone(),
            sql: lowering.membership(id),
        })
        .collect();
    let mut priorities = Vec::new();
    for &p in selection.priorities() {
        let Some(group) = program.priorities.get(p) else {
            continue;
        };
        let mut sql = String::from("CASE");
        for &id in &group.segments {
            let member = lowering.membership(id);
            let name = dialect.string(&program.segments[id.0 as usize].name);
            sql.push_str(&format!(" WHEN {member} THEN {name}"));
        }
        sql.push_str(" END");
        priorities.push(Column {
            name: group.name.clone(),
            sql,
        });
    }
    if !lowering.errors.is_empty() {
        let mut errors = lowering.errors;
        errors.sort_by_key(|d| (d.span.file, d.span.start, d.code));
        errors.dedup_by(|a, b| a.span == b.span && a.code == b.code && a.message == b.message);
        return Err(errors);
    }
    Ok(Compiled {
        dialect,
        key: program
            .schema
            .key()
            .map(|k| program.schema.field(k).name.clone()),
        segments,
        priorities,
    })
}

/// What `dialect` cannot express in `program`, as located diagnostics:
/// every segment compiled with the params' default values (the constructs
/// a target refuses do not depend on the instant or the values).
pub fn check(program: &Program, dialect: Dialect) -> Vec<Diagnostic> {
    let params = seg_ir::param_values(program, &[]);
    // Any instant will do; 2000-01-01T00:00:00Z.
    let as_of = 946_684_800_000_000;
    match compile(program, &params, as_of, &Selection::all(program), dialect) {
        Ok(_) => Vec::new(),
        Err(errors) => errors,
    }
}
