//! Showing profile values to people: one rule for how a value is printed
//! and when personal data is hidden, shared by every command that shows
//! rows (`seg why`, `seg run --sample`, `seg report`, `seg diff`'s key
//! samples).

use arrow::array::Array;
use seg_ir::{FieldId, Program, SegmentId, Selection};

/// What is shown instead of a `pii` value unless the user asked to see
/// personal data (`--show-pii`). It says why the value is hidden, so that
/// no one mistakes it for the data.
pub const MASKED: &str = "(pii hidden)";

/// How a missing value (an Arrow null) is shown: the language's word for it.
pub const MISSING: &str = "missing";

/// The text of row `row` of `array`, as Arrow displays it (dates and
/// timestamps in ISO 8601, lists as `[a, b]`), or [`MISSING`] for a null.
/// A row past the end is shown as missing rather than panicking.
pub fn cell(array: &dyn Array, row: usize) -> String {
    if row >= array.len() || array.is_null(row) {
        return MISSING.to_string();
    }
    // Instants are shown as Seg shows them everywhere (RFC 3339 in UTC, as
    // `as_of` is): Arrow's display cannot name a zone such as `UTC` without
    // the time-zone database, and would show the value as missing.
    if let arrow::datatypes::DataType::Timestamp(..) = array.data_type() {
        let one = arrow::array::make_array(array.slice(row, 1).to_data());
        if let Some(seg_eval::Col::Timestamp(values)) =
            seg_eval::read_column(&seg_ir::Type::Timestamp, &one)
            && let Some(Some(micros)) = values.first()
        {
            return crate::format_instant(*micros);
        }
    }
    arrow::util::display::array_value_to_string(array, row).unwrap_or_else(|_| MISSING.to_string())
}

/// [`cell`], or [`MASKED`] when the field is `pii` and `show_pii` is off.
/// A missing value is shown even for a `pii` field: that it is missing is
/// not personal data, and it is often why a profile is or is not a member.
pub fn shown(array: &dyn Array, row: usize, pii: bool, show_pii: bool) -> String {
    if pii && !show_pii && row < array.len() && !array.is_null(row) {
        MASKED.to_string()
    } else {
        cell(array, row)
    }
}

/// How an event history (a list of records) is shown: its number of
/// records, or [`MISSING`]. Its records are not printed: a history may be
/// long, and its record fields may be personal data; the aggregates a
/// condition compares show what the rules made of it.
pub fn records(array: &dyn Array, row: usize) -> String {
    use arrow::array::AsArray;
    use arrow::datatypes::DataType;
    if row >= array.len() || array.is_null(row) {
        return MISSING.to_string();
    }
    let count = match array.data_type() {
        DataType::List(_) => array.as_list::<i32>().value_length(row) as usize,
        DataType::LargeList(_) => array.as_list::<i64>().value_length(row) as usize,
        _ => return cell(array, row),
    };
    match count {
        1 => "1 record".to_string(),
        n => format!("{n} records"),
    }
}

/// 12,345 with thousands separators: how counts are shown to people.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part` as a percentage of `whole` (0 when `whole` is 0): the share
/// every command shows beside a count.
pub fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// The profile fields segment `id` reads, directly or through the segments
/// it refers to, in schema order, without the key: the columns that explain
/// its verdict.
pub fn segment_fields(program: &Program, id: SegmentId) -> Vec<FieldId> {
    let key = program.schema.key();
    Selection::new(program, vec![id], Vec::new())
        .required_fields(program)
        .into_iter()
        .filter(|&f| Some(f) != key)
        .collect()
}

/// Whether diagnostic `d` is about segment `id`: it lies in the segment's
/// declaration, from its name to the next segment of the same file. The
/// findings `seg explain` and `seg report` list under a segment.
pub fn in_segment(program: &Program, id: SegmentId, d: &seg_diagnostics::Diagnostic) -> bool {
    let Some(segment) = program.segments.get(id.0 as usize) else {
        return false;
    };
    let span = segment.span;
    let start = span.start;
    if d.span.file != span.file || d.span.start < start {
        return false;
    }
    let end = program
        .segments
        .iter()
        .filter(|s| s.span.file == d.span.file && s.span.start > start)
        .map(|s| s.span.start)
        .min()
        .unwrap_or(u32::MAX);
    d.span.start < end
}

