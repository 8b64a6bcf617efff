//! Event histories for the profile table (language v0.2, LANGUAGE.md §7.1):
//! each profile's recent orders and web events as `list<struct>` columns, and
//! the same events as flat tables (one row per event with `customer_id`).
//!
//! | column       | record fields                                                                        |
//! |--------------|--------------------------------------------------------------------------------------|
//! | `orders`     | `order_id: int64`, `at: timestamp[us, UTC]`, `amount: decimal128(12, 2)`, `category: utf8`, `channel: utf8`, `items: int32` |
//! | `web_events` | `at: timestamp[us, UTC]`, `name: utf8`, `page: utf8`                                 |
//!
//! The histories agree with the profile's own columns: a profile with no
//! orders has an empty order history, the most recent order is at
//! `last_purchase_at`, earlier ones go back at the profile's buying rhythm but
//! never before `signup_date` (at most [`MAX_ORDERS`] are kept, the most
//! recent), amounts scatter around `avg_order_value`, categories lean to the
//! profile's `interests`, and the channel to its `device`. Web events cover
//! the 60 days before as-of, more of them for recent buyers; a cart is added
//! before most recent orders, and some carts are abandoned.
//!
//! Corners the language decides are present on purpose: 2 % of profiles have
//! a missing (null) order history and 3 % a missing web history; 0.3 % of
//! orders are null records; 1 % of order amounts and 0.5 % of categories are
//! null.
//!
//! Histories are drawn from a random stream of their own, `(seed, batch,
//! "seg-datagen/hist")`, so adding them leaves the 20 profile columns
//! bit-identical.

use std::sync::{Arc, OnceLock};

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, Int32Array, Int64Array, ListArray, RecordBatch,
    StringArray, StructArray, TimestampMicrosecondArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{filter_record_batch, take};
use arrow::datatypes::{
    DataType, Date32Type, Field, Fields, Int32Type, Schema, SchemaRef, TimeUnit,
};
use arrow::error::ArrowError;

use crate::random::{Stream, Weighted};
use crate::{AS_OF_MICROS, DAY_MICROS};

/// The most orders kept per profile (the most recent ones).
pub const MAX_ORDERS: usize = 40;

/// Domain tag of the history streams.
const HIST_TAG: &[u8; 16] = b"seg-datagen/hist";

/// Order categories; the first eight are also interests' natural categories.
pub const CATEGORIES: [&str; 10] = [
    "shoes",
    "apparel",
    "beauty",
    "home",
    "electronics",
    "toys",
    "grocery",
    "sports",
    "books",
    "outdoor",
];
const CATEGORY_WEIGHTS: [f64; 10] = [14.0, 20.0, 10.0, 11.0, 8.0, 6.0, 12.0, 7.0, 6.0, 6.0];
const CHANNELS: [&str; 3] = ["web", "store", "app"];
const EVENT_NAMES: [&str; 5] = ["page_view", "search", "add_to_cart", "checkout", "purchase"];
const EVENT_WEIGHTS: [f64; 5] = [60.0, 18.0, 12.0, 5.0, 5.0];

/// The category an interest leans to (by position in [`INTERESTS`]), when one does.
fn category_of_interest(interest: &str) -> Option<usize> {
    let name = match interest {
        "running" | "fashion" | "luxury" => "shoes",
        "beauty" | "wellness" | "vegan" => "beauty",
        "home_decor" | "gardening" | "cooking" | "diy" | "crafts" | "art" => "home",
        "gaming" | "tech" | "photography" | "music" | "movies" => "electronics",
        "parenting" | "pets" => "toys",
        "fitness" | "yoga" | "cycling" | "sports" => "sports",
        "books" | "finance" => "books",
        "travel" | "outdoors" | "sustainability" => "outdoor",
        "coffee" | "wine" => "grocery",
        _ => return None,
    };
    CATEGORIES.iter().position(|c| *c == name)
}

fn timestamp() -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
}

