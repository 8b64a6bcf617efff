//! Between the protocol's coordinates and Seg's: URIs and paths, LSP
//! positions and byte offsets (through the one [`LineIndex`]).

use lsp_types::{Position, Range, Uri};
use seg::diagnostics::{LineIndex, Utf16Position};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The byte offset of an LSP position in `text`, clamped as
/// [`LineIndex::utf16_offset`] clamps.
pub fn offset(index: &LineIndex, text: &str, position: Position) -> usize {
    index.utf16_offset(
        text,
        Utf16Position {
            line: position.line,
            character: position.character,
        },
    )
}

/// The LSP position of byte `offset` in `text`.
pub fn position(index: &LineIndex, text: &str, offset: usize) -> Position {
    let at = index.utf16_position(text, offset);
    Position::new(at.line, at.character)
}

/// The LSP range of a byte range in `text`.
pub fn range(index: &LineIndex, text: &str, bytes: std::ops::Range<usize>) -> Range {
    Range::new(
        position(index, text, bytes.start),
        position(index, text, bytes.end),
    )
}

/// The path a document URI names. A `file:` URI gives its decoded path;
/// any other scheme (an editor's unsaved `untitled:` buffer) gives the URI
/// itself as a relative path, which names no file on disk, so the buffer is
/// checked alone and its `use`s are read relative to nowhere.
pub fn uri_to_path(uri: &Uri) -> PathBuf {
    let text = uri.as_str();
    match text.strip_prefix("file://") {
        Some(rest) => {
            // `file:///p` has an empty authority; `file://host/p` names a
            // host, which a local server can only ignore.
            let path = match rest.find('/') {
                Some(slash) => &rest[slash..],
                None => "/",
            };
            PathBuf::from(percent_decode(path))
        }
        None => PathBuf::from(percent_decode(text).replace(['/', ':'], "_")),
    }
}

/// The `file:` URI of an absolute path; `None` for a relative path (an
/// unsaved buffer's), which has none.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    if !text.starts_with('/') {
        return None;
    }
    let mut uri = String::from("file://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            uri.push(char::from(byte));
        } else {
            uri.push_str(&format!("%{byte:02X}"));
        }
    }
    Uri::from_str(&uri).ok()
}

/// `%XX` escapes decoded; a malformed escape is kept as written, and bytes
/// that do not make UTF-8 become U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_uris_and_paths_round_trip() {
        let path = Path::new("/work/rules/my segments/é.seg");
        let uri = path_to_uri(path).unwrap();
        assert_eq!(uri.as_str(), "file:///work/rules/my%20segments/%C3%A9.seg");
        assert_eq!(uri_to_path(&uri), path);
        let host = Uri::from_str("file://host/a/b.seg").unwrap();
        assert_eq!(uri_to_path(&host), Path::new("/a/b.seg"));
        assert_eq!(path_to_uri(Path::new("relative.seg")), None);
        let untitled = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(uri_to_path(&untitled), Path::new("untitled_Untitled-1"));
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }
}
