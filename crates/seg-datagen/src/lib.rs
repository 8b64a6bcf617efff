//! The project's own generator of the customer-profile table, modelled on the shared
//! benchmark generator `gen_profiles.py` (kept outside this repository).
//!
//! It writes the same 20 columns, with the same names, Arrow types and order, and with
//! distributions and NULL rates of a similar shape (it is not bit-identical to the
//! numpy-based script):
//!
//! | column             | type                      | distribution (nulls)                             |
//! |--------------------|---------------------------|--------------------------------------------------|
//! | `customer_id`      | `int64`                   | unique, increasing with gaps (0%)                |
//! | `email`            | `utf8`                    | name patterns @ skewed domains (8%)              |
//! | `age`              | `int32`                   | 18..=90, mode ~35 (12%)                          |
//! | `gender`           | `dictionary<int32, utf8>` | female/male/non_binary/undisclosed (6%)          |
//! | `country`          | `dictionary<int32, utf8>` | 40 ISO codes, US ~36% (0%)                       |
//! | `state`            | `utf8`                    | US states by population; US rows only (5% of US) |
//! | `city`             | `utf8`                    | real cities, Zipf within state/country (3%)      |
//! | `signup_date`      | `date32`                  | 2014-01-01..=2026-11-23, recent more often       |
//! | `last_purchase_at` | `timestamp[us, UTC]`      | before [`AS_OF_MICROS`]; null iff no orders      |
//! | `lifetime_value`   | `float64`                 | orders × order value × returns (0%)              |
//! | `total_orders`     | `int32`                   | 0 for ~11%, else 1 + negative binomial           |
//! | `avg_order_value`  | `float64`                 | log-normal, median ~62; null iff no orders       |
//! | `loyalty_tier`     | `dictionary<int32, utf8>` | bronze..platinum by value (18%)                  |
//! | `email_opt_in`     | `bool`                    | ~62% true, false without e-mail (0%)             |
//! | `sms_opt_in`       | `bool`                    | ~27% true (15%)                                  |
//! | `churn_score`      | `float32`                 | in (0, 1), driven by recency (0%)                |
//! | `nps`              | `int8`                    | 0..=10, skewed to promoters (20%)                |
//! | `interests`        | `list<utf8>`              | 0..=6 distinct of [`INTERESTS`] (4% null list)   |
//! | `device`           | `utf8`                    | ios/android/web (0%)                             |
//! | `total_spend_12m`  | `decimal128(12, 2)`       | spend in the 12 months before as-of (0%)         |
//!
//! With [`Extras::histories`] two event-history columns follow, `orders` and
//! `web_events` (`list<struct>`, see [`histories`]), drawn from a stream of their own so
//! that the 20 columns stay bit-identical; [`Extras::events_dir`] also writes them as
//! flat event tables for `seg run --events`.
//!
//! As in the Python schema every field is nullable, list elements included (though no
//! list element is ever null). There are no NaNs and no infinities.
//!
//! # Determinism
//!
//! Batch `index` is drawn from its own ChaCha8 stream keyed by `(seed, index)`, so batches
//! can be generated independently and in any order, and the same `(rows, seed,
//! batch_rows)` gives identical batches on every machine (all transcendental functions
//! come from the portable `libm` crate). The catalogue of made-up e-mail domains is drawn
//! once per seed from a stream of its own. The table does depend on the batch size: a
//! batch is a unit of the random streams, as a row group is in the Python generator.

