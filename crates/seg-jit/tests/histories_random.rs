//! Event histories through the JIT (LANGUAGE.md §7.1) mixed with profile
//! logic, arithmetic over aggregates, profile fields and segments inside
//! filters: the result agrees with the reference evaluator on random histories:
//! missing lists, empty lists, null records, null fields, NaN, ±0.0, integer
//! extremes, decimals of several scales, dictionary strings, struct children
//! in any order with extra children, `List` and `LargeList`, sliced batches.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::record_batch::RecordBatch;
use common::agree;
use proptest::prelude::*;
use seg_testkit::Rng;
use seg_testkit::histories::{Layout, random_profiles};

const PROGRAM: &str = r#"schema {
  id: int key
  i: int
  s: string
  orders: list<{ at: timestamp, amount: decimal, category: string, n: int, x: float, gift: bool }>
}

segment counted { where count(orders) >= 2 }
segment filtered { where count(orders where at within 30 days and amount > 10) >= 1 }
segment any_or_native { where i > 0 or any(orders where category == "shoes") }
segment not_any { where not any(orders where gift) and s is present }
segment summed { where sum(orders.amount where category != "bags") > 25.5 }
segment int_sum { where sum(orders.n) > 100 or sum(orders.n) is missing }
segment averaged { where avg(orders.x) >= 0.0 }
segment avg_decimal { where avg(orders.amount) < 20 }
segment extremes { where max(orders.category) == "toys" or min(orders.n) < 0 }
segment latest { where days_since(max(orders.at)) <= 7 }
segment distinct { where count_distinct(orders.category) >= 2 and count_distinct(orders.x) <= 2 }
segment arithmetic { where count(orders where category == s) * 2 > count(orders) + i }
segment profile_in_filter { where any(orders where n > i) }
segment segment_in_filter { where any(orders where counted and gift == false) }
segment missing_list { where orders is missing }
segment empty_list { where count(orders) == 0 and orders is present }
"#;

/// One random batch of `rows` profiles (`seg_testkit::histories`).
fn random_batch(rng: &mut Rng, rows: usize) -> RecordBatch {
    let layout = Layout::random(rng);
    random_profiles(rng, rows, layout)
}

#[test]
fn logic_around_aggregates_stays_native() {
    let mut rng = Rng::new(1);
    let data = random_batch(&mut rng, 20);
    let jit = agree(PROGRAM, &data);
    // Aggregates compile natively; whatever still runs in the evaluator is a
    // single condition, never a whole segment whose plain parts could be native.
    let fallbacks = jit.fallbacks();
    assert!(
        !fallbacks.iter().any(|f| f.segment_name == "missing_list"
            || f.segment_name == "counted"
            || f.segment_name == "filtered"),
        "{fallbacks:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_jit_agrees_with_the_evaluator_on_random_histories(seed in any::<u64>(), rows in 0usize..120) {
        let mut rng = Rng::new(seed);
        let data = random_batch(&mut rng, rows);
        agree(PROGRAM, &data);
    }

    /// The filter's calendar is the program's: a local date inside a filter,
    /// in a zone with a doubled midnight.
    #[test]
    fn filters_read_local_dates_in_the_programs_zone(seed in any::<u64>(), rows in 0usize..60) {
        let mut rng = Rng::new(seed);
        let data = random_batch(&mut rng, rows);
        let zoned = format!(
            "timezone \"America/Havana\"\n{PROGRAM}\nsegment local_days {{ where any(orders where day(at) == 1 or month(at) == 11) or count(orders where at within 3 days) >= 2 }}\n"
        );
        agree(&zoned, &data);
    }
}
