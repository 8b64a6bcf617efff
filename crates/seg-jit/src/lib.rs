//! The Cranelift JIT of Seg: compiles a checked [`seg_ir::Program`] for one
//! Arrow schema into a native kernel that computes every selected segment's
//! membership over a record batch, and agrees bit for bit with the reference
//! evaluator ([`seg_eval::Evaluator`]).
//!
//! The kernel is one function that loops over the batch 64 rows at a time and
//! computes, for each word, every needed segment in evaluation order, so all
//! segments share one pass. A program of more than
//! [`JitOptions::segments_per_function`] segments becomes several such
//! functions, each computing a run of segments over the whole batch, called
//! in evaluation order: compile time then stays linear in the program's
//! size. Boolean subexpressions are pairs of 64-bit masks (rows definitely
//! true, rows definitely false; unknown is neither), which makes Kleene logic
//! a handful of bitwise operations.
//!
//! Full words and the last, partial word are separate code: on a full word
//! every leaf with a vector form computes its 64 rows with 128-bit compares
//! whose lane masks are gathered by `vhigh_bits`, validity folded in with one
//! AND per word, with no test of the row count; the partial word runs scalar
//! row loops. A leaf written in several segments of a function is computed
//! once per word, and identical batch-level inputs are prepared once per
//! batch. Bitmaps that start on a word boundary are read where Arrow keeps
//! them, and the membership words become the output arrays' buffer.
//! Whatever has no native or dedicated form runs in the reference evaluator
//! at batch level and is listed in [`JitProgram::fallbacks`].
//!
//! What runs where:
//!
//! | construct | how |
//! |---|---|
//! | `and`/`or`/`not`, segment references, bool columns, `==`/`in`/`is missing`/`coalesce` of bools | word-level mask logic; operands without a vector form (and lazy string leaves, evaluated last) are skipped on words already decided |
//! | a column against constants (compare, `between`, `within`/`before`/`after`) over int8–64 (signed and unsigned up to 32 bits), Float64, Date32, microsecond timestamps | vector leaf: `i8x16`…`i64x2`/`f64x2` compares, whole word unrolled (functions with over 2,048 vector steps per word loop over groups of 4) |
//! | float comparisons of expressions over Float32/64 and int32 columns, constants, `+ - * /`, `-`, `abs` (NaN and ÷0 missing) | vector leaf, `f64x2` lanes, 2 rows per step |
//! | any other compare, `between`, `in`, `is missing` over ints, floats, dates (Date32/64), timestamps (every unit), decimals of any scales (negative ones included); int `+ - * %`, `-`, `abs` (overflow missing); decimal `+ - *`, `-`, `abs`, `coalesce` (exact, overflow missing); `coalesce` of numbers and instants; `days_since` | native row loop over the word |
//! | string predicates (`== < in contains starts ends matches is missing`, through `lower`/`upper`/`coalesce` with constants) over a dictionary column | a truth table per dictionary (any single-column string predicate, via the reference evaluator when no helper fits), built once for the batches that share the dictionary; gathered 16 keys at a time with byte shuffles for dictionaries of up to 64 values and 1-, 2- or 4-byte keys, one key at a time otherwise |
//! | the same over Utf8/LargeUtf8/Utf8View as an operand of an `and` | lazy leaf: computed last, one word at a time through a call into `batch.rs`, only on words the other operands leave undecided |
//! | the same over Utf8/LargeUtf8/Utf8View | batch-level helper (`strings.rs`) writing (true, false) words directly: bytes compared through the offsets or views (`==`/`!=`/`<`.., `in` by length then packed bytes or a hash set, `starts`/`ends with` branch-free, `contains` with memchr), `matches` and `lower`/`upper`/`coalesce` chains per row through the evaluator's semantics |
//! | `contains any/all/none` over List/LargeList of strings (plain, large, view, dictionary) or ints (every width); `is missing` of strings and lists | batch-level helper (`strings.rs`): one pass per column for all its list leaves (up to 64 distinct values; memchr search of the elements' bytes for up to 4), a general helper beyond / validity bitmap |
//! | `length`, `size`, `year`/`month`/`day` of a field; decimal to float | batch-level helper into a derived column read natively |
//! | aggregates over event histories (`count`, `any`, `sum`, `avg`, `min`, `max`, `count_distinct` of `List`/`LargeList` of `Struct`, v0.2) | batch-level helper (`history.rs`): the `where` filter compiled by this JIT as a sub-program over the records (the struct's children, zero-copy, plus profile fields gathered per record) into mask words; `count`/`any` are population counts of the mask over each row's offsets, the others the evaluator's own reductions over the masked records; the result is a derived column (or words for `any`) the kernel compares natively. `min`/`max` of strings and filters reading a segment run in the reference evaluator |
//! | anything else (decimal and float `%`, comparisons of two string expressions, `length` of an expression over a plain string, list predicates over expressions, ...) | the reference evaluator on the whole batch, listed in [`JitProgram::fallbacks`] |
//!
//! ```no_run
//! # fn demo(program: &seg_ir::Program, batch: &arrow::record_batch::RecordBatch) {
//! let evaluator = seg_eval::Evaluator::new(program, &[], 0);
//! let binding = evaluator.bind(batch.schema().as_ref()).expect("columns fit");
//! let jit = seg_jit::JitProgram::compile(
//!     &evaluator, batch.schema().as_ref(), &binding, &seg_jit::JitOptions::default(),
//! ).expect("compiles");
//! let membership = jit.evaluate(batch).expect("no internal error");
//! # }
//! ```

