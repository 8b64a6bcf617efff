//! Running a program's `test` blocks: each test builds one profile from its
//! `given` fields (the others missing), evaluates every segment at the
//! test's `as_of` (or the default instant) on the reference evaluator, and
//! checks each `expect`. A failure says what was expected, what the
//! segment's `where` and `exclude` evaluated to, and the values of the
//! fields involved. `seg test` renders the results; tools call
//! [`run_test`] themselves.

use seg_ir::{Const, Program, Test};
use std::collections::HashSet;

fn truth(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "true",
        Some(false) => "false",
        None => "unknown",
    }
}

/// A constant as a user would write it.
fn show(value: &Const) -> String {
    match value {
        Const::Int(v) => v.to_string(),
        Const::Float(v) => v.to_string(),
        Const::Decimal { unscaled, scale } => {
            let digits = unscaled.unsigned_abs().to_string();
            let scale = usize::from(*scale);
            let sign = if *unscaled < 0 { "-" } else { "" };
            if scale == 0 {
                format!("{sign}{digits}")
            } else {
                let padded = format!("{digits:0>width$}", width = scale + 1);
                let (int, frac) = padded.split_at(padded.len() - scale);
                format!("{sign}{int}.{frac}")
            }
        }
        Const::Bool(v) => v.to_string(),
        Const::String(s) => format!("{s:?}"),
        Const::Date(d) => crate::format_instant(i64::from(*d) * 86_400_000_000)
            .split('T')
            .next()
            .unwrap_or_default()
            .to_string(),
        Const::Timestamp(t) => crate::format_instant(*t),
        Const::ListString(items) => format!("{items:?}"),
        Const::ListInt(items) => format!("{items:?}"),
        Const::Duration(d) => format!("{} {:?}", d.amount, d.unit).to_lowercase(),
        c @ Const::Records { .. } => crate::ir::const_text(c),
    }
}

/// One expectation of a test that did not hold.
#[derive(Clone, Debug)]
pub struct Failure {
    /// What was expected, what the segment's `where` and `exclude`
    /// evaluated to, and the values of the fields they read.
    pub message: String,
    /// The conditions' tree with every clause's value and the clause that
    /// decided, as `seg why` explains a verdict (none when the explanation
    /// itself failed, which the message does not depend on).
    pub conditions: Option<crate::why::SegmentWhy>,
}

/// Runs one test; returns the expectations that failed (none when it
/// passes), or why the test could not run.
pub fn run_test(
    program: &Program,
    test: &Test,
    default: &crate::RunOptions,
) -> Result<Vec<Failure>, String> {
    let batch =
        crate::eval::profile_batch(&program.schema, &test.given).map_err(|e| e.to_string())?;
    // The program as checked, on the reference evaluator: a failure shows
    // what the conditions the user wrote evaluate to.
    // The test's own `as_of` (a date already at midnight in the program's
    // zone), or `--as-of` (a date there becomes midnight in that zone).
    let options = match test.as_of {
        Some(t) => crate::RunOptions::default().as_of(t),
        None => default.clone(),
    }
    .optimize(false);
    let query = crate::Query::prepare(program, &options).map_err(|e| e.message)?;
    let binding = query
        .bind(&batch.schema())
        .map_err(|d| d.first().map(|d| d.message.clone()).unwrap_or_default())?;
    let membership = query
        .compile(crate::Engine::Interp, &binding)
        .and_then(|executor| executor.evaluate(&batch))
        .map_err(|d| d.message)?;
    let mut failures = Vec::new();
    for expect in &test.expects {
        let member = membership.segments[expect.segment.0 as usize].value(0);
        if member == expect.member {
            continue;
        }
        let segment = &program.segments[expect.segment.0 as usize];
        let (where_, exclude) = query
            .evaluator()
            .conditions(binding.columns(), &batch, expect.segment)
            .map_err(|d| d.message)?;
        let mut why = format!("`where` is {}", truth(where_[0]));
        if let Some(exclude) = exclude {
            why.push_str(&format!(", `exclude` is {}", truth(exclude[0])));
        }
        let mut fields = Vec::new();
        for condition in std::iter::once(&segment.where_).chain(segment.exclude.iter()) {
            crate::ir::field_refs(condition, &mut fields);
        }
        let mut seen = HashSet::new();
        let values: Vec<String> = fields
            .into_iter()
            .filter(|(id, _)| seen.insert(*id))
            .map(|(id, _)| {
                let name = &program.schema.field(id).name;
                match test.given.iter().find(|(f, _)| *f == id) {
                    Some((_, value)) => format!("{name} = {}", show(value)),
                    None => format!("{name} is missing"),
                }
            })
            .collect();
        let expected = if expect.member {
            "a member"
        } else {
            "not a member"
        };
        let actual = if member { "is one" } else { "is not" };
        let mut message = format!(
            "expected the profile to be {expected} of `{}`, but it {actual}: {why}",
            segment.name
        );
        if !values.is_empty() {
            message.push_str(&format!("\n        reads: {}", values.join(", ")));
        }
        // The test's profile is the data: its values are the user's own, so
        // nothing is masked.
        let options = crate::WhyOptions {
            key: String::new(),
            show_pii: true,
            batch_rows: 1,
            sources: None,
        };
        let conditions = crate::why::explain_segment(
            &query,
            binding.columns(),
            &batch,
            0,
            expect.segment,
            &options,
        )
        .ok();
        failures.push(Failure {
            message,
            conditions,
        });
    }
    Ok(failures)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    #[test]
    fn a_failing_expectation_says_what_the_condition_read() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema { orders: int }\nsegment buyers { where orders > 0 }\n\
             test \"pass\" { as_of 2026-11-24 given { orders: 1 } expect buyers }\n\
             test \"fail\" { as_of 2026-11-24 given { orders: 0 } expect buyers }\n",
        );
        let program = checked.program.expect("the rules check");
        let options = crate::RunOptions::default();
        assert!(
            super::run_test(&program, &program.tests[0], &options)
                .unwrap()
                .is_empty()
        );
        let failures = super::run_test(&program, &program.tests[1], &options).unwrap();
        assert_eq!(failures.len(), 1);
        assert_eq!(
            failures[0].message,
            "expected the profile to be a member of `buyers`, but it is not: `where` is false\n        reads: orders = 0"
        );
        // The explanation agrees: `where` is false, decided by its only clause.
        let conditions = failures[0].conditions.as_ref().expect("explained");
        assert_eq!(conditions.where_.text, "orders > 0");
        assert_eq!(conditions.deciding, "orders > 0");
    }
}
