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

/// Maps byte offsets to lines and columns. Lines end at `\n`; a `\r` before it
/// belongs to the line ending, so CRLF files get the same positions as LF files.
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// `chars_before[k]`: characters in the first `k * CHAR_STRIDE` bytes, so
    /// a column costs at most `CHAR_STRIDE` bytes of counting however long
    /// the line (a 1 MiB line with 500,000 diagnostics stays linear).
    chars_before: Vec<usize>,
}

/// Bytes between two entries of [`LineIndex::chars_before`].
const CHAR_STRIDE: usize = 256;

/// Characters in a byte range that may start or end inside a character: the
/// bytes that are not UTF-8 continuation bytes.
fn count_chars(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b & 0xC0 != 0x80).count()
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut chars_before = vec![0];
        let mut total = 0;
        for chunk in text.as_bytes().chunks(CHAR_STRIDE) {
            total += count_chars(chunk);
            chars_before.push(total);
        }
        LineIndex {
            line_starts,
            chars_before,
        }
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
        let offset = offset.min(text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line];
        let mut end = offset;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        // A `\r` that ends the line is not a column of its own.
        let bytes = text.as_bytes();
        while end > line_start && bytes[end - 1] == b'\r' {
            end -= 1;
        }
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
