//! The generated table: its schema, determinism, NULL rates, row invariants and the
//! Parquet round trip.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::HashSet;
use std::sync::OnceLock;

use arrow::array::{
    Array, AsArray, BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array,
    Int8Array, Int32Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int32Type, TimeUnit};
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use seg_datagen::{AS_OF_MICROS, Generator, INTERESTS, generate, schema, write_parquet};

/// 50,000 rows of seed 7 in batches of 8,192, concatenated; shared by the tests.
fn table() -> &'static RecordBatch {
    static TABLE: OnceLock<RecordBatch> = OnceLock::new();
    TABLE.get_or_init(|| {
        let batches = generate(50_000, 7, 8_192).unwrap();
        concat_batches(&schema(), &batches).unwrap()
    })
}

fn col<'a, T: 'static>(batch: &'a RecordBatch, name: &str) -> &'a T {
    batch
        .column_by_name(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .as_any()
        .downcast_ref::<T>()
        .unwrap_or_else(|| panic!("column {name} has another type"))
}

fn null_rate(batch: &RecordBatch, name: &str) -> f64 {
    let c = batch.column_by_name(name).unwrap();
    c.logical_null_count() as f64 / c.len() as f64
}

#[test]
fn schema_has_the_twenty_benchmark_columns() {
    let dict = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
    let expected = [
        ("customer_id", DataType::Int64),
        ("email", DataType::Utf8),
        ("age", DataType::Int32),
        ("gender", dict.clone()),
        ("country", dict.clone()),
        ("state", DataType::Utf8),
        ("city", DataType::Utf8),
        ("signup_date", DataType::Date32),
        (
            "last_purchase_at",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ),
        ("lifetime_value", DataType::Float64),
        ("total_orders", DataType::Int32),
        ("avg_order_value", DataType::Float64),
        ("loyalty_tier", dict),
        ("email_opt_in", DataType::Boolean),
        ("sms_opt_in", DataType::Boolean),
        ("churn_score", DataType::Float32),
        ("nps", DataType::Int8),
        ("interests", DataType::new_list(DataType::Utf8, true)),
        ("device", DataType::Utf8),
        ("total_spend_12m", DataType::Decimal128(12, 2)),
    ];
    let s = schema();
    assert_eq!(s.fields().len(), 20);
    for (field, (name, ty)) in s.fields().iter().zip(&expected) {
        assert_eq!(field.name(), name);
        assert_eq!(field.data_type(), ty, "type of {name}");
        assert!(field.is_nullable(), "{name} is nullable, as in pyarrow");
    }
    let batch = Generator::new(1).batch(0, 10).unwrap();
    assert_eq!(batch.schema(), s);
}

#[test]
fn as_of_is_2026_11_24_midnight_utc() {
    assert_eq!(AS_OF_MICROS, 1_795_478_400_000_000);
}

#[test]
fn same_seed_same_table_other_seed_other_table() {
    let a = generate(5_000, 42, 1_024).unwrap();
    let b = generate(5_000, 42, 1_024).unwrap();
    assert_eq!(a, b);
    let c = generate(5_000, 43, 1_024).unwrap();
    assert_eq!(a.len(), c.len());
    for (x, y) in a.iter().zip(&c) {
        assert_ne!(x, y);
    }
}

#[test]
fn batches_are_independent_and_tile_the_table() {
    let all = generate(2_500, 42, 1_000).unwrap();
    assert_eq!(
        all.iter().map(RecordBatch::num_rows).collect::<Vec<_>>(),
        [1_000, 1_000, 500]
    );
    let g = Generator::new(42);
    // Any batch on its own, in any order, is the same batch.
    assert_eq!(g.batch(1, 1_000).unwrap(), all[1]);
    assert_eq!(g.batch(0, 1_000).unwrap(), all[0]);
    assert_eq!(g.batch_at(2, 2_000, 500).unwrap(), all[2]);
    // Customer ids increase strictly across batches, each row in its own window of 3.
    let table = concat_batches(&schema(), &all).unwrap();
    let ids = col::<Int64Array>(&table, "customer_id");
    assert_eq!(ids.null_count(), 0);
    for (row, id) in ids.values().iter().enumerate() {
        let base = 1_000_000 + 3 * row as i64;
        assert!((base..base + 3).contains(id), "row {row}: id {id}");
    }
    assert!(ids.values().windows(2).all(|w| w[0] < w[1]));
    assert!(generate(10, 1, 0).is_err());
    assert!(generate(0, 1, 10).unwrap().is_empty());
}

#[test]
fn null_rates_match_the_benchmark_table() {
    let t = table();
    let expect = [
        ("customer_id", 0.0),
        ("email", 0.08),
        ("age", 0.12),
        ("gender", 0.06),
        ("country", 0.0),
        ("city", 0.03),
        ("signup_date", 0.0),
        ("lifetime_value", 0.0),
        ("total_orders", 0.0),
        ("loyalty_tier", 0.18),
        ("email_opt_in", 0.0),
        ("sms_opt_in", 0.15),
        ("churn_score", 0.0),
        ("nps", 0.20),
        ("interests", 0.04),
        ("device", 0.0),
        ("total_spend_12m", 0.0),
    ];
    for (name, rate) in expect {
        let got = null_rate(t, name);
        assert!(
            (got - rate).abs() < 0.01,
            "{name}: null rate {got:.4}, expected ~{rate}"
        );
    }
    // No orders for ~11% (a little more among recent sign-ups).
    let never = null_rate(t, "last_purchase_at");
    assert!((0.09..0.14).contains(&never), "no orders: {never:.4}");
    // US ~36% of rows; state is null for 5% of them and for every other row.
    let us = country_codes(t).iter().filter(|c| *c == "US").count() as f64 / t.num_rows() as f64;
    assert!((us - 0.36).abs() < 0.01, "US share {us:.4}");
    let state_null = null_rate(t, "state");
    let expected = 1.0 - us * 0.95;
    assert!(
        (state_null - expected).abs() < 0.01,
        "state null rate {state_null:.4}"
    );
}

fn country_codes(t: &RecordBatch) -> Vec<String> {
    let dict = t
        .column_by_name("country")
        .unwrap()
        .as_dictionary::<Int32Type>();
    let values = dict.values().as_string::<i32>();
    dict.keys()
        .iter()
        .map(|k| values.value(k.unwrap() as usize).to_owned())
        .collect()
}

#[test]
fn rows_are_internally_consistent() {
    let t = table();
    let orders = col::<Int32Array>(t, "total_orders");
    let last = col::<TimestampMicrosecondArray>(t, "last_purchase_at");
    let aov = col::<Float64Array>(t, "avg_order_value");
    let ltv = col::<Float64Array>(t, "lifetime_value");
    let spend = col::<Decimal128Array>(t, "total_spend_12m");
    let signup = col::<Date32Array>(t, "signup_date");
    let email = col::<StringArray>(t, "email");
    let opt_in = col::<BooleanArray>(t, "email_opt_in");
    let state = col::<StringArray>(t, "state");
    let churn = col::<Float32Array>(t, "churn_score");
    let nps = col::<Int8Array>(t, "nps");
    let age = col::<Int32Array>(t, "age");
    let interests = t.column_by_name("interests").unwrap().as_list::<i32>();
    let countries = country_codes(t);
    let tags: HashSet<&str> = INTERESTS.into_iter().collect();
    assert_eq!(tags.len(), 30);

    for (i, country) in countries.iter().enumerate() {
        let n = orders.value(i);
        assert!((0..=2_000).contains(&n));
        assert_eq!(
            last.is_null(i),
            n == 0,
            "row {i}: last_purchase_at vs orders"
        );
        assert_eq!(aov.is_null(i), n == 0, "row {i}: avg_order_value vs orders");
        assert!(ltv.value(i).is_finite() && ltv.value(i) >= 0.0);
        if n == 0 {
            assert_eq!(ltv.value(i), 0.0);
            assert_eq!(spend.value(i), 0);
        } else {
            assert!(aov.value(i) > 0.0 && aov.value(i).is_finite());
            let ts = last.value(i);
            assert!(ts < AS_OF_MICROS, "row {i}: purchase at or after as-of");
            let signup_micros = i64::from(signup.value(i)) * 86_400_000_000;
            assert!(ts > signup_micros, "row {i}: purchase before sign-up");
        }
        assert!(spend.value(i) >= 0);
        assert!(spend.value(i) as f64 <= ltv.value(i) * 100.0 + 0.5);
        let day = signup.value(i);
        assert!((16_071..=20_780).contains(&day), "row {i}: signup {day}");
        if email.is_null(i) {
            assert!(!opt_in.value(i), "row {i}: opt-in without e-mail");
        } else {
            assert!(email.value(i).contains('@'));
        }
        assert!(opt_in.is_valid(i));
        if country != "US" {
            assert!(state.is_null(i), "row {i}: state outside the US");
        } else if state.is_valid(i) {
            assert_eq!(state.value(i).len(), 2);
        }
        let c = churn.value(i);
        assert!(c > 0.0 && c < 1.0, "row {i}: churn {c}");
        if nps.is_valid(i) {
            assert!((0..=10).contains(&nps.value(i)));
        }
        if age.is_valid(i) {
            assert!((18..=90).contains(&age.value(i)));
        }
        if interests.is_valid(i) {
            let list = interests.value(i);
            let list = list.as_string::<i32>();
            assert_eq!(list.null_count(), 0);
            assert!(list.len() <= 6);
            let distinct: HashSet<&str> = list.iter().flatten().collect();
            assert_eq!(distinct.len(), list.len(), "row {i}: repeated tag");
            assert!(distinct.iter().all(|t| tags.contains(t)));
        } else {
            assert_eq!(interests.value_length(i), 0, "a null list owns no values");
        }
    }
}

#[test]
fn distributions_have_the_benchmark_shape() {
    let t = table();
    let rows = t.num_rows() as f64;
    let opt_in = col::<BooleanArray>(t, "email_opt_in");
    let email_rate = opt_in.true_count() as f64 / rows;
    // 62% of the 92% with an e-mail address.
    assert!(
        (email_rate - 0.62 * 0.92).abs() < 0.015,
        "email opt-in {email_rate:.4}"
    );
    let sms = col::<BooleanArray>(t, "sms_opt_in");
    let sms_rate = sms.true_count() as f64 / (rows - sms.null_count() as f64);
    assert!((sms_rate - 0.27).abs() < 0.015, "sms opt-in {sms_rate:.4}");

    let mut aov: Vec<f64> = col::<Float64Array>(t, "avg_order_value")
        .iter()
        .flatten()
        .collect();
    aov.sort_by(f64::total_cmp);
    let median = aov[aov.len() / 2];
    assert!(
        (55.0..70.0).contains(&median),
        "median order value {median}"
    );

    let mut ages: Vec<i32> = col::<Int32Array>(t, "age").iter().flatten().collect();
    ages.sort_unstable();
    let median_age = ages[ages.len() / 2];
    assert!((33..=42).contains(&median_age), "median age {median_age}");

    let nps = col::<Int8Array>(t, "nps");
    let promoters = nps.iter().flatten().filter(|&s| s >= 9).count() as f64;
    let share = promoters / (rows - nps.null_count() as f64);
    assert!((share - 0.54).abs() < 0.02, "promoters {share:.4}");

    // Every tier and every device occurs.
    let tiers = t
        .column_by_name("loyalty_tier")
        .unwrap()
        .as_dictionary::<Int32Type>();
    let names = tiers.values().as_string::<i32>();
    let used: HashSet<&str> = tiers
        .keys()
        .iter()
        .flatten()
        .map(|k| names.value(k as usize))
        .collect();
    assert_eq!(
        used,
        HashSet::from(["bronze", "silver", "gold", "platinum"])
    );
    let devices: HashSet<&str> = col::<StringArray>(t, "device").iter().flatten().collect();
    assert_eq!(devices.len(), 3);
}

#[test]
fn parquet_round_trip_equals_generate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("profiles.parquet");
    write_parquet(&path, 3_000, 42, 1_000).unwrap();
    // Only the finished file is left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["profiles.parquet"]);

    let builder = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .with_batch_size(1_000);
    let meta = builder.metadata().clone();
    assert_eq!(meta.num_row_groups(), 3);
    for rg in meta.row_groups() {
        assert_eq!(rg.num_rows(), 1_000);
    }
    assert_eq!(builder.schema(), &schema());
    let read: Vec<RecordBatch> = builder.build().unwrap().map(Result::unwrap).collect();
    let expected = generate(3_000, 42, 1_000).unwrap();
    assert_eq!(read.len(), expected.len());
    for (got, want) in read.iter().zip(&expected) {
        assert_eq!(got, want);
    }
}

#[test]
fn write_parquet_rejects_bad_arguments_without_leaving_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.parquet");
    assert!(write_parquet(&path, 10, 1, 0).is_err());
    let missing = dir.path().join("no/such/dir/x.parquet");
    assert!(write_parquet(&missing, 10, 1, 5).is_err());
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

mod histories {
    use super::*;
    use arrow::array::ListArray;
    use seg_datagen::histories::{MAX_ORDERS, flatten, histories, schema_with_histories};

    /// The first 8,192-row batch of seed 7 with its histories.
    fn batch() -> &'static RecordBatch {
        static BATCH: OnceLock<RecordBatch> = OnceLock::new();
        BATCH.get_or_init(|| {
            let profiles = Generator::new(7).batch(0, 8_192).unwrap();
            let [orders, web] = histories(7, 0, &profiles).unwrap();
            let mut columns = profiles.columns().to_vec();
            columns.push(orders);
            columns.push(web);
            RecordBatch::try_new(schema_with_histories(), columns).unwrap()
        })
    }

    fn list<'a>(batch: &'a RecordBatch, name: &str) -> &'a ListArray {
        batch.column_by_name(name).unwrap().as_list::<i32>()
    }

    #[test]
    fn order_histories_agree_with_the_profile_columns() {
        let b = batch();
        let orders = list(b, "orders");
        let total = col::<Int32Array>(b, "total_orders");
        let last = col::<TimestampMicrosecondArray>(b, "last_purchase_at");
        let signup = col::<Date32Array>(b, "signup_date");
        let records = orders.values().as_struct();
        let at = records
            .column_by_name("at")
            .unwrap()
            .as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
        let (mut missing, mut empty) = (0, 0);
        for row in 0..b.num_rows() {
            if orders.is_null(row) {
                missing += 1;
                continue;
            }
            let (lo, hi) = (
                orders.value_offsets()[row] as usize,
                orders.value_offsets()[row + 1] as usize,
            );
            let n = hi - lo;
            assert!(
                n <= MAX_ORDERS && n <= total.value(row) as usize,
                "row {row}"
            );
            if total.value(row) == 0 {
                assert_eq!(n, 0, "no orders, no history (row {row})");
            }
            if n == 0 {
                empty += 1;
                continue;
            }
            // Oldest first; the newest is the profile's last purchase, and none is
            // before sign-up.
            let times: Vec<i64> = (lo..hi).map(|i| at.value(i)).collect();
            assert!(times.windows(2).all(|w| w[0] <= w[1]), "row {row}");
            assert_eq!(times[n - 1], last.value(row), "row {row}");
            let signup_micros = i64::from(signup.value(row)) * 86_400_000_000;
            assert!(times[0] >= signup_micros, "row {row}");
        }
        let share = missing as f64 / b.num_rows() as f64;
        assert!((0.01..0.03).contains(&share), "missing histories {share}");
        assert!(empty > 0);
        let null_records = records.null_count();
        assert!(null_records > 0, "some null records");
    }

    #[test]
    fn histories_leave_the_profile_columns_unchanged_and_are_deterministic() {
        let plain = Generator::new(7).batch(0, 8_192).unwrap();
        let b = batch();
        for (i, field) in plain.schema().fields().iter().enumerate() {
            assert_eq!(plain.column(i), b.column_by_name(field.name()).unwrap());
        }
        let again = histories(7, 0, &plain).unwrap();
        assert_eq!(&again[0], b.column_by_name("orders").unwrap());
        assert_eq!(&again[1], b.column_by_name("web_events").unwrap());
        let other = histories(8, 0, &plain).unwrap();
        assert_ne!(&other[0], b.column_by_name("orders").unwrap());
    }

    #[test]
    fn flat_tables_hold_one_row_per_present_record() {
        let b = batch();
        for name in ["orders", "web_events"] {
            let lists = list(b, name);
            let records = lists.values().as_struct();
            let mut expected = 0;
            for row in 0..lists.len() {
                if lists.is_valid(row) {
                    let (lo, hi) = (lists.value_offsets()[row], lists.value_offsets()[row + 1]);
                    expected += (lo..hi).filter(|&i| records.is_valid(i as usize)).count();
                }
            }
            let flat = flatten(b, name).unwrap();
            assert_eq!(flat.num_rows(), expected, "{name}");
            assert_eq!(flat.schema().field(0).name(), "customer_id");
            assert_eq!(flat.column(0).null_count(), 0);
        }
    }

    #[test]
    fn the_files_are_written_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.parquet");
        let extras = seg_datagen::Extras {
            histories: true,
            events_dir: Some(dir.path().to_path_buf()),
        };
        seg_datagen::write_parquet_with(&path, 3_000, 7, 1_000, &extras).unwrap();
        let read = |p: &std::path::Path| {
            let file = std::fs::File::open(p).unwrap();
            let reader = ParquetRecordBatchReaderBuilder::try_new(file)
                .unwrap()
                .build()
                .unwrap();
            reader.map(|b| b.unwrap().num_rows()).sum::<usize>()
        };
        assert_eq!(read(&path), 3_000);
        assert!(read(&dir.path().join("orders.parquet")) > 3_000);
        assert!(read(&dir.path().join("web_events.parquet")) > 0);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
    }
}