mod batch;
mod codegen;
mod history;
mod plan;
mod strings;

use arrow::array::BooleanArray;
use arrow::buffer::{BooleanBuffer, Buffer};
use arrow::datatypes::Schema as ArrowSchema;
use arrow::record_batch::RecordBatch;
use cranelift::prelude::*;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{Linkage, Module};
use seg_diagnostics::{Code, Diagnostic, Span};
use seg_eval::{Binding, Evaluator, Membership};
use seg_ir::{Const, SegmentId};
use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

/// Options of the compiler.
#[derive(Clone, Debug, Default)]
pub struct JitOptions {
    /// Runs Cranelift's IR verifier on the generated function (tests turn it
    /// on; it costs compile time only).
    pub verify: bool,
    /// Asks Cranelift to optimise (`opt_level = "speed"`). Off by default:
    /// `"none"` compiles several times faster and these looped kernels run
    /// as fast either way.
    pub optimize: bool,
    /// The most segments one kernel function computes; `0` means
    /// [`DEFAULT_SEGMENTS_PER_FUNCTION`]. A larger program is split into
    /// several functions run one after the other, which keeps compile time
    /// linear in the number of segments (Cranelift's register allocator is
    /// superlinear in the size of one function). Tests set it low to split
    /// small programs.
    pub segments_per_function: usize,
    /// Keeps the Cranelift IR as text for [`JitProgram::clif`] (`seg explain
    /// --clif`). Off by default: printing it costs about a tenth of the
    /// compile time.
    pub clif: bool,
}

/// The default of [`JitOptions::segments_per_function`]: ordinary programs
/// stay one fused function (one pass over each word for every segment),
/// while a program of thousands of segments compiles in linear time.
pub const DEFAULT_SEGMENTS_PER_FUNCTION: usize = 128;

/// A subexpression the kernel does not compute natively: it runs in the
/// reference evaluator, once per batch, and the kernel reads its result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fallback {
    /// The segment it belongs to.
    pub segment: SegmentId,
    /// That segment's name.
    pub segment_name: String,
    /// Where the subexpression was written.
    pub span: Span,
    /// Why it is not compiled.
    pub reason: String,
}

impl fmt::Display for Fallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "segment `{}` (bytes {}..{}): {}",
            self.segment_name, self.span.start, self.span.end, self.reason
        )
    }
}

/// The compiled kernel and the memory that holds it.
struct Kernel {
    module: Option<JITModule>,
    /// The kernel's functions, to be called in this order: each computes a
    /// run of segments over the whole batch.
    entries: Vec<*const u8>,
}

// SAFETY: the module is never touched after compilation except to free it on
// drop, which `&mut self` makes exclusive; the entry point is immutable
// machine code that reads only the buffers each call passes, so calling it
// from several threads at once is sound.
#[allow(unsafe_code)]
unsafe impl Send for Kernel {}
// SAFETY: as above; shared access only reads `entries`.
#[allow(unsafe_code)]
unsafe impl Sync for Kernel {}