mod catalog;
pub mod histories;
mod random;

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, Decimal128Array, DictionaryArray, Float32Array,
    Float64Array, Int8Array, Int32Array, Int64Array, ListBuilder, StringArray, StringBuilder,
    TimestampMicrosecondArray,
};
use arrow::datatypes::{DataType, Field, Int32Type, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

pub use catalog::INTERESTS;
use catalog::*;
use random::{Stream, Weighted};

/// The as-of instant of the table, 2026-11-24T00:00:00Z, in microseconds since the epoch:
/// every `last_purchase_at` is before it and `total_spend_12m` covers the year before it.
pub const AS_OF_MICROS: i64 = AS_OF_DAY as i64 * DAY_MICROS;

/// 2026-11-24 in days since the epoch.
const AS_OF_DAY: i32 = 20_781;
/// The first sign-up date, 2014-01-01, in days since the epoch.
const SIGNUP_FIRST: i32 = 16_071;
/// The last sign-up date, 2026-11-23, in days since the epoch.
const SIGNUP_LAST: i32 = 20_780;
/// Microseconds in a day.
const DAY_MICROS: i64 = 86_400 * 1_000_000;
/// The first customer id; row `r` owns the ids `FIRST_ID + 3r ..= FIRST_ID + 3r + 2`.
const FIRST_ID: i64 = 1_000_000;
/// Largest value of decimal128(12, 2), in cents.
const MAX_CENTS: i64 = 9_999_999_999;

/// Domain tag of the row streams.
const ROWS_TAG: &[u8; 16] = b"seg-datagen/rows";
/// Domain tag of the catalogue stream.
const CATALOG_TAG: &[u8; 16] = b"seg-datagen/cat.";

/// The Arrow schema of the profile table: 20 nullable fields, in the order of
/// the shared benchmark generator `gen_profiles.py`.
pub fn schema() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let dict = || DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
            Arc::new(Schema::new(vec![
                Field::new("customer_id", DataType::Int64, true),
                Field::new("email", DataType::Utf8, true),
                Field::new("age", DataType::Int32, true),
                Field::new("gender", dict(), true),
                Field::new("country", dict(), true),
                Field::new("state", DataType::Utf8, true),
                Field::new("city", DataType::Utf8, true),
                Field::new("signup_date", DataType::Date32, true),
                Field::new(
                    "last_purchase_at",
                    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                    true,
                ),
                Field::new("lifetime_value", DataType::Float64, true),
                Field::new("total_orders", DataType::Int32, true),
                Field::new("avg_order_value", DataType::Float64, true),
                Field::new("loyalty_tier", dict(), true),
                Field::new("email_opt_in", DataType::Boolean, true),
                Field::new("sms_opt_in", DataType::Boolean, true),
                Field::new("churn_score", DataType::Float32, true),
                Field::new("nps", DataType::Int8, true),
                Field::new(
                    "interests",
                    DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
                    true,
                ),
                Field::new("device", DataType::Utf8, true),
                Field::new("total_spend_12m", DataType::Decimal128(12, 2), true),
            ]))
        })
        .clone()
}

/// The distributions of one seed: catalogues and weight tables, built once.
struct Tables {
    countries: Weighted,
    states: Weighted,
    state_cities: Vec<Weighted>,
    country_cities: Vec<Weighted>,
    first_names: Weighted,
    last_names: Weighted,
    email_patterns: Weighted,
    global_domains: Weighted,
    other_domains: Vec<String>,
    other_domain_weights: Weighted,
    genders: Weighted,
    recency_kinds: Weighted,
    nps: Weighted,
    interest_counts: Weighted,
    interests: Weighted,
    devices: Weighted,
}

impl Tables {
    fn new(seed: u64) -> Self {
        let zipf_cities = |lists: &[&[&str]]| {
            lists
                .iter()
                .map(|names| Weighted::zipf(names.len(), 1.05))
                .collect()
        };
        let other_domains = made_up_domains(seed);
        Tables {
            countries: Weighted::new(COUNTRIES.iter().map(|&(_, w)| w)),
            states: Weighted::new(US_STATES.iter().map(|&(_, w)| w)),
            state_cities: zipf_cities(&STATE_CITIES),
            country_cities: zipf_cities(&COUNTRY_CITIES),
            first_names: Weighted::zipf(FIRST_NAMES.len(), 0.7),
            last_names: Weighted::zipf(LAST_NAMES.len(), 0.6),
            email_patterns: Weighted::new([0.38, 0.25, 0.15, 0.10, 0.12]),
            global_domains: Weighted::new(GLOBAL_DOMAINS.iter().map(|&(_, w)| w)),
            other_domain_weights: Weighted::zipf(other_domains.len(), 0.9),
            other_domains,
            genders: Weighted::new(GENDER_WEIGHTS),
            recency_kinds: Weighted::new([0.12, 0.40, 0.48]),
            nps: Weighted::new(NPS_WEIGHTS),
            interest_counts: Weighted::new(INTEREST_COUNT_WEIGHTS),
            interests: Weighted::zipf(INTERESTS.len(), 0.8),
            devices: Weighted::new(DEVICE_WEIGHTS),
        }
    }
}

