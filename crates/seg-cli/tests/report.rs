//! `seg report` on the bundled profiles: one self-contained HTML page with
//! the sizes, waterfall, overlap, rules, findings and a masked sample, and
//! (where Debian's `chromium` is installed) rendered in a headless browser
//! without script errors.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{code, repo_root, run_bundled, seg, stderr, text};
use std::path::{Path, PathBuf};

/// Rules over the bundled schema: a title that tries to run a script, a
/// segment reading personal data, one with a finding, and a priority group.
fn rules(dir: &Path) -> PathBuf {
    let schema = std::fs::read_to_string(repo_root().join("examples/schema.seg")).unwrap();
    let path = dir.join("rules.seg");
    std::fs::write(
        &path,
        format!(
            "{schema}\n\
             segment senior_gmail \"<script>document.body.setAttribute('data-pwned','1')</script>\" {{\n  where email ends with \"@gmail.com\" and age >= 60\n}}\n\n\
             segment seniors \"Seniors\" {{\n  where age >= 60\n}}\n\n\
             segment never {{\n  where age > 200 and age < 100\n}}\n\n\
             segment promoters {{\n  where nps >= 9\n}}\n\n\
             priority outreach {{\n  senior_gmail\n  seniors\n  promoters\n}}\n"
        ),
    )
    .unwrap();
    path
}

/// `seg report` in `dir` with `extra` arguments; the page written.
fn report(dir: &Path, extra: &[&str]) -> String {
    let rules = rules(dir);
    let data = repo_root().join("examples/profiles.parquet");
    let mut args = vec![
        "report",
        rules.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--as-of",
        "2026-11-24",
        "--out",
        "report.html",
    ];
    args.extend_from_slice(extra);
    let out = seg(&args, dir);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    std::fs::read_to_string(dir.join("report.html")).unwrap()
}

#[test]
fn the_page_holds_every_part_and_loads_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let page = report(dir.path(), &[]);
    for part in [
        "id=\"sizes-chart\"",
        "id=\"sizes-table\"",
        "id=\"waterfall\"",
        "class=\"waterfall-chart\"",
        "id=\"overlap-heatmap\"",
        "id=\"overlap-table\"",
        "id=\"rules\"",
        "id=\"samples\"",
    ] {
        assert!(page.contains(part), "{part} missing");
    }
    // Bars carry titles for screen readers, with the numbers.
    assert!(page.contains("<title>seniors: "), "bar titles");
    // Rule text as written, and the finding the checker gives for it.
    assert!(page.contains("segment seniors &quot;Seniors&quot; {\n  where age &gt;= 60\n}"));
    // The findings are those `seg check` gives, under their segment.
    let check = seg(&["check", "rules.seg"], dir.path());
    let checked = stderr(&check) + &text(&check.stdout);
    for (code, message) in [
        (
            "W0301",
            "segment `senior_gmail` uses the personal data field `email`",
        ),
        ("W0302", "segment `never` can never match"),
    ] {
        assert!(
            checked.contains(code) && checked.contains(message),
            "seg check: {checked}"
        );
        assert!(
            page.contains(&format!("warning[{code}]: {message}")),
            "{code}"
        );
    }
    let never = page.split("<h3>never</h3>").nth(1).unwrap();
    let never = never.split("</article>").next().unwrap();
    assert!(never.contains("W0302") && !never.contains("W0301"));
    // Escaped, never run.
    assert!(!page.contains("<script>document"));
    assert!(page.contains(
        "&lt;script&gt;document.body.setAttribute(&apos;data-pwned&apos;,&apos;1&apos;)&lt;/script&gt;"
    ));
    // Self-contained: nothing fetched at view time.
    for fetch in [
        "http://", "https://", "<link", "@import", "url(", " src=", "<img", "<iframe",
    ] {
        assert!(!page.contains(fetch), "the page refers to {fetch}");
    }
    // pii masked in the sample, shown only when asked.
    assert!(page.contains("(pii hidden)"));
    assert!(!page.contains("@gmail.com</td>"));
    let shown = report(dir.path(), &["--show-pii"]);
    assert!(shown.contains("@gmail.com</td>"));
    assert!(!shown.contains("(pii hidden)"));
}

