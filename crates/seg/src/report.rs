//! `seg report`: one self-contained HTML page about a run, to look at and to
//! share. Segment sizes as bars with their share (and the change since a
//! previous run), each priority group's waterfall, the overlap heatmap, each
//! segment's rule text with its findings, and a sample of members with
//! personal data masked. Charts are inline SVG written here; the page loads
//! nothing from the network (no external script, style sheet, font or
//! image), so it opens the same offline, in a mail attachment or in CI
//! artifacts. Every text from the rules or the data goes through [`escape`].

use crate::present::{self, percent, thousands};
use crate::sample::SegmentSample;
use crate::{Error, Query, RunReport};
use seg_ir::SegmentId;
use std::fmt::Write;

/// Segment sizes of an earlier run, read from its `seg run --summary json`
/// document, to show how sizes moved since.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Previous {
    /// Profiles in that run.
    pub profiles: u64,
    /// Its instant of evaluation, as written in the document.
    pub as_of: Option<String>,
    /// Members per segment name.
    pub members: Vec<(String, u64)>,
}

impl Previous {
    /// Reads a `seg run --summary json` document; E0801 when it is not one.
    pub fn from_summary_json(text: &str) -> Result<Previous, Error> {
        let bad = |why: &str| {
            Error::new(
                "E0801",
                format!("the previous run is not a `seg run --summary json` document: {why}"),
                Some("pass the JSON that `seg run RULES --data D --summary json` printed".into()),
            )
        };
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
        let profiles = value
            .get("profiles")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| bad("it has no `profiles` count"))?;
        let segments = value
            .get("segments")
            .and_then(serde_json::Value::as_array)
            .ok_or_else(|| bad("it has no `segments` list"))?;
        let mut members = Vec::new();
        for segment in segments {
            let name = segment.get("name").and_then(serde_json::Value::as_str);
            let count = segment.get("members").and_then(serde_json::Value::as_u64);
            match (name, count) {
                (Some(name), Some(count)) => members.push((name.to_string(), count)),
                _ => return Err(bad("a segment has no `name` or `members`")),
            }
        }
        Ok(Previous {
            profiles,
            as_of: value
                .get("as_of")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            members,
        })
    }

    /// Members of segment `name` in that run, when it had the segment.
    pub fn members_of(&self, name: &str) -> Option<u64> {
        self.members
            .iter()
            .find(|(n, _)| n == name)
            .map(|&(_, count)| count)
    }
}

/// What a report is made of: a finished run and what explains it.
pub struct ReportInput<'a> {
    /// The rules as checked (their text, for each segment's rule, and their
    /// findings).
    pub checked: &'a seg_check::Checked,
    /// The query that ran.
    pub query: &'a Query,
    /// The run's sizes (with overlap, when counted).
    pub run: &'a RunReport,
    /// A sample of members per reported segment, values already shown as
    /// [`present::shown`] does (pii masked unless asked).
    pub samples: &'a [SegmentSample],
    /// An earlier run, to show the change in size.
    pub previous: Option<&'a Previous>,
    /// The rules' path as shown.
    pub rules: &'a str,
    /// The data's path as shown.
    pub data: &'a str,
}

/// Escapes text for HTML content and attribute values: the one markup
/// escape, [`escape_markup`](crate::present::escape_markup).
pub fn escape(text: &str) -> String {
    crate::present::escape_markup(text)
}

/// Colours of the segments' bars, cycled; chosen to be told apart and to
/// keep dark text legible.
const PALETTE: [&str; 8] = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f",
];

