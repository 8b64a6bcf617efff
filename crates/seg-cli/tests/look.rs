//! `seg run --overlap` and `seg run --sample` on the bundled profiles: the
//! overlap equals what the per-profile results say pair by pair, and the
//! sample's rows are members, the first in the data, with `pii` masked.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use arrow::array::{Array, BooleanArray, Int64Array};
use common::{code, repo_root, run_bundled, seg, stderr, text};

const SEGMENTS: &str = "lapsed_vip,at_risk,whales,promoters,big_spenders,repeat_buyers";

/// The results `seg run --out` wrote: the key column and each segment's
/// membership column, over the whole file.
fn results(path: &std::path::Path) -> (Vec<i64>, Vec<(String, Vec<bool>)>) {
    let file = std::fs::File::open(path).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .unwrap()
        .build()
        .unwrap();
    let mut keys = Vec::new();
    let mut columns: Vec<(String, Vec<bool>)> = Vec::new();
    for batch in reader {
        let batch = batch.unwrap();
        let schema = batch.schema();
        for (i, field) in schema.fields().iter().enumerate() {
            let column = batch.column(i);
            if let Some(ids) = column.as_any().downcast_ref::<Int64Array>() {
                keys.extend(ids.values().iter().copied());
            } else if let Some(bits) = column.as_any().downcast_ref::<BooleanArray>() {
                let values: Vec<bool> = (0..bits.len())
                    .map(|r| bits.is_valid(r) && bits.value(r))
                    .collect();
                match columns.iter_mut().find(|(n, _)| n == field.name()) {
                    Some((_, all)) => all.extend(values),
                    None => columns.push((field.name().clone(), values)),
                }
            }
        }
    }
    (keys, columns)
}

#[test]
fn overlap_equals_the_pairs_counted_from_the_results_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results.parquet");
    let out_arg = out.to_str().unwrap();
    let summary = run_bundled(
        "examples/lifecycle.seg",
        &["--segments", SEGMENTS, "--overlap", "--out", out_arg],
    );
    let (_, columns) = results(&out);
    let overlap = &summary["overlap"];
    let names: Vec<&str> = overlap["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(names, SEGMENTS.split(',').collect::<Vec<_>>());
    let matrix = overlap["matrix"].as_array().unwrap();
    for (i, a) in names.iter().enumerate() {
        for (j, b) in names.iter().enumerate() {
            let (_, x) = columns.iter().find(|(n, _)| n == a).unwrap();
            let (_, y) = columns.iter().find(|(n, _)| n == b).unwrap();
            let both = x.iter().zip(y).filter(|(p, q)| **p && **q).count() as u64;
            assert_eq!(matrix[i][j].as_u64().unwrap(), both, "{a} & {b}");
        }
    }
    // Every pair once, the largest first, with its Jaccard index.
    let pairs = overlap["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 15);
    assert_eq!(overlap["pairs_total"], 15);
    let counts: Vec<u64> = pairs.iter().map(|p| p["both"].as_u64().unwrap()).collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    let members = common::sizes(&summary);
    for pair in pairs {
        let names = pair["segments"].as_array().unwrap();
        let size = |n: &serde_json::Value| {
            members
                .iter()
                .find(|(m, _)| m == n.as_str().unwrap())
                .unwrap()
                .1
        };
        let (a, b, both) = (
            size(&names[0]),
            size(&names[1]),
            pair["both"].as_u64().unwrap(),
        );
        let jaccard = if a + b - both == 0 {
            0.0
        } else {
            both as f64 / (a + b - both) as f64
        };
        assert!((pair["jaccard"].as_f64().unwrap() - jaccard).abs() < 1e-12);
    }
    // Without --overlap, no overlap (and no k² work).
    let plain = run_bundled("examples/lifecycle.seg", &["--segments", SEGMENTS]);
    assert!(plain.get("overlap").is_none());
    assert_eq!(common::sizes(&plain), members);
}

#[test]
fn overlap_top_n_shows_the_n_largest_pairs() {
    let all = run_bundled("examples/lifecycle.seg", &["--overlap"]);
    let top = run_bundled("examples/lifecycle.seg", &["--overlap", "top=3"]);
    assert_eq!(top["overlap"]["top"], 3);
    assert_eq!(top["overlap"]["pairs_total"], all["overlap"]["pairs_total"]);
    assert!(top["overlap"]["matrix"].is_null());
    let pairs = all["overlap"]["pairs"].as_array().unwrap();
    assert_eq!(top["overlap"]["pairs"].as_array().unwrap(), &pairs[..3]);

    let human = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--as-of",
            "2026-11-24",
            "--overlap",
            "top=3",
        ],
        &repo_root(),
    );
    assert_eq!(code(&human), 0, "{}", stderr(&human));
    let both = text(&human.stdout) + &stderr(&human);
    assert!(
        both.contains("overlap: the 3 largest of 820 pairs, by profiles in both"),
        "{both}"
    );
    assert!(both.contains("bought_since_2025 & repeat_buyers"), "{both}");

    for bad in ["top=0", "top=x", "most"] {
        let out = seg(
            &[
                "run",
                "examples/lifecycle.seg",
                "--data",
                "examples/profiles.parquet",
                "--overlap",
                bad,
            ],
            &repo_root(),
        );
        assert_eq!(code(&out), 2, "{bad}: {}", stderr(&out));
        assert!(stderr(&out).contains("top=N"), "{}", stderr(&out));
    }
}

