//! Source files, spans and the one line index every renderer uses.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Identifies a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub u32);

/// A byte range in one file. Offsets are byte offsets into the file's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// The file the range is in.
    pub file: FileId,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// A span over `start..end` of `file`.
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        // Files are capped at 1 MiB long before spans are made, so offsets fit.
        Span {
            file,
            start: u32::try_from(start).unwrap_or(u32::MAX),
            end: u32::try_from(end).unwrap_or(u32::MAX),
        }
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    /// The byte range, for slicing the file's text.
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column. Columns count Unicode scalar values, so a column
/// is what a person counts on screen for text without wide characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in Unicode scalar values.
    pub column: u32,
}

/// A position as the Language Server Protocol counts it: a 0-based line and a
/// 0-based column in UTF-16 code units (a character outside the Basic
/// Multilingual Plane, such as most emoji, is two units).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Utf16Position {
    /// 0-based line.
    pub line: u32,
    /// 0-based column, in UTF-16 code units.
    pub character: u32,
}

/// Maps byte offsets to lines and columns. Lines end at `\n`; a `\r` before it
/// belongs to the line ending, so CRLF files get the same positions as LF files.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// `chars_before[k]`: characters in the first `k * CHAR_STRIDE` bytes, so
    /// a column costs at most `CHAR_STRIDE` bytes of counting however long
    /// the line (a 1 MiB line with 500,000 diagnostics stays linear).
    chars_before: Vec<usize>,
    /// `utf16_before[k]`: UTF-16 code units in the first `k * CHAR_STRIDE`
    /// bytes, for editor positions at the same cost.
    utf16_before: Vec<usize>,
}

/// Bytes between two entries of [`LineIndex::chars_before`].
const CHAR_STRIDE: usize = 256;

/// Characters in a byte range that may start or end inside a character: the
/// bytes that are not UTF-8 continuation bytes.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

/// UTF-16 code units in a byte range that may start or end inside a
/// character: one per character, and one more per character of four UTF-8
/// bytes (those lie outside the Basic Multilingual Plane and take a
/// surrogate pair). A leading byte is counted with its character.
fn count_utf16(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .map(|&b| match b {
            _ if b & 0xC0 == 0x80 => 0,
            0xF0.. => 2,
            _ => 1,
        })
        .sum()
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars_before = vec![0];
        let mut utf16_before = vec![0];
        let (mut chars, mut units) = (0, 0);
        for chunk in text.as_bytes().chunks(CHAR_STRIDE) {
            chars += count_chars(chunk);
            units += count_utf16(chunk);
            chars_before.push(chars);
            utf16_before.push(units);
        }
        LineIndex {
            line_starts,
            chars_before,
            utf16_before,
        }
    }

    /// UTF-16 code units in `text[..offset]`, `offset` a character boundary.
    fn utf16_to(&self, text: &str, offset: usize) -> usize {
        let block = offset / CHAR_STRIDE;
        let base = self.utf16_before.get(block).copied().unwrap_or(0);
        base + count_utf16(&text.as_bytes()[block * CHAR_STRIDE..offset])
    }

    /// The 0-based line and the byte offset where it starts, and the
    /// character boundary at or before `offset` (clamped to the text), with a
    /// `\r` that ends the line left out: the shared first step of both
    /// column conventions.
    fn locate(&self, text: &str, offset: usize) -> (usize, usize, usize) {
        let offset = offset.min(text.len());
        let line = self
            .line_starts
            .partition_point(|&start| start <= offset)
            .saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        // A `\r` that ends the line is not a column of its own.
        let bytes = text.as_bytes();
        while end > line_start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
        (line, line_start, end)
    }

    /// The editor position (0-based line, UTF-16 column) of byte `offset` in
    /// `text`, the text this index was built from. Offsets past the end map
    /// to the end; offsets inside a multi-byte character map to that
    /// character; the `\r` of a CRLF ending maps to the end of its line.
    pub fn utf16_position(&self, text: &str, offset: usize) -> Utf16Position {
        let (line, line_start, end) = self.locate(text, offset);
        let character = self.utf16_to(text, end) - self.utf16_to(text, line_start);
        Utf16Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            character: u32::try_from(character).unwrap_or(u32::MAX),
        }
    }

    /// The byte offset in `text` of an editor position (0-based line, UTF-16
    /// column). Editors may send positions that do not exist; they are
    /// clamped, never refused: a line past the last is the end of the text, a
    /// column past the end of its line is the end of that line (before its
    /// line ending), and a column inside a character (between the two halves
    /// of a surrogate pair) is the start of that character.
    pub fn utf16_offset(&self, text: &str, position: Utf16Position) -> usize {
        let Some(range) = self.line_range(text, position.line.saturating_add(1)) else {
            return text.len();
        };
        let mut units = 0usize;
        let wanted = position.character as usize;
        for (at, c) in text[range.clone()].char_indices() {
            if units + c.len_utf16() > wanted {
                return range.start + at;
            }
            units += c.len_utf16();
        }
        range.end
    }

    /// Characters in `text[..offset]`, `offset` a character boundary.
    fn chars_to(&self, text: &str, offset: usize) -> usize {
        let block = offset / CHAR_STRIDE;
        let base = self.chars_before.get(block).copied().unwrap_or(0);
        base + count_chars(&text.as_bytes()[block * CHAR_STRIDE..offset])
    }

    /// The line and column of byte `offset` in `text` (the text this index was
    /// built from). Offsets past the end map to the end; offsets inside a
    /// multi-byte character map to that character.
    pub fn line_col(&self, text: &str, offset: usize) -> LineCol {
        let (line, line_start, end) = self.locate(text, offset);
        let column = self.chars_to(text, end) - self.chars_to(text, line_start) + 1;
        LineCol {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// How many lines the text has (an empty text has one, empty, line).
    pub fn line_count(&self) -> u32 {
        u32::try_from(self.line_starts.len()).unwrap_or(u32::MAX)
    }

    /// The byte range of 1-based `line` in `text`, without its line ending;
    /// `None` past the last line.
    pub fn line_range(&self, text: &str, line: u32) -> Option<std::ops::Range<usize>> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.line_starts.get(index)?;
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(text.len())
            .min(text.len());
        let body = text.get(start..end)?;
        let kept = body.trim_end_matches('\n').trim_end_matches('\r').len();
        Some(start..start + kept)
    }

    /// The text of 1-based `line`, without its line ending.
    pub fn line_text<'t>(&self, text: &'t str, line: u32) -> &'t str {
        let index = (line as usize).saturating_sub(1);
        let Some(&start) = self.line_starts.get(index) else {
            return "";
        };
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(text.len());
        text[start..end]
            .trim_end_matches('\n')
            .trim_end_matches('\r')
    }
}