fn order_fields() -> Fields {
    Fields::from(vec![
        Field::new("order_id", DataType::Int64, true),
        Field::new("at", timestamp(), true),
        Field::new("amount", DataType::Decimal128(12, 2), true),
        Field::new("category", DataType::Utf8, true),
        Field::new("channel", DataType::Utf8, true),
        Field::new("items", DataType::Int32, true),
    ])
}

fn web_fields() -> Fields {
    Fields::from(vec![
        Field::new("at", timestamp(), true),
        Field::new("name", DataType::Utf8, true),
        Field::new("page", DataType::Utf8, true),
    ])
}

/// The two history columns' fields, `orders` and `web_events`.
pub fn history_fields() -> [Field; 2] {
    let list = |fields: Fields| {
        DataType::List(Arc::new(Field::new_list_field(
            DataType::Struct(fields),
            true,
        )))
    };
    [
        Field::new("orders", list(order_fields()), true),
        Field::new("web_events", list(web_fields()), true),
    ]
}

/// The profile schema with the two history columns appended.
pub fn schema_with_histories() -> SchemaRef {
    static SCHEMA: OnceLock<SchemaRef> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let mut fields: Vec<Field> = crate::schema()
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect();
            fields.extend(history_fields());
            Arc::new(Schema::new(fields))
        })
        .clone()
}

/// The flat event tables' schemas: `customer_id` then the record's fields.
pub fn flat_schema(history: &str) -> Option<SchemaRef> {
    let fields = match history {
        "orders" => order_fields(),
        "web_events" => web_fields(),
        _ => return None,
    };
    let mut all = vec![Field::new("customer_id", DataType::Int64, true)];
    all.extend(fields.iter().map(|f| f.as_ref().clone()));
    Some(Arc::new(Schema::new(all)))
}

#[derive(Default)]
struct Orders {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    record_valid: Vec<bool>,
    order_id: Vec<i64>,
    at: Vec<i64>,
    amount: Vec<Option<i128>>,
    category: Vec<Option<&'static str>>,
    channel: Vec<&'static str>,
    items: Vec<i32>,
}

#[derive(Default)]
struct Web {
    offsets: Vec<i32>,
    valid: Vec<bool>,
    at: Vec<i64>,
    name: Vec<&'static str>,
    page: Vec<String>,
}

fn list(
    fields: Fields,
    columns: Vec<ArrayRef>,
    record_valid: Option<Vec<bool>>,
    offsets: Vec<i32>,
    valid: Vec<bool>,
) -> Result<ArrayRef, ArrowError> {
    let records =
        StructArray::try_new(fields.clone(), columns, record_valid.map(NullBuffer::from))?;
    Ok(Arc::new(ListArray::try_new(
        Arc::new(Field::new_list_field(DataType::Struct(fields), true)),
        OffsetBuffer::new(offsets.into()),
        Arc::new(records),
        Some(NullBuffer::from(valid)),
    )?))
}