impl Drop for Kernel {
    #[allow(unsafe_code)]
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: `Kernel` owns the only pointer into this module's code
            // and is being dropped, so no call into it is running or can start.
            unsafe { module.free_memory() };
        }
    }
}

/// A program compiled to native code for one Arrow schema.
pub struct JitProgram {
    kernel: Kernel,
    plan: plan::Plan,
    /// The last dictionary tables of each input, reused by batches that
    /// share a dictionary.
    dictionaries: Vec<batch::DictCache>,
    /// Output position of each computed segment.
    computed: usize,
    /// Positions (in the computed order) of the reported segments.
    reported: Vec<usize>,
    /// Per reported priority group: the positions of its members, in the
    /// group's order.
    groups: Vec<Vec<usize>>,
    /// Every param's value (for what runs in the reference evaluator).
    params: Vec<Const>,
    as_of: i64,
    clif: String,
    compile_time: Duration,
}

fn internal_error(span: Span, what: impl fmt::Display) -> Diagnostic {
    Diagnostic::new(
        Code::E0901,
        span,
        format!("internal error in the JIT: {what}"),
    )
    .with_help("please report this, with the rules and the data's schema, at the Seg issue tracker")
}

impl JitProgram {
    /// Compiles what `evaluator` evaluates (its program, params, `as_of`
    /// and selection) for one Arrow schema: the physical type of every bound
    /// column is specialised at compile time. `binding` comes from
    /// [`seg_eval::Evaluator::bind`] on the same schema. Errors are internal
    /// (E0901).
    pub fn compile(
        evaluator: &Evaluator<'_>,
        arrow_schema: &ArrowSchema,
        binding: &Binding,
        options: &JitOptions,
    ) -> Result<JitProgram, Diagnostic> {
        Self::compile_with_laziness(evaluator, arrow_schema, binding, options, true)
    }

    /// [`JitProgram::compile`], choosing whether string leaves inside an
    /// `and` may be lazy (computed one word at a time, only where the other
    /// operands leave rows undecided). An aggregate's filter runs over a
    /// history's records, where a 64-record word is rarely decided by a time
    /// window alone (measured: `any(web_events where name == "add_to_cart"
    /// and at within 1 day)` took 52 ms per million profiles with lazy
    /// strings and 18 ms without the string), so filters compile without
    /// them and pay one batch-level pass instead.
    pub(crate) fn compile_with_laziness(
        evaluator: &Evaluator<'_>,
        arrow_schema: &ArrowSchema,
        binding: &Binding,
        options: &JitOptions,
        lazy: bool,
    ) -> Result<JitProgram, Diagnostic> {
        let started = Instant::now();
        let span = Span::default();
        let program = evaluator.program();
        let selection = evaluator.selection().clone();
        if let Some(bad) = selection
            .segments()
            .iter()
            .find(|s| s.0 as usize >= program.segments.len())
        {
            return Err(internal_error(span, format!("no segment {}", bad.0)));
        }
        let params = evaluator.params().to_vec();
        let as_of = evaluator.as_of();
        let order = selection.order();
        let mut lowerer = plan::Lowerer::new(program, params.clone(), as_of, arrow_schema, binding);
        let seg_plans = order.iter().map(|&id| lowerer.segment(id)).collect();
        let mut plan = lowerer.finish(seg_plans);
        if !lazy {
            plan.lazy.iter_mut().for_each(|l| *l = false);
        }

        let mut slot_base = Vec::with_capacity(plan.inputs.len());
        let mut next = 0;
        for input in &plan.inputs {
            slot_base.push(next);
            next += input.slot_count();
        }
        let seg_pos: HashMap<SegmentId, usize> =
            order.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let reported = selection
            .segments()
            .iter()
            .map(|id| seg_pos.get(id).copied().unwrap_or(0))
            .collect();
        let groups = selection
            .priorities()
            .iter()
            .filter_map(|&p| program.priorities.get(p))
            .map(|group| {
                group
                    .segments
                    .iter()
                    .filter_map(|id| seg_pos.get(id).copied())
                    .collect()
            })
            .collect();
        let layout = codegen::Layout { slot_base, seg_pos };
        let (kernel, clif) =
            build_kernel(&plan, &layout, options).map_err(|e| internal_error(span, e))?;
        let dictionaries = plan
            .inputs
            .iter()
            .map(|_| batch::DictCache::default())
            .collect();
        Ok(JitProgram {
            kernel,
            plan,
            dictionaries,
            computed: order.len(),
            reported,
            groups,
            params,
            as_of,
            clif,
            compile_time: started.elapsed(),
        })
    }

