//! Prints a file in canonical layout (a development aid; `seg fmt` is the tool).
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        return;
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let parsed = seg_syntax::parse(&text, seg_diagnostics::FileId(0));
    print!("{}", seg_syntax::format_file(&parsed.file, &text));
}