/// The style sheet, inline: the page must not fetch anything.
const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}\
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd}\
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}\
td.n{text-align:right;font-variant-numeric:tabular-nums}pre{background:#f6f6f6;padding:.5rem;overflow-x:auto}\
.up{color:#2a7a2a}.down{color:#b22}.finding{color:#8a5a00}.meta{color:#555}.scroll{overflow-x:auto}.swatch{display:inline-block;width:.8em;height:.8em;margin-right:.4em}svg text{font-size:12px;fill:#222}";

/// The only script: it records any script error in the page, and once the
/// page is laid out, the rendered size of its main parts (`data-layout` on
/// the body), so that a headless browser test sees that they show.
const SCRIPT: &str = "window.onerror=function(m){var e=document.createElement('p');\
e.id='script-error';e.textContent=String(m);document.body.appendChild(e);};\
window.addEventListener('load',function(){var parts=[];\
document.querySelectorAll('svg,table,section').forEach(function(e){\
var r=e.getBoundingClientRect();parts.push((e.id||e.getAttribute('class')||e.tagName)+':'+Math.round(r.width)+'x'+Math.round(r.height));});\
document.body.setAttribute('data-layout',parts.join(' '));document.body.setAttribute('data-rendered','yes');});";

/// The report page for one run.
pub fn html(input: &ReportInput<'_>) -> String {
    let query = input.query;
    let sizes = &input.run.sizes;
    let ids: Vec<SegmentId> = query.selection().segments().to_vec();
    let names: Vec<&str> = ids.iter().map(|&id| query.segment_name(id)).collect();
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Seg report: {rules}</title>\n<style>{STYLE}</style>\n<script>{SCRIPT}</script>\n</head>\n<body>\n\
         <h1>Seg report: {rules}</h1>\n<p class=\"meta\" id=\"run\">{profiles} profiles from {data} · as of {as_of} · engine {engine}</p>\n",
        rules = escape(input.rules),
        data = escape(input.data),
        profiles = thousands(sizes.profiles),
        as_of = escape(&crate::format_instant(query.as_of())),
        engine = escape(input.run.engine),
    );
    sizes_section(&mut out, input, &ids, &names);
    waterfall_section(&mut out, input);
    overlap_section(&mut out, input, &names);
    rules_section(&mut out, input, &ids);
    samples_section(&mut out, input);
    out.push_str("</body>\n</html>\n");
    out
}

/// Segment sizes as horizontal bars (width = share of profiles), each with
/// a `<title>` for screen readers and tooltips, then the same numbers as a
/// table, with the change since the previous run.
fn sizes_section(out: &mut String, input: &ReportInput<'_>, ids: &[SegmentId], names: &[&str]) {
    let sizes = &input.run.sizes;
    let program = input.query.program();
    out.push_str("<section id=\"sizes\">\n<h2>Segment sizes</h2>\n");
    let (label, bar, row) = (180.0, 400.0, 24.0);
    let height = row * names.len() as f64 + 8.0;
    let _ = writeln!(
        out,
        "<svg id=\"sizes-chart\" role=\"img\" aria-labelledby=\"sizes-chart-title\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\">\
         <title id=\"sizes-chart-title\">Members of each segment, as a share of all profiles</title>",
        w = label + bar + 120.0
    );
    for (i, (name, &members)) in names.iter().zip(&sizes.members).enumerate() {
        let share = percent(members, sizes.profiles);
        let y = i as f64 * row + 4.0;
        let _ = writeln!(
            out,
            "<g class=\"bar\"><title>{name}: {count} members ({share:.2}%)</title>\
             <text x=\"{tx}\" y=\"{ty}\" text-anchor=\"end\">{name}</text>\
             <rect x=\"{label}\" y=\"{y}\" width=\"{width:.1}\" height=\"{h}\" fill=\"{color}\"></rect>\
             <text x=\"{vx:.1}\" y=\"{ty}\">{count} · {share:.1}%</text></g>",
            name = escape(name),
            count = thousands(members),
            tx = label - 6.0,
            ty = y + 14.0,
            width = bar * share / 100.0,
            h = row - 6.0,
            color = PALETTE[i % PALETTE.len()],
            vx = label + bar * share / 100.0 + 6.0,
        );
    }
    out.push_str("</svg>\n<table id=\"sizes-table\">\n<thead><tr><th>segment</th><th>title</th><th>members</th><th>share</th>");
    if input.previous.is_some() {
        out.push_str("<th>previous</th><th>change</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for ((&id, name), &members) in ids.iter().zip(names).zip(&sizes.members) {
        let title = program
            .segments
            .get(id.0 as usize)
            .and_then(|s| s.title.as_deref())
            .unwrap_or("");
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}%</td>",
            escape(name),
            escape(title),
            thousands(members),
            percent(members, sizes.profiles)
        );
        if let Some(previous) = input.previous {
            match previous.members_of(name) {
                Some(before) => {
                    let change = members as i128 - before as i128;
                    let class = match change {
                        c if c > 0 => "up",
                        c if c < 0 => "down",
                        _ => "same",
                    };
                    let _ = write!(
                        out,
                        "<td class=\"n\">{}</td><td class=\"n {class}\">{}{}</td>",
                        thousands(before),
                        if change > 0 {
                            "+"
                        } else if change < 0 {
                            "−"
                        } else {
                            "±"
                        },
                        thousands(change.unsigned_abs() as u64),
                    );
                }
                None => out.push_str("<td class=\"n\">—</td><td>new</td>"),
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
    if let Some(previous) = input.previous {
        let _ = writeln!(
            out,
            "<p class=\"meta\" id=\"previous\">Change since the previous run ({} profiles{}).</p>",
            thousands(previous.profiles),
            previous
                .as_of
                .as_deref()
                .map(|t| format!(", as of {}", escape(t)))
                .unwrap_or_default()
        );
    }
    out.push_str("</section>\n");
}

/// Each reported priority group as one stacked bar: the profiles assigned
/// to each of its segments in order, then those in none.
fn waterfall_section(out: &mut String, input: &ReportInput<'_>) {
    let query = input.query;
    let program = query.program();
    let sizes = &input.run.sizes;
    let groups: Vec<_> = query
        .selection()
        .priorities()
        .iter()
        .zip(sizes.assigned.iter().zip(&sizes.unassigned))
        .filter_map(|(&p, (counts, none))| Some((program.priorities.get(p)?, counts, *none)))
        .collect();
    if groups.is_empty() {
        return;
    }
    out.push_str("<section id=\"waterfall\">\n<h2>Priority waterfall</h2>\n<p class=\"meta\">Each profile goes to the first segment of the group it is a member of.</p>\n");
    let width = 600.0;
    for (group, counts, none) in groups {
        let _ = writeln!(out, "<h3>priority {}</h3>", escape(&group.name));
        let _ = write!(
            out,
            "<svg class=\"waterfall-chart\" role=\"img\" width=\"{width}\" height=\"40\" viewBox=\"0 0 {width} 40\"><title>How priority {} assigns the profiles</title>",
            escape(&group.name)
        );
        let mut x = 0.0;
        let parts = group
            .segments
            .iter()
            .map(|&id| query.segment_name(id))
            .zip(counts.iter().copied())
            .chain(std::iter::once(("(none)", none)));
        let mut rows = String::new();
        for (i, (name, n)) in parts.enumerate() {
            let share = percent(n, sizes.profiles);
            let w = width * share / 100.0;
            let color = if name == "(none)" && i == group.segments.len() {
                "#cccccc"
            } else {
                PALETTE[i % PALETTE.len()]
            };
            let _ = write!(
                out,
                "<g class=\"step\"><title>{name}: {count} profiles ({share:.2}%)</title><rect x=\"{x:.1}\" y=\"4\" width=\"{w:.1}\" height=\"32\" fill=\"{color}\"></rect></g>",
                name = escape(name),
                count = thousands(n),
            );
            x += w;
            let _ = writeln!(
                rows,
                "<tr><td><span class=\"swatch\" style=\"background:{color}\"></span>{}</td><td class=\"n\">{}</td><td class=\"n\">{share:.2}%</td></tr>",
                escape(name),
                thousands(n)
            );
        }
        out.push_str("</svg>\n<table class=\"waterfall-table\">\n<thead><tr><th>assigned to</th><th>profiles</th><th>share</th></tr></thead>\n<tbody>\n");
        out.push_str(&rows);
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

/// The overlap of every pair of segments as a heatmap (colour = Jaccard
/// index; the diagonal is the segment itself), then the pairs as a table,
/// the largest overlap first.
fn overlap_section(out: &mut String, input: &ReportInput<'_>, names: &[&str]) {
    let sizes = &input.run.sizes;
    let Some(matrix) = &sizes.overlap else {
        return;
    };
    out.push_str("<section id=\"overlap\">\n<h2>Overlap</h2>\n<p class=\"meta\">Profiles in both segments; the darker, the larger the share of either that both hold (Jaccard index).</p>\n");
    let (label, cell) = (180.0, 36.0);
    // Column names are written at 60°: the space above and to the right of
    // the grid grows with the longest name (about 7 px a character).
    let longest = names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as f64;
    let top = (longest * 7.0 * 0.87 + 12.0).max(cell);
    let k = names.len() as f64;
    let (width, height) = (label + cell * k + longest * 3.5 + 12.0, top + cell * k);
    let _ = writeln!(
        out,
        "<div class=\"scroll\"><svg id=\"overlap-heatmap\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><title>Overlap of each pair of segments</title>"
    );
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"end\">{name}</text>\
             <text transform=\"translate({cx} {cy}) rotate(-60)\">{name}</text>",
            x = label - 6.0,
            y = top + cell * i as f64 + cell / 2.0 + 4.0,
            cx = label + cell * i as f64 + cell / 2.0,
            cy = top - 6.0,
            name = escape(name),
        );
    }
    for (i, row) in matrix.iter().enumerate() {
        for (j, &both) in row.iter().enumerate() {
            let a = sizes.members.get(i).copied().unwrap_or(0);
            let b = sizes.members.get(j).copied().unwrap_or(0);
            let index = crate::jaccard(both, a, b);
            // Lightness from 97% (nothing shared) to 35% (the same members).
            let lightness = 97.0 - 62.0 * index;
            let _ = write!(
                out,
                "<g class=\"cell\"><title>{} and {}: {} in both (Jaccard {:.3})</title>\
                 <rect x=\"{x}\" y=\"{y}\" width=\"{c}\" height=\"{c}\" fill=\"hsl(215, 60%, {lightness:.0}%)\" stroke=\"#fff\"></rect></g>",
                escape(names.get(i).copied().unwrap_or("")),
                escape(names.get(j).copied().unwrap_or("")),
                thousands(both),
                index,
                x = label + cell * j as f64,
                y = top + cell * i as f64,
                c = cell,
            );
        }
    }
    out.push_str("</svg></div>\n<table id=\"overlap-table\">\n<thead><tr><th>segment</th><th>segment</th><th>in both</th><th>Jaccard</th></tr></thead>\n<tbody>\n");
    for pair in sizes.overlap_pairs() {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{:.3}</td></tr>",
            escape(names.get(pair.first).copied().unwrap_or("")),
            escape(names.get(pair.second).copied().unwrap_or("")),
            thousands(pair.both),
            pair.jaccard
        );
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
}

/// Each segment's rule as written and the optimizer's findings about it
/// (the warnings `seg check` gives).
fn rules_section(out: &mut String, input: &ReportInput<'_>, ids: &[SegmentId]) {
    let program = input.query.program();
    out.push_str("<section id=\"rules\">\n<h2>Rules and findings</h2>\n");
    for &id in ids {
        let name = input.query.segment_name(id);
        let _ = writeln!(out, "<article class=\"rule\"><h3>{}</h3>", escape(name));
        if let Some(text) = present::segment_text(input.checked, program, id) {
            let _ = writeln!(out, "<pre>{}</pre>", escape(&text));
        }
        let findings: Vec<_> = input
            .checked
            .diagnostics
            .iter()
            .filter(|d| !d.is_error() && present::in_segment(program, id, d))
            .collect();
        if findings.is_empty() {
            out.push_str("<p class=\"meta\">No findings.</p>\n");
        } else {
            out.push_str("<ul class=\"findings\">\n");
            for d in findings {
                let _ = writeln!(
                    out,
                    "<li class=\"finding\">warning[{}]: {}{}</li>",
                    d.code,
                    escape(&d.message),
                    d.help
                        .as_deref()
                        .map(|h| format!(" — help: {}", escape(h)))
                        .unwrap_or_default()
                );
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</article>\n");
    }
    out.push_str("</section>\n");
}

/// The first members of each segment, with the fields its rule reads.
fn samples_section(out: &mut String, input: &ReportInput<'_>) {
    if input.samples.is_empty() {
        return;
    }
    out.push_str("<section id=\"samples\">\n<h2>Members sample</h2>\n<p class=\"meta\">The first members of each segment in the data's order, with the fields its rule reads; personal data is hidden unless the report was made with --show-pii.</p>\n");
    for sample in input.samples {
        let _ = writeln!(out, "<h3>{}</h3>", escape(&sample.segment));
        if sample.rows.is_empty() {
            out.push_str("<p class=\"meta\">No members.</p>\n");
            continue;
        }
        out.push_str("<table class=\"sample-table\">\n<thead><tr>");
        for column in &sample.columns {
            let _ = write!(out, "<th>{}</th>", escape(column));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for row in &sample.rows {
            out.push_str("<tr>");
            for value in row {
                let _ = write!(out, "<td>{}</td>", escape(value));
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_closes_every_door() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"y\""),
            "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt; &amp; &quot;y&quot;"
        );
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn previous_runs_are_read_from_the_summary_json() {
        let previous = Previous::from_summary_json(
            r#"{"profiles": 10, "as_of": "2026-11-24T00:00:00Z", "segments": [{"name": "vip", "members": 4}]}"#,
        )
        .expect("a summary");
        assert_eq!(previous.members_of("vip"), Some(4));
        assert_eq!(previous.members_of("other"), None);
        assert!(Previous::from_summary_json("[]").is_err());
        assert!(Previous::from_summary_json("not json").is_err());
    }

    #[test]
    fn a_title_with_a_script_stays_text() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  id: int key\n  orders: int\n}\n\
             segment buyers \"<script>alert(1)</script>\" { where orders > 0 }\n\
             segment big \"Big\" { where orders > 5 }\n\
             priority tier { big buyers }\n",
        );
        let program = checked.program.clone().expect("valid rules");
        let query = Query::prepare(&program, &crate::RunOptions::default().overlap(true))
            .expect("prepared");
        let mut sizes = crate::Sizes::new(&query);
        let batch = arrow::array::BooleanArray::from(vec![true, true, false]);
        let big = arrow::array::BooleanArray::from(vec![true, false, false]);
        let priority = arrow::array::UInt32Array::from(vec![Some(0), Some(1), None]);
        sizes.add(
            3,
            &crate::Membership {
                segments: vec![batch, big],
                priorities: vec![priority],
            },
        );
        let run = RunReport {
            sizes,
            pruning: None,
            engine: "interp",
            threads: 1,
            elapsed: std::time::Duration::ZERO,
        };
        let page = html(&ReportInput {
            checked: &checked,
            query: &query,
            run: &run,
            samples: &[],
            previous: None,
            rules: "rules.seg",
            data: "<data>.csv",
        });
        assert!(!page.contains("<script>alert"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("&lt;data&gt;.csv"));
        assert!(page.contains("id=\"sizes-chart\""));
        assert!(page.contains("id=\"overlap-heatmap\""));
        assert!(page.contains("class=\"waterfall-chart\""));
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