    /// Evaluates one batch: the same [`Membership`] as
    /// [`seg_eval::Evaluator::evaluate`]. Callable from many threads at once;
    /// each call allocates its own scratch. A batch whose bound columns have
    /// other types than the compiled schema is an error (recompile for it).
    pub fn evaluate(&self, batch: &RecordBatch) -> Result<Membership, Diagnostic> {
        let span = Span::default();
        for (col, dt) in &self.plan.columns {
            match batch.columns().get(*col) {
                Some(array) if array.data_type() == dt => {}
                Some(array) => {
                    return Err(internal_error(
                        span,
                        format!(
                            "column {col} is {} in this batch but was compiled as {dt}; recompile for this schema",
                            array.data_type()
                        ),
                    ));
                }
                None => {
                    return Err(internal_error(
                        span,
                        format!("column {col} is not in this batch; recompile for this schema"),
                    ));
                }
            }
        }
        let ctx = batch::Context {
            plan: &self.plan,
            dictionaries: &self.dictionaries,
            params: &self.params,
            as_of: self.as_of,
        };
        let prepared = batch::prepare(&ctx, batch).map_err(|e| internal_error(span, e))?;
        let rows = batch.num_rows();
        let nwords = rows.div_ceil(64);
        let mut out = vec![0u64; self.computed * nwords];
        self.run(&prepared.slots, rows, &mut out)?;
        if prepared
            .lazy
            .iter()
            .any(|leaf| leaf.failed.load(std::sync::atomic::Ordering::Relaxed))
        {
            return Err(internal_error(
                span,
                "a string leaf failed on a word of this batch",
            ));
        }

        // The membership words become the arrays' buffer as they are: every
        // segment's words start on a 64-bit boundary of the one buffer.
        let out = Buffer::from_vec(out);
        let bits = |pos: usize| BooleanBuffer::new(out.clone(), pos * nwords * 64, rows);
        let segments = self
            .reported
            .iter()
            .map(|&pos| BooleanArray::new(bits(pos), None))
            .collect();
        let priorities = self
            .groups
            .iter()
            .map(|group| {
                let members: Vec<BooleanBuffer> = group.iter().map(|&pos| bits(pos)).collect();
                seg_eval::first_member(&members, rows)
            })
            .collect();
        Ok(Membership {
            segments,
            priorities,
        })
    }

    /// Calls the kernel.
    #[allow(unsafe_code)]
    fn run(&self, slots: &[u64], rows: usize, out: &mut [u64]) -> Result<(), Diagnostic> {
        let expected: usize = self.plan.inputs.iter().map(plan::Input::slot_count).sum();
        if slots.len() != expected || out.len() != self.computed * rows.div_ceil(64) {
            return Err(internal_error(
                Span::default(),
                "slot table of the wrong size",
            ));
        }
        type KernelFn = extern "C" fn(*const u64, u64, *mut u64);
        for &entry in &self.kernel.entries {
            // SAFETY: `entry` is the finalized address of a function that
            // `build_kernel` declared with exactly this signature (three
            // pointer-sized integer parameters, no result, the platform's C
            // calling convention), and the module that owns the code lives as
            // long as `self`.
            let kernel: KernelFn = unsafe { std::mem::transmute::<*const u8, KernelFn>(entry) };
            // Each function reads only what `batch::prepare` checked: values
            // of rows `0..rows` of each column, `rows.div_ceil(64)` words of
            // each word buffer, `len + 1` entries of each dictionary table;
            // and reads and writes words of `out` (`computed × nwords`, its
            // size checked above). They run in evaluation order, so a segment
            // computed by an earlier function is complete when a later one
            // reads it.
            kernel(slots.as_ptr(), rows as u64, out.as_mut_ptr());
        }
        Ok(())
    }