/// Corporate and small-provider domains: up to 4,000 distinct word pairs, in the order
/// first drawn (which is their popularity rank).
fn made_up_domains(seed: u64) -> Vec<String> {
    let mut stream = Stream::new(seed, 0, CATALOG_TAG);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for _ in 0..4_000 {
        let a = DOMAIN_WORDS[stream.below(DOMAIN_WORDS.len() as u64) as usize];
        let b = DOMAIN_WORDS[stream.below(DOMAIN_WORDS.len() as u64) as usize];
        let tld = DOMAIN_TLDS[stream.below(DOMAIN_TLDS.len() as u64) as usize];
        let join = if stream.chance(0.3) { "-" } else { "" };
        let name = format!("{a}{join}{b}{tld}");
        if seen.insert(name.clone()) {
            out.push(name);
        }
    }
    out
}

/// A generator of profile batches for one seed.
///
/// Batch `index` is drawn from the random stream `(seed, index)` alone. Its rows are the
/// table rows `first_row .. first_row + rows`, and row `r` gets a `customer_id` in
/// `1_000_000 + 3r ..= 1_000_000 + 3r + 2`, so ids are unique and increasing across
/// batches as long as the batches tile the table.
pub struct Generator {
    seed: u64,
    tables: Tables,
}

impl Generator {
    /// The generator of `seed`; builds the catalogues (cheap, once per seed).
    pub fn new(seed: u64) -> Self {
        Generator {
            seed,
            tables: Tables::new(seed),
        }
    }

    /// The seed this generator draws from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Batch `index` of a table cut into batches of `rows` rows each: the table rows
    /// `index * rows .. (index + 1) * rows`. For a shorter last batch use
    /// [`Generator::batch_at`] with `first_row = index * batch_rows`, as [`generate`] does.
    pub fn batch(&self, index: u64, rows: usize) -> Result<RecordBatch, ArrowError> {
        let first_row = index.checked_mul(rows as u64).ok_or_else(|| {
            ArrowError::InvalidArgumentError(format!(
                "batch {index} of {rows} rows is beyond the last row"
            ))
        })?;
        self.batch_at(index, first_row, rows)
    }

    /// Batch `index` (its random stream) holding `rows` rows that start at table row
    /// `first_row` (which fixes their customer ids).
    pub fn batch_at(
        &self,
        index: u64,
        first_row: u64,
        rows: usize,
    ) -> Result<RecordBatch, ArrowError> {
        let overflow = || {
            ArrowError::InvalidArgumentError(format!(
                "rows {first_row}..+{rows} give customer ids beyond int64"
            ))
        };
        first_row
            .checked_add(rows as u64)
            .and_then(|end| i64::try_from(end).ok())
            .and_then(|end| end.checked_mul(3))
            .and_then(|end| end.checked_add(FIRST_ID))
            .ok_or_else(overflow)?;
        let mut stream = Stream::new(self.seed, index, ROWS_TAG);
        let mut columns = Columns::with_capacity(rows);
        let mut scratch = Scratch::default();
        for i in 0..rows {
            let row = (first_row + i as u64) as i64;
            self.row(&mut stream, row, &mut columns, &mut scratch);
        }
        columns.finish()
    }

