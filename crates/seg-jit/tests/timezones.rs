//! The JIT in a program with a `timezone` (LANGUAGE.md §7.3): constants fold
//! through the evaluator, `year`/`month`/`day` of a timestamp column stay
//! compiled (a batch-level derived column on the local calendar), and only a
//! date column compared with a timestamp goes to the evaluator, with a reason
//! naming the zone. In UTC nothing falls back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::{ArrayRef, Date32Array, Int64Array, TimestampMicrosecondArray};
use std::sync::Arc;

const DAY: i64 = 86_400_000_000;
const HOUR: i64 = 3_600_000_000;

fn program(zone: &str) -> seg_ir::Program {
    common::program(&format!(
        "timezone \"{zone}\"\nschema {{\n  id: int key\n  ts: timestamp\n  dt: date\n}}\n\
         segment local_new_year {{ where month(ts) == 1 and day(ts) == 1 and year(ts) > 2020 }}\n\
         segment since_march {{ where ts >= 2026-03-29 and ts >= 1 month ago }}\n\
         segment today_or_later {{ where dt >= today }}\n\
         segment after_signup {{ where ts >= dt }}\n"
    ))
}

/// Rows every quarter of an hour across the DST changes and new years of
/// 2025-2026 (Berlin, Sydney) and a few months around them.
fn batch() -> arrow::record_batch::RecordBatch {
    let starts = [
        1_743_199_200_000_000i64, // 2025-03-28T22:00:00Z
        1_774_648_800_000_000,    // 2026-03-27T22:00:00Z
        1_761_264_000_000_000,    // 2025-10-24T00:00:00Z
        1_792_713_600_000_000,    // 2026-10-23T00:00:00Z
        1_767_139_200_000_000,    // 2025-12-31T00:00:00Z
        1_775_174_400_000_000,    // 2026-04-03T00:00:00Z
        1_790_899_200_000_000,    // 2026-10-02T00:00:00Z
    ];
    let mut ts = Vec::new();
    for start in starts {
        for k in 0..(3 * 24 * 4) {
            ts.push(Some(start + k * HOUR / 4));
        }
    }
    ts.push(None);
    let dt: Vec<Option<i32>> = ts
        .iter()
        .enumerate()
        .map(|(i, t)| t.map(|t| (t.div_euclid(DAY) + (i as i64 % 3) - 1) as i32))
        .collect();
    let id: Vec<i64> = (0..ts.len() as i64).collect();
    common::batch(vec![
        ("id", Arc::new(Int64Array::from(id)) as ArrayRef),
        (
            "ts",
            Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
        ),
        ("dt", Arc::new(Date32Array::from(dt))),
    ])
}

#[test]
fn zoned_programs_agree_with_the_evaluator_and_fall_back_only_per_row_midnights() {
    let data = batch();
    for zone in [
        "Europe/Berlin",
        "Australia/Sydney",
        "Asia/Kolkata",
        "Asia/Kathmandu",
    ] {
        let program = program(zone);
        for as_of in [
            1_774_747_800_000_000i64, // 2026-03-29T01:30:00Z
            1_777_422_600_000_000,    // 2026-04-29T00:30:00Z
            1_795_570_200_000_000,    // 2026-11-25T01:30:00Z
            common::AS_OF,
        ] {
            let jit = common::agree_at(&program, &data, as_of);
            let reasons: Vec<&str> = jit.fallbacks().iter().map(|f| f.reason.as_str()).collect();
            assert_eq!(
                reasons,
                [format!(
                    "a date column compared with a timestamp (local midnight in {zone})"
                )],
                "{zone}"
            );
            assert_eq!(jit.fallbacks()[0].segment_name, "after_signup");
        }
    }
}

#[test]
fn utc_compiles_everything_natively() {
    let data = batch();
    for zone in ["UTC", "Etc/UTC"] {
        let jit = common::agree_at(&program(zone), &data, common::AS_OF);
        assert!(jit.fallbacks().is_empty(), "{:?}", jit.fallbacks());
    }
}
