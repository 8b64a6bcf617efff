//! Seg programs on Apache DataFusion: one [`Expr`] per selected segment and
//! one `CASE` [`Expr`] per priority group, and a runner over Parquet files
//! with DataFusion's own multi-threaded scan and statistics pruning.
//!
//! The expressions are not a second lowering of Seg: [`exprs`] takes the
//! SQL text seg-sql compiled for [`Dialect::DataFusion`] (the dialect run
//! against the reference evaluator by seg-sql's differential test) and
//! plans each condition with DataFusion's own SQL planner against the
//! table's schema. The [`Expr`] and the SQL text therefore cannot disagree,
//! and the meaning kept (or the located E0501/E0502 refusal) is seg-sql's.
//!
//! Only DataFusion's built-in functions appear in the expressions: no UDF is
//! registered, so a plan built from them runs on any DataFusion of the same
//! major version, a Ballista cluster included, without custom code on the
//! workers. Instants are compared as epoch microseconds, so the session
//! time zone does not change any result.
//!
//! ```no_run
//! fn print_exprs(
//!     compiled: &seg_sql::Compiled,
//! ) -> Result<(), datafusion::error::DataFusionError> {
//!     let table = seg_datafusion::Table::open("profiles/*.parquet", 4)?;
//!     let columns = table.exprs(compiled)?;
//!     for (name, expr) in &columns.segments {
//!         println!("{name}: {expr}");
//!     }
//!     Ok(())
//! }
//! ```

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::common::DFSchema;
use datafusion::common::config::ConfigNonZeroUsize;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::prelude::{DataFrame, Expr, ParquetReadOptions, SessionConfig, SessionContext};
use futures::StreamExt;
use seg_sql::{Compiled, Dialect};

pub use datafusion;

/// The planned expressions of a compiled program, in the compiled order.
#[derive(Clone, Debug)]
pub struct Exprs {
    /// Per selected segment: its name and its membership (a boolean that is
    /// never NULL).
    pub segments: Vec<(String, Expr)>,
    /// Per selected priority group: its name and a `CASE` giving the name
    /// of the first of its segments the profile is in, or NULL.
    pub priorities: Vec<(String, Expr)>,
}

impl Exprs {
    /// Every column, segments first, each aliased to its name: what to pass
    /// to [`DataFrame::select`].
    pub fn aliased(&self) -> Vec<Expr> {
        self.segments
            .iter()
            .chain(&self.priorities)
            .map(|(name, expr)| expr.clone().alias(name))
            .collect()
    }
}

/// Plans each column of `compiled` (which must be compiled for
/// [`Dialect::DataFusion`]) with DataFusion's SQL planner against `schema`.
/// A column the table lacks, or a type the SQL does not accept, is a
/// planning error naming it.
pub fn exprs(
    compiled: &Compiled,
    schema: &DFSchema,
    state: &SessionState,
) -> Result<Exprs, DataFusionError> {
    if compiled.dialect() != Dialect::DataFusion {
        return Err(DataFusionError::Plan(format!(
            "the program was compiled for {}, not DataFusion",
            compiled.dialect().title()
        )));
    }
    let plan = |columns: &[seg_sql::Column]| {
        columns
            .iter()
            .map(|c| Ok((c.name.clone(), state.create_logical_expr(&c.sql, schema)?)))
            .collect::<Result<Vec<_>, DataFusionError>>()
    };
    on_deep_stack(|| {
        Ok(Exprs {
            segments: plan(compiled.segments())?,
            priorities: plan(compiled.priorities())?,
        })
    })
}

/// Runs `work` with at least [`STACK_RED_ZONE`] of stack left, on a new
/// [`STACK_SEGMENT`] when the thread's own is shorter. DataFusion's parser and
/// planner grow their stack as they recurse, but naming an expression
/// (`SchemaDisplay`) and some rewrites recurse without that protection, over
/// trees as deep as Seg's parser allows (`not not … x`).
fn on_deep_stack<T>(work: impl FnOnce() -> T) -> T {
    stacker::maybe_grow(STACK_RED_ZONE, STACK_SEGMENT, work)
}

/// Stack below which [`on_deep_stack`] moves to a new segment.
const STACK_RED_ZONE: usize = 32 * 1024 * 1024;
/// The size of that segment, and of each DataFusion worker thread's stack:
/// reserved address space, committed only as it is used.
const STACK_SEGMENT: usize = 64 * 1024 * 1024;

/// The session configuration Seg's expressions are planned and run with:
/// `threads` target partitions (DataFusion's parallelism), and a SQL
/// recursion limit deep enough for the nesting Seg's parser allows (the
/// default of 50 refuses long `and` chains).
pub fn config(threads: usize) -> SessionConfig {
    let mut config = SessionConfig::new().with_target_partitions(threads.max(1));
    if let Ok(limit) = ConfigNonZeroUsize::try_new(SQL_RECURSION_LIMIT) {
        config.options_mut().sql_parser.recursion_limit = limit;
    }
    config
}