    /// Draws one row and appends it to `out`.
    fn row(&self, s: &mut Stream, row: i64, out: &mut Columns, scratch: &mut Scratch) {
        let t = &self.tables;

        // customer_id: an auto-increment key with deleted rows.
        out.customer_id.push(FIRST_ID + 3 * row + s.below(3) as i64);

        // Geography: country, then (US) state by population, then a Zipf-popular city.
        let country = t.countries.sample(s);
        let (state, city) = if country == 0 {
            let state = t.states.sample(s);
            let city = STATE_CITIES[state][t.state_cities[state].sample(s)];
            (Some(state), city)
        } else {
            let names = COUNTRY_CITIES[country - 1];
            (None, names[t.country_cities[country - 1].sample(s)])
        };
        let city_null = s.chance(0.03);
        let state_null = s.chance(0.05);
        out.country.push(Some(country as i32));
        out.state
            .push(state.filter(|_| !state_null).map(|i| US_STATES[i].0));
        out.city.push((!city_null).then_some(city));

        // Demographics.
        let age = if s.chance(0.7) {
            s.normal(34.0, 9.0)
        } else {
            s.normal(52.0, 13.0)
        };
        let age = age.round_ties_even().clamp(18.0, 90.0) as i32;
        out.age.push((!s.chance(0.12)).then_some(age));
        let gender = t.genders.sample(s) as i32;
        out.gender.push((!s.chance(0.06)).then_some(gender));

        // Tenure: sign-up density grows linearly with time.
        let span = f64::from(SIGNUP_LAST - SIGNUP_FIRST);
        let signup = SIGNUP_FIRST + (span * s.uniform().sqrt()).floor() as i32;
        out.signup_date.push(signup);
        let tenure_days = f64::from(AS_OF_DAY - signup); // >= 1

        // Purchasing: ~11% never ordered (more so among recent sign-ups).
        let never = s.chance(0.10 + 0.25 * libm::exp(-tenure_days / 120.0));
        let activity = (tenure_days / 365.0).clamp(0.2, 5.0).sqrt();
        let orders = if never {
            0
        } else {
            1 + s
                .negative_binomial(1.2, 1.2 / (1.2 + 4.5 * activity))
                .min(1_999) as i32
        };
        out.total_orders.push(orders);
        let aov = round_cents(libm::exp(s.normal(libm::log(62.0), 0.7)));
        out.avg_order_value.push((!never).then_some(aov));
        let returns = s.uniform_in(0.85, 1.0);
        let ltv = if never {
            0.0
        } else {
            round_cents(f64::from(orders) * aov * returns)
        };
        out.lifetime_value.push(ltv);

        // Recency: active, occasional or lapsed customers; never before sign-up.
        let mean_gap = [14.0, 150.0, 600.0][t.recency_kinds.sample(s)];
        let gap_days = s.exponential(mean_gap);
        let tenure_micros = (AS_OF_DAY - signup) as i64 * DAY_MICROS;
        let gap_micros = ((gap_days * DAY_MICROS as f64) as i64)
            .min(tenure_micros - 1)
            .max(1);
        out.last_purchase_at
            .push((!never).then_some(AS_OF_MICROS - gap_micros));
        let days_since = if never {
            tenure_days
        } else {
            gap_micros as f64 / DAY_MICROS as f64
        };

        // Spend in the 12 months before as-of: a share of lifetime value.
        let share = (365.0 / tenure_days.max(365.0) * s.uniform_in(0.6, 1.6)).clamp(0.0, 1.0);
        let spend_cents = if never || days_since > 365.0 {
            0
        } else {
            ((ltv * 100.0 * share).round_ties_even() as i64).min(MAX_CENTS)
        };
        out.total_spend_12m.push(spend_cents.into());

        // Loyalty tier by value with noise; 18% never enrolled.
        let score = libm::log1p(ltv) + s.normal(0.0, 0.6);
        let tier = [6.2, 7.3, 8.3]
            .iter()
            .filter(|&&edge| score >= edge)
            .count() as i32;
        out.loyalty_tier.push((!s.chance(0.18)).then_some(tier));

        // Contact data and consent.
        let has_email = self.email(s, country, &mut scratch.email);
        out.email.push(has_email.then(|| scratch.email.clone()));
        out.email_opt_in.push(s.chance(0.62) && has_email);
        let sms = s.chance(0.27);
        out.sms_opt_in.push((!s.chance(0.15)).then_some(sms));

        // Churn score: logistic in recency and order count.
        let z = 0.9 * libm::log1p(days_since / 30.0) - 0.35 * libm::log1p(f64::from(orders)) - 1.2
            + s.normal(0.0, 0.8);
        let churn = (1.0 / (1.0 + libm::exp(-z))) as f32;
        // Keep it strictly inside (0, 1) after rounding to float32.
        out.churn_score
            .push(churn.clamp(f32::MIN_POSITIVE, 1.0 - f32::EPSILON / 2.0));

        let nps = t.nps.sample(s) as i8;
        out.nps.push((!s.chance(0.20)).then_some(nps));

        // Interests: 0..=6 distinct tags, popular ones more often; 4% unknown.
        let k = t.interest_counts.sample(s);
        if s.chance(0.04) {
            out.interests.append(false);
        } else {
            t.interests
                .sample_distinct(s, k, &mut scratch.weights, &mut scratch.tags);
            for &tag in &scratch.tags {
                out.interests.values().append_value(INTERESTS[tag]);
            }
            out.interests.append(true);
        }

        out.device.push(DEVICES[t.devices.sample(s)]);
    }