    /// The Cranelift IR of the kernel's functions, as text (for `seg explain
    /// --clif`); empty unless compiled with [`JitOptions::clif`].
    pub fn clif(&self) -> &str {
        &self.clif
    }

    /// The subexpressions evaluated by the reference evaluator rather than by
    /// native code or a dedicated helper, with their segment and the reason.
    pub fn fallbacks(&self) -> &[Fallback] {
        &self.plan.fallbacks
    }

    /// How long [`JitProgram::compile`] took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }
}

fn build_kernel(
    plan: &plan::Plan,
    layout: &codegen::Layout,
    options: &JitOptions,
) -> Result<(Kernel, String), String> {
    let mut flag_builder = settings::builder();
    let set = |b: &mut settings::Builder, k: &str, v: &str| b.set(k, v).map_err(|e| e.to_string());
    set(
        &mut flag_builder,
        "opt_level",
        if options.optimize { "speed" } else { "none" },
    )?;
    set(
        &mut flag_builder,
        "enable_verifier",
        if options.verify { "true" } else { "false" },
    )?;
    set(&mut flag_builder, "is_pic", "false")?;
    let isa = cranelift_native::builder()
        .map_err(|e| e.to_string())?
        .finish(settings::Flags::new(flag_builder))
        .map_err(|e| e.to_string())?;
    let builder = JITBuilder::with_isa(isa.clone(), cranelift_module::default_libcall_names());
    let mut module = JITModule::new(builder);
    let pointer = module.target_config().pointer_type();
    let mut signature = module.make_signature();
    for _ in 0..3 {
        signature.params.push(AbiParam::new(pointer));
    }
    let per_function = match options.segments_per_function {
        0 => DEFAULT_SEGMENTS_PER_FUNCTION,
        n => n,
    };
    // A program without segments still gets one (empty) function, so the
    // kernel always has an entry point.
    let runs: Vec<&[plan::SegPlan]> = if plan.segments.is_empty() {
        vec![&[]]
    } else {
        plan.segments.chunks(per_function).collect()
    };
    let mut ids = Vec::with_capacity(runs.len());
    for i in 0..runs.len() {
        let id = module
            .declare_function(&format!("seg_kernel_{i}"), Linkage::Local, &signature)
            .map_err(|e| e.to_string())?;
        ids.push(id);
    }
    let job = Job {
        plan,
        layout,
        isa: &*isa,
        config: module.target_config(),
        signature: &signature,
        clif: options.clif,
    };
    // The functions are independent, so a program of several compiles them
    // on several threads; one function compiles on this thread, sparing a
    // small program the cost of a spawn.
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(runs.len());
    let compiled: Vec<Result<Compiled, String>> = if threads <= 1 {
        runs.iter()
            .zip(&ids)
            .map(|(run, &id)| job.compile(run, id))
            .collect()
    } else {
        let per_thread = runs.len().div_ceil(threads);
        let work: Vec<(&[&[plan::SegPlan]], &[cranelift_module::FuncId])> = runs
            .chunks(per_thread)
            .zip(ids.chunks(per_thread))
            .collect();
        std::thread::scope(|scope| {
            let job = &job;
            let compile_all = move |runs: &[&[plan::SegPlan]], ids: &[cranelift_module::FuncId]| {
                runs.iter()
                    .zip(ids)
                    .map(|(run, &id)| job.compile(run, id))
                    .collect::<Vec<_>>()
            };
            // A thread the system refuses to start is done on this one.
            let handles: Vec<_> = work
                .into_iter()
                .map(|(runs, ids)| {
                    std::thread::Builder::new()
                        .spawn_scoped(scope, move || compile_all(runs, ids))
                        .map_err(|_| compile_all(runs, ids))
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|handle| match handle {
                    Ok(thread) => thread
                        .join()
                        .unwrap_or_else(|_| vec![Err("a compiler thread panicked".to_string())]),
                    Err(done) => done,
                })
                .collect()
        })
    };
    let mut clif = String::new();
    for (function, &id) in compiled.into_iter().zip(&ids) {
        let function = function?;
        clif.push_str(&function.clif);
        module
            .define_function_bytes(id, function.alignment, &function.bytes, &function.relocs)
            .map_err(|e| e.to_string())?;
    }
    module.finalize_definitions().map_err(|e| e.to_string())?;
    let entries = ids
        .into_iter()
        .map(|id| module.get_finalized_function(id))
        .collect();
    Ok((
        Kernel {
            module: Some(module),
            entries,
        },
        clif,
    ))
}

/// What compiling one kernel function needs; shared by the compiler threads.
struct Job<'a> {
    plan: &'a plan::Plan,
    layout: &'a codegen::Layout,
    isa: &'a dyn cranelift::codegen::isa::TargetIsa,
    config: cranelift::codegen::isa::TargetFrontendConfig,
    signature: &'a Signature,
    clif: bool,
}