/// One loaded source file.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user should see it (relative where the user gave it so).
    pub path: PathBuf,
    /// The text.
    pub text: Arc<str>,
    /// Its line index.
    pub lines: Arc<LineIndex>,
}

impl SourceFile {
    /// The line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> LineCol {
        self.lines.line_col(&self.text, offset)
    }
}

/// All files of one compilation, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, path: impl Into<PathBuf>, text: impl Into<Arc<str>>) -> FileId {
        let text: Arc<str> = text.into();
        let lines = Arc::new(LineIndex::new(&text));
        self.files.push(SourceFile {
            path: path.into(),
            text,
            lines,
        });
        FileId(u32::try_from(self.files.len() - 1).unwrap_or(u32::MAX))
    }

    /// The file with this id.
    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    /// The id of the file at `path`, if loaded.
    pub fn find(&self, path: &Path) -> Option<FileId> {
        self.files
            .iter()
            .position(|f| f.path == path)
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    /// Every file with its id.
    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(u32::try_from(i).unwrap_or(u32::MAX)), f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_scalars_and_ignores_cr() {
        let text = "ab\r\nçé x\nlast";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(text, 2), LineCol { line: 1, column: 3 });
        // The `\r` itself sits at the end of line 1.
        assert_eq!(index.line_col(text, 3), LineCol { line: 1, column: 3 });
        // `x` comes after two 2-byte characters and a space.
        let x = text.find('x').unwrap();
        assert_eq!(index.line_col(text, x), LineCol { line: 2, column: 4 });
        // Inside a multi-byte character maps to that character.
        assert_eq!(index.line_col(text, 5), LineCol { line: 2, column: 1 });
        assert_eq!(index.line_col(text, 999), LineCol { line: 3, column: 5 });
        assert_eq!(index.line_text(text, 1), "ab");
        assert_eq!(index.line_text(text, 2), "çé x");
    }

    fn pos(line: u32, character: u32) -> Utf16Position {
        Utf16Position { line, character }
    }

    #[test]
    fn utf16_positions_of_ascii_text() {
        let text = "ab\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.utf16_position(text, 0), pos(0, 0));
        assert_eq!(index.utf16_position(text, 2), pos(0, 2));
        assert_eq!(index.utf16_position(text, 3), pos(1, 0));
        assert_eq!(index.utf16_offset(text, pos(1, 1)), 4);
        assert_eq!(index.utf16_offset(text, pos(0, 2)), 2);
    }

    #[test]
    fn utf16_counts_multi_byte_and_astral_characters() {
        // `é` is two bytes and one unit; `日` three bytes and one unit; the
        // emoji four bytes and two units (a surrogate pair).
        let text = "é日\u{1f600}x";
        let index = LineIndex::new(text);
        assert_eq!(index.utf16_position(text, 2), pos(0, 1));
        assert_eq!(index.utf16_position(text, 5), pos(0, 2));
        let x = text.find('x').unwrap();
        assert_eq!(index.utf16_position(text, x), pos(0, 4));
        assert_eq!(index.utf16_offset(text, pos(0, 4)), x);
        assert_eq!(index.utf16_offset(text, pos(0, 2)), 5);
        // Between the two halves of the pair: the start of the emoji.
        assert_eq!(index.utf16_offset(text, pos(0, 3)), 5);
        // Inside a multi-byte character: that character.
        assert_eq!(index.utf16_position(text, 1), pos(0, 0));
        assert_eq!(index.utf16_position(text, 6), pos(0, 2));
    }

    #[test]
    fn utf16_positions_ignore_crlf_and_clamp_past_the_end() {
        let text = "ab\r\nc\r\n";
        let index = LineIndex::new(text);
        // The `\r` and the `\n` both sit at the end of line 0.
        assert_eq!(index.utf16_position(text, 2), pos(0, 2));
        assert_eq!(index.utf16_position(text, 3), pos(0, 2));
        assert_eq!(index.utf16_position(text, 4), pos(1, 0));
        // A column past the end of a line stops before its line ending.
        assert_eq!(index.utf16_offset(text, pos(0, 99)), 2);
        assert_eq!(index.utf16_offset(text, pos(1, 7)), 5);
        // The empty last line, then lines that do not exist.
        assert_eq!(index.utf16_offset(text, pos(2, 0)), text.len());
        assert_eq!(index.utf16_offset(text, pos(3, 0)), text.len());
        assert_eq!(
            index.utf16_offset(text, pos(u32::MAX, u32::MAX)),
            text.len()
        );
        assert_eq!(index.utf16_position(text, 999), pos(2, 0));
        let empty = LineIndex::new("");
        assert_eq!(empty.utf16_offset("", pos(5, 5)), 0);
        assert_eq!(empty.utf16_position("", 5), pos(0, 0));
    }

    #[test]
    fn utf16_positions_agree_with_counting_across_strides() {
        let mut text = String::new();
        for i in 0..2000 {
            text.push(['a', 'é', '日', '\u{1f600}', '\r', '\n', ' '][i * 7 % 11 % 7]);
        }
        let index = LineIndex::new(&text);
        for offset in 0..=text.len() {
            let mut end = offset;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            let line = text[..end].matches('\n').count();
            let before = text[line_start..end].trim_end_matches('\r');
            let expected = pos(line as u32, before.encode_utf16().count() as u32);
            assert_eq!(
                index.utf16_position(&text, offset),
                expected,
                "offset {offset}"
            );
            // Back again: the start of the character, or of the CR before a LF.
            assert_eq!(
                index.utf16_offset(&text, expected),
                line_start + before.len(),
                "offset {offset}"
            );
        }
    }

    #[test]
    fn line_col_agrees_with_counting_across_strides() {
        // Lines longer than the stride, multi-byte characters straddling its
        // boundaries, and `\r` before `\n`.
        let mut text = String::new();
        for i in 0..2000 {
            text.push(['a', 'é', '日', '\u{1f600}', '\r', '\n', ' '][i * 7 % 11 % 7]);
        }
        let index = LineIndex::new(&text);
        for offset in 0..=text.len() {
            let mut end = offset;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let line_start = text[..end].rfind('\n').map_or(0, |i| i + 1);
            let line = text[..end].matches('\n').count() + 1;
            let column = text[line_start..end].trim_end_matches('\r').chars().count() + 1;
            let expected = LineCol {
                line: line as u32,
                column: column as u32,
            };
            assert_eq!(index.line_col(&text, offset), expected, "offset {offset}");
        }
    }
}