    /// Draws an e-mail address into `buf`; false if the row has none (8%).
    fn email(&self, s: &mut Stream, country: usize, buf: &mut String) -> bool {
        use std::fmt::Write as _;
        let t = &self.tables;
        buf.clear();
        let first = FIRST_NAMES[t.first_names.sample(s)];
        let last = LAST_NAMES[t.last_names.sample(s)];
        // Writing to a String cannot fail.
        let _ = match t.email_patterns.sample(s) {
            0 => write!(buf, "{first}.{last}"),
            1 => write!(buf, "{first}{last}{}", s.int_in(1, 100)),
            2 => write!(buf, "{}{last}", &first[..1]),
            3 => write!(buf, "{first}_{last}{}", s.int_in(1950, 2010)),
            _ => write!(buf, "{first}{}", s.int_in(100, 1000)),
        };
        buf.push('@');
        // Domain: the country's own providers, a corporate domain or a global provider.
        let kind = s.uniform();
        let local = local_domains(COUNTRIES[country].0);
        if kind < 0.12 && !local.is_empty() {
            buf.push_str(local[s.below(local.len() as u64) as usize]);
        } else if kind > 0.74 && !t.other_domains.is_empty() {
            buf.push_str(&t.other_domains[t.other_domain_weights.sample(s)]);
        } else {
            buf.push_str(GLOBAL_DOMAINS[t.global_domains.sample(s)].0);
        }
        // About 1% typed in capitals (matching is case-sensitive).
        if s.chance(0.01) {
            buf.make_ascii_uppercase();
        }
        !s.chance(0.08)
    }
}

/// Rounds to cents, ties to even.
fn round_cents(x: f64) -> f64 {
    (x * 100.0).round_ties_even() / 100.0
}

/// Per-batch buffers reused across rows.
#[derive(Default)]
struct Scratch {
    email: String,
    weights: Vec<f64>,
    tags: Vec<usize>,
}

/// The columns of a batch under construction.
struct Columns {
    customer_id: Vec<i64>,
    email: Vec<Option<String>>,
    age: Vec<Option<i32>>,
    gender: Vec<Option<i32>>,
    country: Vec<Option<i32>>,
    state: Vec<Option<&'static str>>,
    city: Vec<Option<&'static str>>,
    signup_date: Vec<i32>,
    last_purchase_at: Vec<Option<i64>>,
    lifetime_value: Vec<f64>,
    total_orders: Vec<i32>,
    avg_order_value: Vec<Option<f64>>,
    loyalty_tier: Vec<Option<i32>>,
    email_opt_in: Vec<bool>,
    sms_opt_in: Vec<Option<bool>>,
    churn_score: Vec<f32>,
    nps: Vec<Option<i8>>,
    interests: ListBuilder<StringBuilder>,
    device: Vec<&'static str>,
    total_spend_12m: Vec<i128>,
}

