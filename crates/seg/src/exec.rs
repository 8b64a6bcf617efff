//! Executors: a [`Query`] compiled for one engine, evaluating record batches
//! into the same [`Membership`] whichever engine runs.

use crate::query::{Binding, Query};
use arrow::record_batch::RecordBatch;
use seg_diagnostics::Diagnostic;
use seg_eval::{Evaluator, Membership};
use std::time::Duration;

#[cfg(feature = "jit")]
use arrow::datatypes::SchemaRef;
#[cfg(feature = "jit")]
use std::sync::{Arc, Mutex};

/// The engines a query can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// The JIT when it compiles the program, else the reference evaluator
    /// ([`Executor::fallback`] says why). Without the `jit` feature, the
    /// reference evaluator.
    Auto,
    /// Native code compiled with Cranelift (compiling fails rather than fall
    /// back).
    #[cfg(feature = "jit")]
    Jit,
    /// The reference evaluator: the semantic oracle every engine agrees with.
    Interp,
}

/// A query compiled for one engine. [`Executor::evaluate`] may be called
/// from many threads at once.
pub struct Executor<'q> {
    query: &'q Query,
    evaluator: Evaluator<'q>,
    binding: Binding,
    kind: Kind,
    fallback: Option<Diagnostic>,
}

enum Kind {
    Interp,
    /// Kernels compiled on demand for each batch schema: a kernel is
    /// specialised to the physical types it was compiled for, so a batch
    /// whose schema differs (even in metadata or nullability) gets a kernel
    /// of its own rather than a wrong one.
    #[cfg(feature = "jit")]
    Jit(Mutex<Vec<(SchemaRef, Arc<seg_jit::JitProgram>)>>),
}

impl Query {
    /// Compiles the query for `engine` over the schema `binding` was made
    /// for. The JIT compiles right away, so a program it cannot compile is
    /// reported (or, with [`Engine::Auto`], falls back) before any row is
    /// read. Errors are internal (E0901).
    pub fn compile(&self, engine: Engine, binding: &Binding) -> Result<Executor<'_>, Diagnostic> {
        #[cfg_attr(not(feature = "jit"), allow(unused_mut))]
        let mut executor = Executor {
            query: self,
            evaluator: self.evaluator(),
            binding: binding.clone(),
            kind: Kind::Interp,
            fallback: None,
        };
        #[cfg(feature = "jit")]
        if engine != Engine::Interp {
            executor.kind = Kind::Jit(Mutex::new(Vec::new()));
            if let Err(diagnostic) = executor.kernel(&binding.schema) {
                if engine == Engine::Jit {
                    return Err(diagnostic);
                }
                executor.kind = Kind::Interp;
                executor.fallback = Some(diagnostic);
            }
        }
        #[cfg(not(feature = "jit"))]
        let _ = engine;
        Ok(executor)
    }

    /// Compiles the query to one JIT kernel for `binding`'s schema with
    /// explicit options (for `seg explain --clif` and tests).
    #[cfg(feature = "jit")]
    pub fn compile_kernel(
        &self,
        binding: &Binding,
        options: &seg_jit::JitOptions,
    ) -> Result<seg_jit::JitProgram, Diagnostic> {
        seg_jit::JitProgram::compile(
            &self.evaluator(),
            binding.schema.as_ref(),
            &binding.columns,
            options,
        )
    }
}

impl<'q> Executor<'q> {
    /// The query compiled.
    pub fn query(&self) -> &'q Query {
        self.query
    }

    /// The binding it was compiled for.
    pub fn binding(&self) -> &Binding {
        &self.binding
    }

    /// The engine that runs: `"jit"` or `"interp"`.
    pub fn engine(&self) -> &'static str {
        match self.kind {
            Kind::Interp => "interp",
            #[cfg(feature = "jit")]
            Kind::Jit(_) => "jit",
        }
    }

    /// Why [`Engine::Auto`] runs on the reference evaluator: the JIT's error.
    pub fn fallback(&self) -> Option<&Diagnostic> {
        self.fallback.as_ref()
    }

    /// Evaluates one batch of the bound schema's columns (any batch schema,
    /// for the JIT: each gets its kernel). Errors are internal (E0901), or
    /// an invalid `matches` pattern given through a param.
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Membership, Diagnostic> {
        match &self.kind {
            Kind::Interp => self.evaluator.evaluate(&self.binding.columns, batch),
            #[cfg(feature = "jit")]
            Kind::Jit(_) => self.kernel(&batch.schema())?.evaluate(batch),
        }
    }

    /// Time spent compiling native code, over every schema seen.
    pub fn compile_time(&self) -> Duration {
        match &self.kind {
            Kind::Interp => Duration::ZERO,
            #[cfg(feature = "jit")]
            Kind::Jit(compiled) => {
                let compiled = compiled.lock().unwrap_or_else(|e| e.into_inner());
                compiled.iter().map(|(_, p)| p.compile_time()).sum()
            }
        }
    }

    /// The kernel compiled for the bound schema, when the JIT runs.
    #[cfg(feature = "jit")]
    pub fn first_kernel(&self) -> Option<Arc<seg_jit::JitProgram>> {
        match &self.kind {
            Kind::Interp => None,
            Kind::Jit(compiled) => {
                let compiled = compiled.lock().unwrap_or_else(|e| e.into_inner());
                compiled.first().map(|(_, p)| p.clone())
            }
        }
    }

    #[cfg(feature = "jit")]
    fn kernel(&self, schema: &SchemaRef) -> Result<Arc<seg_jit::JitProgram>, Diagnostic> {
        let Kind::Jit(compiled) = &self.kind else {
            return Err(Diagnostic::new(
                seg_diagnostics::Code::E0901,
                seg_diagnostics::Span::default(),
                "internal error: no JIT in this executor",
            ));
        };
        // A poisoned lock only means another thread panicked mid-push; the
        // list itself is still valid.
        let mut compiled = compiled.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, program)) = compiled.iter().find(|(s, _)| s == schema) {
            return Ok(program.clone());
        }
        let program = Arc::new(seg_jit::JitProgram::compile(
            &self.evaluator,
            schema.as_ref(),
            &self.binding.columns,
            &seg_jit::JitOptions::default(),
        )?);
        compiled.push((schema.clone(), program.clone()));
        Ok(program)
    }
}