/// `examples/profiles.parquet` is exactly the generator's output for
/// `--rows 20000 --seed 42 --row-group-rows 5000 --histories` (its 20
/// profile columns therefore unchanged by the histories), and
/// `examples/orders.parquet` and `examples/web_events.parquet` are the same
/// histories flattened (`--events-dir examples/`).
#[test]
fn the_bundled_files_are_the_generator_output() {
    use seg_datagen::histories::{flatten, histories, schema_with_histories};
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let read = |name: &str, batch_rows: usize| -> Vec<RecordBatch> {
        let file = std::fs::File::open(examples.join(name)).unwrap();
        ParquetRecordBatchReaderBuilder::try_new(file)
            .unwrap()
            .with_batch_size(batch_rows)
            .build()
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let bundled = read("profiles.parquet", 5_000);
    assert_eq!(bundled.len(), 4);
    let generator = Generator::new(42);
    let mut expected = Vec::new();
    for (i, read) in bundled.iter().enumerate() {
        let profiles = generator.batch(i as u64, 5_000).unwrap();
        let [orders, web] = histories(42, i as u64, &profiles).unwrap();
        let mut columns = profiles.columns().to_vec();
        columns.push(orders);
        columns.push(web);
        let batch = RecordBatch::try_new(schema_with_histories(), columns).unwrap();
        for field in batch.schema().fields() {
            assert_eq!(
                read.column_by_name(field.name()).unwrap(),
                batch.column_by_name(field.name()).unwrap(),
                "row group {i}, column {}",
                field.name()
            );
        }
        expected.push(batch);
    }
    for name in ["orders", "web_events"] {
        let flat: Vec<RecordBatch> = expected.iter().map(|b| flatten(b, name).unwrap()).collect();
        let flat = concat_batches(&flat[0].schema(), &flat).unwrap();
        let read = read(&format!("{name}.parquet"), 1 << 20);
        let read = concat_batches(&read[0].schema(), &read).unwrap();
        assert_eq!(read.num_rows(), flat.num_rows(), "{name}");
        for field in flat.schema().fields() {
            assert_eq!(
                read.column_by_name(field.name()).unwrap(),
                flat.column_by_name(field.name()).unwrap(),
                "{name}.{}",
                field.name()
            );
        }
    }
}