impl Columns {
    fn with_capacity(n: usize) -> Self {
        Columns {
            customer_id: Vec::with_capacity(n),
            email: Vec::with_capacity(n),
            age: Vec::with_capacity(n),
            gender: Vec::with_capacity(n),
            country: Vec::with_capacity(n),
            state: Vec::with_capacity(n),
            city: Vec::with_capacity(n),
            signup_date: Vec::with_capacity(n),
            last_purchase_at: Vec::with_capacity(n),
            lifetime_value: Vec::with_capacity(n),
            total_orders: Vec::with_capacity(n),
            avg_order_value: Vec::with_capacity(n),
            loyalty_tier: Vec::with_capacity(n),
            email_opt_in: Vec::with_capacity(n),
            sms_opt_in: Vec::with_capacity(n),
            churn_score: Vec::with_capacity(n),
            nps: Vec::with_capacity(n),
            interests: ListBuilder::with_capacity(StringBuilder::new(), n)
                .with_field(Arc::new(Field::new_list_field(DataType::Utf8, true))),
            device: Vec::with_capacity(n),
            total_spend_12m: Vec::with_capacity(n),
        }
    }

    fn finish(mut self) -> Result<RecordBatch, ArrowError> {
        fn dictionary(keys: Vec<Option<i32>>, values: &[&str]) -> Result<ArrayRef, ArrowError> {
            let values = Arc::new(StringArray::from_iter_values(values));
            Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
                Int32Array::from(keys),
                values,
            )?))
        }
        let country_codes: Vec<&str> = COUNTRIES.iter().map(|&(code, _)| code).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(self.customer_id)),
            Arc::new(StringArray::from(self.email)),
            Arc::new(Int32Array::from(self.age)),
            dictionary(self.gender, &GENDERS)?,
            dictionary(self.country, &country_codes)?,
            Arc::new(StringArray::from(self.state)),
            Arc::new(StringArray::from(self.city)),
            Arc::new(Date32Array::from(self.signup_date)),
            Arc::new(TimestampMicrosecondArray::from(self.last_purchase_at).with_timezone("UTC")),
            Arc::new(Float64Array::from(self.lifetime_value)),
            Arc::new(Int32Array::from(self.total_orders)),
            Arc::new(Float64Array::from(self.avg_order_value)),
            dictionary(self.loyalty_tier, &TIERS)?,
            Arc::new(BooleanArray::from(self.email_opt_in)),
            Arc::new(BooleanArray::from(self.sms_opt_in)),
            Arc::new(Float32Array::from(self.churn_score)),
            Arc::new(Int8Array::from(self.nps)),
            Arc::new(self.interests.finish()),
            Arc::new(StringArray::from(self.device)),
            Arc::new(Decimal128Array::from(self.total_spend_12m).with_precision_and_scale(12, 2)?),
        ];
        RecordBatch::try_new(schema(), columns)
    }
}

/// The table of `rows` rows for `seed`, as batches of `batch_rows` rows (the last one
/// shorter if `batch_rows` does not divide `rows`). Batch `i` is
/// `Generator::new(seed).batch_at(i, i * batch_rows, len)`.
pub fn generate(rows: usize, seed: u64, batch_rows: usize) -> Result<Vec<RecordBatch>, ArrowError> {
    let generator = Generator::new(seed);
    batch_spans(rows, batch_rows)?
        .map(|(index, first_row, len)| generator.batch_at(index, first_row, len))
        .collect()
}

/// `(index, first_row, rows)` of each batch of a `rows`-row table cut every `batch_rows`.
fn batch_spans(
    rows: usize,
    batch_rows: usize,
) -> Result<impl Iterator<Item = (u64, u64, usize)>, ArrowError> {
    if batch_rows == 0 {
        return Err(ArrowError::InvalidArgumentError(
            "the batch size must be at least one row".into(),
        ));
    }
    Ok((0..rows)
        .step_by(batch_rows)
        .enumerate()
        .map(move |(index, first)| (index as u64, first as u64, batch_rows.min(rows - first))))
}

/// What [`write_parquet_with`] writes besides the 20 profile columns.
#[derive(Clone, Debug, Default)]
pub struct Extras {
    /// Append the `orders` and `web_events` history columns ([`histories`]).
    pub histories: bool,
    /// Also write the histories as flat event tables, `orders.parquet` and
    /// `web_events.parquet`, in this directory (implies `histories`).
    pub events_dir: Option<PathBuf>,
}

