//! The JIT as the run and bench commands use it: a compiled program per
//! distinct batch schema. A kernel is specialised to the physical types it was
//! compiled for; the readers give every batch of a file the columns and types
//! the rules were bound to (`data::open` checks each batch by name), so one
//! kernel normally serves a whole file, and a batch whose schema differs only
//! in metadata or nullability gets a kernel of its own rather than a wrong one.

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use seg::diagnostics::Diagnostic;
use seg::ir::{Const, ParamId, Program, SegmentId};
use seg_eval::{Binding, Membership};
use seg_jit::{JitOptions, JitProgram};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Kernels of one program, compiled on demand for each batch schema.
pub struct Jit<'p> {
    program: &'p Program,
    overrides: Vec<(ParamId, Const)>,
    as_of: i64,
    segments: Vec<SegmentId>,
    priorities: Vec<usize>,
    binding: Binding,
    compiled: Mutex<Vec<(SchemaRef, Arc<JitProgram>)>>,
}

impl<'p> Jit<'p> {
    /// Compiles for `schema` right away, so that a program the JIT cannot
    /// compile is reported before any row is read.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        program: &'p Program,
        overrides: &[(ParamId, Const)],
        as_of: i64,
        segments: Vec<SegmentId>,
        priorities: Vec<usize>,
        schema: &SchemaRef,
        binding: &Binding,
    ) -> Result<Self, Diagnostic> {
        let jit = Jit {
            program,
            overrides: overrides.to_vec(),
            as_of,
            segments,
            priorities,
            binding: binding.clone(),
            compiled: Mutex::new(Vec::new()),
        };
        jit.for_schema(schema)?;
        Ok(jit)
    }

    fn for_schema(&self, schema: &SchemaRef) -> Result<Arc<JitProgram>, Diagnostic> {
        // A poisoned lock only means another thread panicked mid-push; the
        // list itself is still valid.
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, program)) = compiled.iter().find(|(s, _)| s == schema) {
            return Ok(program.clone());
        }
        let program = Arc::new(JitProgram::compile(
            self.program,
            &self.overrides,
            self.as_of,
            self.segments.clone(),
            self.priorities.clone(),
            schema,
            &self.binding,
            &JitOptions::default(),
        )?);
        compiled.push((schema.clone(), program.clone()));
        Ok(program)
    }

    /// Evaluates one batch with the kernel for its schema.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Membership, Diagnostic> {
        self.for_schema(&batch.schema())?.evaluate(batch)
    }

    /// The kernel compiled first (for the reader's schema).
    pub fn first(&self) -> Option<Arc<JitProgram>> {
        let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled.first().map(|(_, p)| p.clone())
    }

    /// Time spent compiling, over every schema seen.
    pub fn compile_time(&self) -> Duration {
        let compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled.iter().map(|(_, p)| p.compile_time()).sum()
    }
}