#[test]
fn a_sample_of_no_rows_is_a_usage_error() {
    // Zero rows would print "no members" for segments that have some.
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--sample",
            "0",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--sample"), "{}", stderr(&out));
}

/// The human overlap matrix and sample, from the summary (whichever stream
/// it is on) up to the closing line.
fn looked(args: &[&str]) -> String {
    let out = seg(args, &repo_root());
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let both = text(&out.stdout) + &stderr(&out);
    let start = both
        .find("\noverlap")
        .or_else(|| both.find("\nsample of"))
        .unwrap();
    let end = both.find("\n20,000 profiles from").unwrap();
    both[start + 1..end].to_string()
}

#[test]
fn the_human_summary_shows_a_matrix_and_the_sample() {
    let shown = looked(&[
        "run",
        "examples/lifecycle.seg",
        "--data",
        "examples/profiles.parquet",
        "--as-of",
        "2026-11-24",
        "--segments",
        "lapsed_vip,at_risk,whales",
        "--overlap",
        "--sample",
        "2",
    ]);
    insta::assert_snapshot!(shown);
}

/// Rules over the bundled schema with a segment that reads personal data.
fn pii_rules(dir: &std::path::Path) -> std::path::PathBuf {
    let schema = std::fs::read_to_string(repo_root().join("examples/schema.seg")).unwrap();
    let path = dir.join("pii.seg");
    std::fs::write(
        &path,
        format!(
            "{schema}\nsegment senior_gmail \"<script>document.body.setAttribute('data-pwned','1')</script>\" {{\n  where email ends with \"@gmail.com\" and age >= 60\n}}\n\nsegment seniors {{\n  where age >= 60\n}}\n"
        ),
    )
    .unwrap();
    path
}

#[test]
fn sample_rows_are_the_first_members_with_pii_masked() {
    let dir = tempfile::tempdir().unwrap();
    let rules = pii_rules(dir.path());
    let out = dir.path().join("results.parquet");
    let data = repo_root().join("examples/profiles.parquet");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "run",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            "2026-11-24",
            "--summary",
            "json",
            "--sample",
            "4",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = seg(&args, dir.path());
        assert_eq!(code(&output), 0, "{}", stderr(&output));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let summary = run(&["--out", out.to_str().unwrap()]);
    let (keys, columns) = results(&out);
    let samples = summary["samples"].as_array().unwrap();
    assert_eq!(samples.len(), 2);
    for sample in samples {
        let name = sample["segment"].as_str().unwrap();
        let (_, members) = columns.iter().find(|(n, _)| n == name).unwrap();
        let first: Vec<String> = keys
            .iter()
            .zip(members)
            .filter(|(_, m)| **m)
            .take(4)
            .map(|(k, _)| k.to_string())
            .collect();
        let rows = sample["rows"].as_array().unwrap();
        let shown: Vec<String> = rows
            .iter()
            .map(|r| r[0].as_str().unwrap().to_string())
            .collect();
        assert_eq!(shown, first, "{name}: the first members in the data");
    }
    let gmail = &samples[0];
    assert_eq!(
        gmail["columns"],
        serde_json::json!(["customer_id", "email", "age"])
    );
    for row in gmail["rows"].as_array().unwrap() {
        assert_eq!(row[1], "(pii hidden)");
        assert!(row[2].as_str().unwrap().parse::<i64>().unwrap() >= 60);
    }
    // Shown when asked.
    let shown = run(&["--show-pii"]);
    for row in shown["samples"][0]["rows"].as_array().unwrap() {
        assert!(row[1].as_str().unwrap().ends_with("@gmail.com"), "{row}");
    }
    // --segments narrows the sample too.
    let one = run(&["--segments", "seniors"]);
    assert_eq!(one["samples"].as_array().unwrap().len(), 1);
    assert_eq!(one["samples"][0]["segment"], "seniors");
}

#[test]
fn sample_is_refused_on_datafusion() {
    let out = seg(
        &[
            "run",
            "examples/lifecycle.seg",
            "--data",
            "examples/profiles.parquet",
            "--engine",
            "datafusion",
            "--sample",
            "2",
        ],
        &repo_root(),
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("`--sample` does not apply to `--engine datafusion`"));
}