/// Writes the table of `rows` rows for `seed` to a Snappy-compressed Parquet file at
/// `path`, one row group of `row_group_rows` rows per batch (the batch is also the unit
/// of the random streams, so the file holds exactly `generate(rows, seed,
/// row_group_rows)`).
///
/// Only one row group is in memory at a time. The file is written under a temporary
/// name in the same directory and renamed into place when complete, so `path` never
/// holds a half-written file.
pub fn write_parquet(
    path: &Path,
    rows: usize,
    seed: u64,
    row_group_rows: usize,
) -> Result<(), Box<dyn std::error::Error>> {
    write_parquet_with(path, rows, seed, row_group_rows, &Extras::default())
}

/// [`write_parquet`] with histories and flat event tables as `extras` asks.
/// Every file is written under a temporary name and renamed into place only
/// when all of them are complete.
pub fn write_parquet_with(
    path: &Path,
    rows: usize,
    seed: u64,
    row_group_rows: usize,
    extras: &Extras,
) -> Result<(), Box<dyn std::error::Error>> {
    let spans = batch_spans(rows, row_group_rows)?;
    let mut targets = vec![path.to_path_buf()];
    if let Some(dir) = &extras.events_dir {
        targets.push(dir.join("orders.parquet"));
        targets.push(dir.join("web_events.parquet"));
    }
    let mut temps = Vec::new();
    for target in &targets {
        if target.is_dir() {
            return Err(format!("{} is a directory", target.display()).into());
        }
        let file_name = target
            .file_name()
            .ok_or_else(|| format!("{} does not name a file", target.display()))?;
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".partial-{}", std::process::id()));
        temps.push(target.with_file_name(tmp_name));
    }
    let result = write_to(&temps, spans, seed, row_group_rows, extras).and_then(|()| {
        for (tmp, target) in temps.iter().zip(&targets) {
            std::fs::rename(tmp, target)?;
        }
        Ok(())
    });
    if result.is_err() {
        // Best effort: the write already failed, and that is the error to report.
        for tmp in &temps {
            let _ = std::fs::remove_file(tmp);
        }
    }
    result
}

fn parquet_writer(
    path: &Path,
    schema: SchemaRef,
    row_group_rows: usize,
) -> Result<ArrowWriter<BufWriter<File>>, Box<dyn std::error::Error>> {
    let file = File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(row_group_rows))
        .set_max_row_group_bytes(None)
        .build();
    Ok(ArrowWriter::try_new(
        BufWriter::new(file),
        schema,
        Some(props),
    )?)
}

fn finish(writer: ArrowWriter<BufWriter<File>>) -> Result<(), Box<dyn std::error::Error>> {
    let file = writer
        .into_inner()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok(())
}

/// Writes the batches of `spans` to new files at `temps` (the profiles, then
/// the flat orders and web events when asked for).
fn write_to(
    temps: &[PathBuf],
    spans: impl Iterator<Item = (u64, u64, usize)>,
    seed: u64,
    row_group_rows: usize,
    extras: &Extras,
) -> Result<(), Box<dyn std::error::Error>> {
    let with_histories = extras.histories || extras.events_dir.is_some();
    let profile_schema = if with_histories {
        histories::schema_with_histories()
    } else {
        schema()
    };
    let mut writer = parquet_writer(&temps[0], profile_schema.clone(), row_group_rows)?;
    let mut flat = Vec::new();
    for (tmp, history) in temps[1..].iter().zip(["orders", "web_events"]) {
        let schema = histories::flat_schema(history).ok_or("unknown history")?;
        flat.push((history, parquet_writer(tmp, schema, 8 * row_group_rows)?));
    }
    let generator = Generator::new(seed);
    for (index, first_row, len) in spans {
        let mut batch = generator.batch_at(index, first_row, len)?;
        if with_histories {
            let [orders, web] = histories::histories(seed, index, &batch)?;
            let mut columns = batch.columns().to_vec();
            columns.push(orders);
            columns.push(web);
            batch = RecordBatch::try_new(profile_schema.clone(), columns)?;
        }
        writer.write(&batch)?;
        writer.flush()?; // end the row group with the batch
        for (history, w) in &mut flat {
            w.write(&histories::flatten(&batch, history)?)?;
        }
    }
    finish(writer)?;
    for (_, w) in flat {
        finish(w)?;
    }
    Ok(())
}