/// The `orders` and `web_events` columns of the profile batch `index` of
/// `seed` (drawn from the batch's history stream and the profiles' columns).
pub fn histories(
    seed: u64,
    index: u64,
    profiles: &RecordBatch,
) -> Result<[ArrayRef; 2], ArrowError> {
    let column = |name: &str| {
        profiles.column_by_name(name).cloned().ok_or_else(|| {
            ArrowError::InvalidArgumentError(format!("the profiles have no `{name}` column"))
        })
    };
    let ids = column("customer_id")?;
    let ids = ids.as_primitive::<arrow::datatypes::Int64Type>();
    let signup = column("signup_date")?;
    let signup = signup.as_primitive::<Date32Type>();
    let last = column("last_purchase_at")?;
    let last = last.as_primitive::<arrow::datatypes::TimestampMicrosecondType>();
    let total = column("total_orders")?;
    let total = total.as_primitive::<Int32Type>();
    let aov = column("avg_order_value")?;
    let aov = aov.as_primitive::<arrow::datatypes::Float64Type>();
    let interests = column("interests")?;
    let interests = interests.as_list::<i32>();
    let device = column("device")?;
    let device = device.as_string::<i32>();

    let mut s = Stream::new(seed, index, HIST_TAG);
    let categories = Weighted::new(CATEGORY_WEIGHTS);
    let event_names = Weighted::new(EVENT_WEIGHTS);
    let mut o = Orders {
        offsets: vec![0],
        ..Orders::default()
    };
    let mut w = Web {
        offsets: vec![0],
        ..Web::default()
    };
    let mut times: Vec<i64> = Vec::new();
    let mut leaning: Vec<usize> = Vec::new();
    for row in 0..profiles.num_rows() {
        let id = ids.value(row);
        let signup_micros = i64::from(signup.value(row)) * DAY_MICROS;
        let orders = usize::try_from(total.value(row).max(0)).unwrap_or(0);
        leaning.clear();
        if interests.is_valid(row) {
            let tags = interests.value(row);
            let tags = tags.as_string::<i32>();
            leaning.extend(tags.iter().flatten().filter_map(category_of_interest));
        }
        let app_user = matches!(device.value(row), "ios" | "android");

        // Orders: the most recent at last_purchase_at, then back in time at the
        // profile's rhythm, never before sign-up.
        times.clear();
        if orders > 0 && last.is_valid(row) {
            let tenure = (AS_OF_MICROS - signup_micros).max(DAY_MICROS) as f64;
            let mean_gap = tenure / orders as f64;
            let mut at = last.value(row);
            while times.len() < orders.min(MAX_ORDERS) && at >= signup_micros {
                times.push(at);
                at -= (s.exponential(mean_gap).max(60.0 * 1e6)) as i64;
            }
        }
        let missing_orders = s.chance(0.02);
        if !missing_orders {
            let typical = if aov.is_valid(row) {
                aov.value(row)
            } else {
                60.0
            };
            for (k, &at) in times.iter().rev().enumerate() {
                o.record_valid.push(!s.chance(0.003));
                o.order_id.push(id * 100 + k as i64);
                o.at.push(at);
                let amount = (typical * libm::exp(s.normal(-0.125, 0.5))).clamp(0.5, 50_000.0);
                let cents = (amount * 100.0).round_ties_even() as i128;
                o.amount.push((!s.chance(0.01)).then_some(cents));
                let category = if !leaning.is_empty() && s.chance(0.55) {
                    leaning[s.below(leaning.len() as u64) as usize]
                } else {
                    categories.sample(&mut s)
                };
                o.category
                    .push((!s.chance(0.005)).then_some(CATEGORIES[category]));
                let channel = match s.uniform() {
                    u if u < 0.25 => 1,
                    u if u < 0.25 + if app_user { 0.5 } else { 0.1 } => 2,
                    _ => 0,
                };
                o.channel.push(CHANNELS[channel]);
                o.items.push(1 + (s.exponential(1.2) as i32).min(20));
            }
        }
        o.valid.push(!missing_orders);
        o.offsets.push(o.at.len() as i32);

        // Web events in the last 60 days: more for recent buyers, a cart before
        // most recent orders, some carts abandoned.
        let missing_web = s.chance(0.03);
        if !missing_web {
            let recent = last.is_valid(row) && AS_OF_MICROS - last.value(row) < 60 * DAY_MICROS;
            let count = if recent {
                s.int_in(3, 25)
            } else if s.chance(0.4) {
                s.int_in(1, 8)
            } else {
                0
            };
            let window = (60 * DAY_MICROS).min(AS_OF_MICROS - signup_micros).max(1);
            let mut events: Vec<(i64, usize, String)> = Vec::new();
            for _ in 0..count {
                let at = AS_OF_MICROS - 1 - (s.uniform() * window as f64) as i64;
                let name = event_names.sample(&mut s);
                let category = categories.sample(&mut s);
                let page = if name == 1 {
                    format!("/search?q={}", CATEGORIES[category])
                } else {
                    format!("/{}/{}", CATEGORIES[category], s.int_in(1000, 9999))
                };
                events.push((at, name, page));
            }
            for &at in times
                .iter()
                .filter(|&&t| AS_OF_MICROS - t < 60 * DAY_MICROS)
            {
                if s.chance(0.8) {
                    let before = at - (s.exponential(3_600.0 * 1e6)) as i64;
                    events.push((before.max(AS_OF_MICROS - window), 2, "/cart".to_string()));
                }
            }
            events.sort_by_key(|e| e.0);
            for (at, name, page) in events {
                w.at.push(at);
                w.name.push(EVENT_NAMES[name]);
                w.page.push(page);
            }
        }
        w.valid.push(!missing_web);
        w.offsets.push(w.at.len() as i32);
    }
    let orders = list(
        order_fields(),
        vec![
            Arc::new(Int64Array::from(o.order_id)),
            Arc::new(TimestampMicrosecondArray::from(o.at).with_timezone("UTC")),
            Arc::new(Decimal128Array::from(o.amount).with_precision_and_scale(12, 2)?),
            Arc::new(StringArray::from(o.category)),
            Arc::new(StringArray::from(o.channel)),
            Arc::new(Int32Array::from(o.items)),
        ],
        Some(o.record_valid),
        o.offsets,
        o.valid,
    )?;
    let web = list(
        web_fields(),
        vec![
            Arc::new(TimestampMicrosecondArray::from(w.at).with_timezone("UTC")),
            Arc::new(StringArray::from(w.name)),
            Arc::new(StringArray::from(w.page)),
        ],
        None,
        w.offsets,
        w.valid,
    )?;
    Ok([orders, web])
}