#[test]
fn sizes_match_seg_run_and_previous_shows_the_change() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules(dir.path());
    let before = seg(
        &[
            "run",
            rules.to_str().unwrap(),
            "--data",
            repo_root()
                .join("examples/profiles.parquet")
                .to_str()
                .unwrap(),
            "--as-of",
            "2026-11-24",
            "--summary",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code(&before), 0, "{}", stderr(&before));
    // A previous run where `seniors` had 100 members fewer and `promoters`
    // did not exist.
    let mut previous: serde_json::Value = serde_json::from_slice(&before.stdout).unwrap();
    let sizes = common::sizes(&previous);
    let seniors = sizes.iter().find(|(n, _)| n == "seniors").unwrap().1;
    for segment in previous["segments"].as_array_mut().unwrap() {
        if segment["name"] == "seniors" {
            segment["members"] = serde_json::json!(seniors - 100);
        }
    }
    let list = previous["segments"].as_array_mut().unwrap();
    list.retain(|s| s["name"] != "promoters");
    std::fs::write(dir.path().join("run.json"), previous.to_string()).unwrap();
    let page = report(dir.path(), &["--previous", "run.json"]);
    assert!(page.contains(&format!(
        "<tr><td>seniors</td><td>Seniors</td><td class=\"n\">{}</td>",
        seg::present::thousands(seniors)
    )));
    assert!(page.contains("<td class=\"n up\">+100</td>"), "the change");
    assert!(
        page.contains("<td>new</td>"),
        "a segment the previous run lacked"
    );

    // A previous document that is not a summary is an input error.
    std::fs::write(dir.path().join("bad.json"), "{\"hello\": 1}").unwrap();
    let out = seg(
        &[
            "report",
            "rules.seg",
            "--data",
            repo_root()
                .join("examples/profiles.parquet")
                .to_str()
                .unwrap(),
            "--out",
            "r.html",
            "--previous",
            "bad.json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a `seg run --summary json` document"));
    assert!(!dir.path().join("r.html").exists());
}

#[test]
fn json_output_and_refusing_to_replace_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let rules = rules(dir.path());
    let data = repo_root().join("examples/profiles.parquet");
    let out = seg(
        &[
            "report",
            rules.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
            "--as-of",
            "2026-11-24",
            "--out",
            "r.html",
            "--format",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["output"], "r.html");
    assert_eq!(summary["profiles"], 20_000);
    assert_eq!(summary["segments"], 4);
    let written = std::fs::metadata(dir.path().join("r.html")).unwrap().len();
    assert_eq!(summary["bytes"].as_u64(), Some(written));

    let out = seg(
        &[
            "report",
            "rules.seg",
            "--data",
            data.to_str().unwrap(),
            "--out",
            "rules.seg",
        ],
        dir.path(),
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("E0803"), "{}", stderr(&out));
    let bundled = run_bundled("examples/lifecycle.seg", &[]);
    assert_eq!(bundled["profiles"], 20_000);
}

/// Debian's `chromium` (or `chromium-browser`) on the PATH.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless chromium on `page` with `extra` arguments, in a fresh
/// profile, with nothing fetched from the network; its standard output.
fn headless(browser: &Path, page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

#[test]
fn the_page_renders_in_a_headless_browser() {
    let Some(browser) = chromium() else {
        if std::env::var("SEG_REQUIRE_BROWSER").as_deref() == Ok("1") {
            panic!(
                "SEG_REQUIRE_BROWSER=1 but chromium is not installed (apt-get install chromium)"
            );
        }
        eprintln!(
            "skipped: chromium is not installed (apt-get install chromium; SEG_REQUIRE_BROWSER=1 makes this a failure)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    report(dir.path(), &[]);
    let page = dir.path().join("report.html");

    let dom = headless(&browser, &page, &["--dump-dom"]);
    assert!(
        dom.contains("data-rendered=\"yes\""),
        "the page script ran: {dom}"
    );
    assert!(
        !dom.contains("id=\"script-error\""),
        "a script error: {dom}"
    );
    assert!(!dom.contains("data-pwned=\"1\""), "a title ran as a script");
    // The page's script recorded the rendered size of each main part.
    let layout = dom
        .split("data-layout=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the layout was recorded");
    for part in [
        "sizes-chart",
        "sizes-table",
        "overlap-heatmap",
        "overlap-table",
        "waterfall-chart",
        "sample-table",
        "rules",
    ] {
        let size = layout
            .split(' ')
            .find_map(|p| p.strip_prefix(&format!("{part}:")))
            .unwrap_or_else(|| panic!("{part} not laid out: {layout}"));
        let (w, h) = size.split_once('x').unwrap();
        assert!(
            w.parse::<u32>().unwrap() > 0 && h.parse::<u32>().unwrap() > 0,
            "{part} is empty: {layout}"
        );
    }
    assert_eq!(
        dom.matches("class=\"bar\"").count(),
        4,
        "one bar per segment"
    );

    let shot = dir.path().join("report.png");
    headless(
        &browser,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1200,2400",
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    // Width and height from the IHDR chunk.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 2400));
    assert!(
        png.len() > 20_000,
        "the screenshot is not blank ({} bytes)",
        png.len()
    );
    if let Ok(keep) = std::env::var("SEG_REPORT_SCREENSHOT") {
        std::fs::copy(&shot, keep).unwrap();
    }
}