/// The source text of segment `id`'s declaration, from `segment` to its
/// closing brace, as written (comments inside included).
pub fn segment_text(
    checked: &seg_check::Checked,
    program: &Program,
    id: SegmentId,
) -> Option<String> {
    let name = program.segments.get(id.0 as usize)?.span;
    let (_, file) = checked.files.iter().find(|(file, _)| *file == name.file)?;
    let item = file.items.iter().find(|item| {
        matches!(item.kind, seg_syntax::ast::ItemKind::Segment(_))
            && item.span.file == name.file
            && item.span.start <= name.start
            && name.start < item.span.end
    })?;
    let source = checked.sources.get(name.file)?;
    source.text.get(item.span.range()).map(str::to_string)
}

/// `text` safe inside an HTML or XML element or attribute value (the
/// report's page), so that no name, title, rule or value can open a tag or
/// end an attribute: the five special characters as entities, and the
/// characters XML 1.0 cannot hold at all (control characters other than
/// tab, line feed and carriage return, and U+FFFE and U+FFFF) as U+FFFD,
/// since no escape makes them legal. Tabs and line breaks stay as they are.
pub fn escape_markup(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\r' | '\t' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// [`escape_markup`] for XML attribute values (JUnit reports): tabs and line
/// breaks as character references too, which XML would otherwise turn into
/// spaces in an attribute.
pub fn escape_xml_attribute(text: &str) -> String {
    escape_markup(text)
        .replace('\n', "&#10;")
        .replace('\r', "&#13;")
        .replace('\t', "&#9;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    #[test]
    fn values_nulls_and_masking() {
        let names = StringArray::from(vec![Some("Ada"), None]);
        assert_eq!(cell(&names, 0), "Ada");
        assert_eq!(cell(&names, 1), MISSING);
        assert_eq!(cell(&names, 7), MISSING);
        assert_eq!(shown(&names, 0, true, false), MASKED);
        assert_eq!(shown(&names, 0, true, true), "Ada");
        assert_eq!(shown(&names, 1, true, false), MISSING);
        assert_eq!(shown(&Int64Array::from(vec![3]), 0, false, false), "3");
        // A zone name Arrow cannot resolve alone still shows the instant.
        let at = arrow::array::TimestampMicrosecondArray::from(vec![1_795_478_400_000_000])
            .with_timezone("UTC");
        assert_eq!(cell(&at, 0), "2026-11-24T00:00:00Z");
    }

    #[test]
    fn timestamps_in_a_named_zone_are_shown_not_missing() {
        let stamps = arrow::array::TimestampMicrosecondArray::from(vec![Some(1_000_000), None])
            .with_timezone("UTC");
        // As Seg shows every instant: RFC 3339 in UTC, as `as_of` is.
        assert_eq!(cell(&stamps, 0), "1970-01-01T00:00:01Z");
        // A slice keeps its offset.
        assert_eq!(cell(&stamps.slice(0, 1), 0), "1970-01-01T00:00:01Z");
        assert_eq!(cell(&stamps, 1), MISSING);
    }

    #[test]
    fn a_segment_reads_the_fields_of_the_segments_it_uses() {
        let checked = crate::check_source(
            "rules.seg".as_ref(),
            "schema {\n  id: int key\n  email: string pii\n  orders: int\n  country: string\n}\n\
             segment buyers { where orders > 0 }\n\
             segment us_buyers { where buyers and country == \"US\" }\n",
        );
        let program = checked.program.expect("valid rules");
        let id = program
            .segments
            .iter()
            .position(|s| s.name == "us_buyers")
            .expect("segment");
        let names: Vec<&str> = segment_fields(&program, SegmentId(id as u32))
            .into_iter()
            .map(|f| program.schema.fields[f.0 as usize].name.as_str())
            .collect();
        assert_eq!(names, ["orders", "country"]);
    }

    #[test]
    fn escape_markup_makes_any_text_legal_in_attributes_and_elements() {
        assert_eq!(
            escape_markup(r#"a < b & "c" > 'd'"#),
            "a &lt; b &amp; &quot;c&quot; &gt; &apos;d&apos;"
        );
        assert_eq!(escape_markup("one\ntwo\tthree\r"), "one\ntwo\tthree\r");
        assert_eq!(
            escape_xml_attribute("one\ntwo\tthree\r & <x>"),
            "one&#10;two&#9;three&#13; &amp; &lt;x&gt;"
        );
        assert_eq!(
            escape_markup("bell\u{7} nul\u{0} \u{fffe}"),
            "bell\u{fffd} nul\u{fffd} \u{fffd}"
        );
        assert_eq!(escape_markup("é → 😀"), "é → 😀");
        assert_eq!(escape_markup("]]>"), "]]&gt;");
    }
}