/// How deep DataFusion's SQL parser may nest: above what Seg's parser
/// accepts once lowered (each Seg level can become a few SQL levels). The
/// parser and planner grow their stack as they recurse (DataFusion's
/// `recursive_protection`), so depth costs no stack overflow.
const SQL_RECURSION_LIMIT: usize = 4096;

/// One Parquet file, a directory of Parquet files or a glob, opened as a
/// DataFusion listing table (with its own runtime), ready to run compiled
/// programs over.
pub struct Table {
    runtime: tokio::runtime::Runtime,
    context: SessionContext,
    frame: DataFrame,
}

/// The table name the data is registered under in the session.
pub const TABLE_NAME: &str = "profiles";

impl Table {
    /// Opens `data` (a Parquet file, a directory of `.parquet` files, or a
    /// glob such as `dir/*.parquet`) to scan on `threads` partitions, with
    /// the [`config`] Seg uses.
    pub fn open(data: &str, threads: usize) -> Result<Table, DataFusionError> {
        Table::open_with(data, config(threads), threads)
    }

    /// Like [`Table::open`] with a session configuration of one's own (a
    /// session time zone, a batch size).
    pub fn open_with(
        data: &str,
        config: SessionConfig,
        threads: usize,
    ) -> Result<Table, DataFusionError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_stack_size(STACK_SEGMENT)
            .thread_name("seg-datafusion")
            .enable_all()
            .build()
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
        let context = SessionContext::new_with_config(config);
        // A single file need not end in `.parquet`; a directory or a glob
        // lists only the `.parquet` files in it.
        let extension = if std::path::Path::new(data).is_file() {
            std::path::Path::new(data)
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default()
        } else {
            ".parquet".to_string()
        };
        let frame = runtime.block_on(async {
            let options = ParquetReadOptions::default().file_extension(&extension);
            context.register_parquet(TABLE_NAME, data, options).await?;
            context.table(TABLE_NAME).await
        })?;
        Ok(Table {
            runtime,
            context,
            frame,
        })
    }

    /// The table's Arrow schema, as DataFusion reads it (text as
    /// `Utf8View`).
    pub fn schema(&self) -> SchemaRef {
        self.frame.schema().inner().clone()
    }

    /// The session the table is registered in.
    pub fn context(&self) -> &SessionContext {
        &self.context
    }

    /// The table as a DataFrame, to build queries of one's own.
    pub fn frame(&self) -> &DataFrame {
        &self.frame
    }

    /// [`exprs`] against this table's schema and session.
    pub fn exprs(&self, compiled: &Compiled) -> Result<Exprs, DataFusionError> {
        exprs(compiled, self.frame.schema(), &self.context.state())
    }

    /// Profiles in the table (answered from Parquet metadata when it can).
    pub fn count(&self) -> Result<u64, DataFusionError> {
        let frame = self.frame.clone();
        let rows = self.runtime.block_on(frame.count())?;
        Ok(rows as u64)
    }

    /// Runs `compiled` over the table and hands each result batch to
    /// `each`: the `key` column when given, then one boolean column per
    /// segment, one text column per priority group. With `every_profile`
    /// false only the profiles in some segment are returned, which lets
    /// DataFusion skip row groups and pages whose statistics prove none is;
    /// the others are in no segment. Batches come in no particular order.
    pub fn run(
        &self,
        compiled: &Compiled,
        key: Option<&str>,
        every_profile: bool,
        each: &mut dyn FnMut(RecordBatch) -> Result<(), DataFusionError>,
    ) -> Result<(), DataFusionError> {
        // Planning (on this thread, `block_on` included) names and rewrites
        // expression trees recursively.
        on_deep_stack(|| self.run_on_stack(compiled, key, every_profile, each))
    }

    /// [`Table::run`], on a stack deep enough for any program.
    fn run_on_stack(
        &self,
        compiled: &Compiled,
        key: Option<&str>,
        every_profile: bool,
        each: &mut dyn FnMut(RecordBatch) -> Result<(), DataFusionError>,
    ) -> Result<(), DataFusionError> {
        let planned = self.exprs(compiled)?;
        let mut frame = self.frame.clone();
        if !every_profile {
            let any = planned
                .segments
                .iter()
                .map(|(_, e)| e.clone())
                .chain(
                    planned
                        .priorities
                        .iter()
                        .map(|(_, e)| e.clone().is_not_null()),
                )
                .reduce(Expr::or)
                .unwrap_or(datafusion::prelude::lit(false));
            frame = frame.filter(any)?;
        }
        let mut columns: Vec<Expr> = Vec::new();
        if let Some(key) = key {
            columns.push(datafusion::prelude::ident(key));
        }
        columns.extend(planned.aliased());
        let frame = frame.select(columns)?;
        self.runtime.block_on(async {
            let mut stream = frame.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                each(batch?)?;
            }
            Ok(())
        })
    }
}
