//! `examples/campaign_holdout.seg` on the bundled profiles: the 10 % holdout
//! of the win-back audience has the same members on every engine, run after
//! run, and its size is the one DuckDB's own `md5` gives.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

/// Members of each segment of the holdout example on `engine`, by name.
fn members(engine: &str, extra: &[&str]) -> Vec<(String, u64)> {
    let mut args = vec!["--engine", engine];
    args.extend_from_slice(extra);
    let summary = common::run_bundled("examples/campaign_holdout.seg", &args);
    summary["segments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["name"].as_str().unwrap().starts_with("win_back"))
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["members"].as_u64().unwrap(),
            )
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect()
}

/// The counts: 3,125 customers in the win-back audience, 313 of them
/// (10.0 %) held out, 2,812 sent. Computed independently in DuckDB with
/// `CAST('0x' || substr(md5('win-back-2026-q4:' || CAST(customer_id AS
/// VARCHAR)), 1, 8) AS BIGINT) % 10000 < 1000` over the audience.
fn expected() -> Vec<(String, u64)> {
    vec![
        ("win_back".to_string(), 3125),
        ("win_back_holdout".to_string(), 313),
        ("win_back_send".to_string(), 2812),
    ]
}

#[test]
fn the_holdout_is_ten_percent_and_the_same_on_every_engine_and_run() {
    let jit = members("jit", &[]);
    assert_eq!(jit, expected());
    // Run again, on one thread with small batches: the same profiles.
    assert_eq!(
        members("jit", &["--threads", "1", "--batch-rows", "1000"]),
        jit
    );
    assert_eq!(members("interp", &[]), jit);
    #[cfg(feature = "datafusion")]
    assert_eq!(members("datafusion", &[]), jit);
}

#[test]
fn another_salt_holds_out_other_customers() {
    let jit = members("jit", &["--param", "win_back_campaign=win-back-2027-q1"]);
    // 302 in DuckDB as above, with the salt "win-back-2027-q1".
    assert_eq!(jit[0], ("win_back".to_string(), 3125));
    assert_eq!(jit[1], ("win_back_holdout".to_string(), 302));
}