/// The events of the history column `history` of a batch with histories, as a
/// flat table: one row per present record, `customer_id` first. Missing
/// histories and missing records have no row (a flat table cannot hold them).
pub fn flatten(batch: &RecordBatch, history: &str) -> Result<RecordBatch, ArrowError> {
    let schema = flat_schema(history).ok_or_else(|| {
        ArrowError::InvalidArgumentError(format!("`{history}` is not a history column"))
    })?;
    let lists = batch.column_by_name(history).ok_or_else(|| {
        ArrowError::InvalidArgumentError(format!("the batch has no `{history}` column"))
    })?;
    let lists = lists.as_list::<i32>();
    let ids = batch.column_by_name("customer_id").ok_or_else(|| {
        ArrowError::InvalidArgumentError("the batch has no `customer_id` column".into())
    })?;
    let mut owner: Vec<u32> = Vec::new();
    for row in 0..lists.len() {
        if lists.is_valid(row) {
            let (lo, hi) = (lists.value_offsets()[row], lists.value_offsets()[row + 1]);
            owner.extend(std::iter::repeat_n(row as u32, (hi - lo) as usize));
        }
    }
    // The values of valid lists only, in order (a null list may own values).
    let mut value_rows: Vec<u32> = Vec::new();
    for row in 0..lists.len() {
        if lists.is_valid(row) {
            let (lo, hi) = (lists.value_offsets()[row], lists.value_offsets()[row + 1]);
            value_rows.extend(lo as u32..hi as u32);
        }
    }
    let records = lists.values().as_struct();
    let value_rows = arrow::array::UInt32Array::from(value_rows);
    let mut columns = vec![take(
        ids.as_ref(),
        &arrow::array::UInt32Array::from(owner),
        None,
    )?];
    for child in records.columns() {
        columns.push(take(child.as_ref(), &value_rows, None)?);
    }
    let present = take(
        &arrow::array::BooleanArray::from(
            (0..records.len())
                .map(|i| records.is_valid(i))
                .collect::<Vec<_>>(),
        ),
        &value_rows,
        None,
    )?;
    let table = RecordBatch::try_new(schema, columns)?;
    filter_record_batch(&table, present.as_boolean())
}
