//! Helpers shared by the JIT's tests: check a program from text, build
//! batches, and assert that the JIT and the reference evaluator agree.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use arrow::array::{Array, BooleanArray};
use arrow::record_batch::RecordBatch;
use seg_ir::Program;
use seg_jit::{JitOptions, JitProgram};

// Not every test binary uses every helper.
#[allow(unused_imports)]
pub use seg_testkit::{AS_OF, batch, program};

/// The options of the tests: the IR verifier on, the IR text kept.
pub fn options() -> JitOptions {
    JitOptions {
        verify: true,
        clif: true,
        ..JitOptions::default()
    }
}

/// Compiles every segment and priority group of `program` for `batch`'s schema.
pub fn compile(program: &Program, batch: &RecordBatch, as_of: i64) -> JitProgram {
    compile_with(program, batch, as_of, &options())
}

/// [`compile`] with these options.
pub fn compile_with(
    program: &Program,
    batch: &RecordBatch,
    as_of: i64,
    options: &JitOptions,
) -> JitProgram {
    let evaluator = seg_eval::Evaluator::new(program, &[], as_of);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    JitProgram::compile(&evaluator, batch.schema().as_ref(), &binding, options)
        .unwrap_or_else(|d| panic!("compile failed: {d:?}"))
}

fn bits(a: &BooleanArray) -> Vec<bool> {
    assert_eq!(a.null_count(), 0, "membership must be non-null");
    (0..a.len()).map(|i| a.value(i)).collect()
}

/// Asserts the JIT and the evaluator agree on `batch` (whole, and sliced at
/// offsets 1, 7, 9 and 63 when long enough), returning the compiled program.
pub fn agree_at(program: &Program, batch: &RecordBatch, as_of: i64) -> JitProgram {
    agree_with(program, batch, as_of, &options())
}

/// [`agree_at`] with these compile options.
pub fn agree_with(
    program: &Program,
    batch: &RecordBatch,
    as_of: i64,
    options: &JitOptions,
) -> JitProgram {
    let jit = compile_with(program, batch, as_of, options);
    let evaluator = seg_eval::Evaluator::new(program, &[], as_of);
    let binding = evaluator.bind(batch.schema().as_ref()).unwrap();
    let mut views = vec![batch.clone()];
    for offset in [1usize, 7, 9, 63] {
        if offset <= batch.num_rows() {
            views.push(batch.slice(offset, batch.num_rows() - offset));
            let end = batch.num_rows() - offset;
            views.push(batch.slice(offset / 2, end.saturating_sub(offset / 2)));
        }
    }
    for view in &views {
        let want = evaluator.evaluate(&binding, view).unwrap();
        let got = jit.evaluate(view).unwrap();
        assert_eq!(want.segments.len(), got.segments.len());
        for (i, (w, g)) in want.segments.iter().zip(&got.segments).enumerate() {
            assert_eq!(
                bits(w),
                bits(g),
                "segment {} differs on {} rows (offset view)\nfallbacks: {:?}",
                program.segments[i].name,
                view.num_rows(),
                jit.fallbacks()
            );
        }
        assert_eq!(want.priorities, got.priorities, "priorities differ");
    }
    jit
}

/// [`agree_at`] at [`AS_OF`].
pub fn agree(source: &str, batch: &RecordBatch) -> JitProgram {
    agree_at(&program(source), batch, AS_OF)
}