/// One kernel function's machine code, ready for the module.
struct Compiled {
    bytes: Vec<u8>,
    alignment: u64,
    relocs: Vec<cranelift_module::ModuleReloc>,
    clif: String,
}

impl Job<'_> {
    /// Generates and compiles the function computing `run`.
    fn compile(
        &self,
        run: &[plan::SegPlan],
        id: cranelift_module::FuncId,
    ) -> Result<Compiled, String> {
        let mut ctx = cranelift::codegen::Context::new();
        ctx.func.signature = self.signature.clone();
        let mut fbc = FunctionBuilderContext::new();
        codegen::emit(
            &mut ctx.func,
            &mut fbc,
            self.plan,
            run,
            self.layout,
            self.config,
        )?;
        let clif = if self.clif {
            ctx.func.display().to_string()
        } else {
            String::new()
        };
        let mut control = cranelift::codegen::control::ControlPlane::default();
        ctx.compile(self.isa, &mut control)
            .map_err(|e| format!("{:?}", e.inner))?;
        let code = ctx.compiled_code().ok_or("no compiled code")?;
        let alignment = u64::from(code.buffer.alignment);
        let bytes = code.code_buffer().to_vec();
        let relocs = code
            .buffer
            .relocs()
            .iter()
            .map(|reloc| cranelift_module::ModuleReloc::from_mach_reloc(reloc, &ctx.func, id))
            .collect();
        Ok(Compiled {
            bytes,
            alignment,
            relocs,
            clif,
        })
    }
}

/// The number of members (set bits) of a membership array, counted 64 rows
/// at a time with the CPU's population count where it has one (the default
/// x86-64 target lacks it, and Arrow's count then costs as much as the
/// kernel that computed the words).
pub fn count_members(array: &BooleanArray) -> usize {
    let bits = array.values();
    let (offset, len) = (bits.offset(), bits.len());
    let Some(bytes) = bits
        .inner()
        .as_slice()
        .get(offset / 8..offset / 8 + len.div_ceil(64) * 8)
        .filter(|_| offset.is_multiple_of(64))
    else {
        return bits.count_set_bits();
    };
    let full = len / 64 * 8;
    let tail = match (len % 64, bytes.get(full..full + 8)) {
        (r, Some(last)) if r > 0 => {
            let w = u64::from_le_bytes(last.try_into().unwrap_or([0; 8]));
            (w & ((1u64 << r) - 1)).count_ones() as usize
        }
        _ => 0,
    };
    popcount(bytes.get(..full).unwrap_or(&[])) + tail
}

/// Set bits of whole little-endian words.
#[inline(always)]
fn count_words(bytes: &[u8]) -> usize {
    bytes
        .chunks_exact(8)
        .map(|w| u64::from_le_bytes(w.try_into().unwrap_or([0; 8])).count_ones() as usize)
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[allow(unsafe_code)]
fn popcount(bytes: &[u8]) -> usize {
    #[target_feature(enable = "popcnt")]
    fn with_popcnt(bytes: &[u8]) -> usize {
        count_words(bytes)
    }
    if std::arch::is_x86_feature_detected!("popcnt") {
        // SAFETY: the CPU has the instruction `with_popcnt` is compiled for
        // (checked on the line above).
        unsafe { with_popcnt(bytes) }
    } else {
        count_words(bytes)
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn popcount(bytes: &[u8]) -> usize {
    count_words(bytes)
}
