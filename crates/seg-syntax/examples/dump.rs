//! Prints the span-free tree and the diagnostics of a `.seg` file: a
//! development aid for grammar work (`cargo run -p seg-syntax --example dump FILE`).

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: dump FILE");
        return;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return;
        }
    };
    let parsed = seg_syntax::parse(&text, seg_diagnostics::FileId(0));
    print!("{}", seg_syntax::ast::dump(&parsed.file));
    let lines = seg_diagnostics::LineIndex::new(&text);
    for d in &parsed.diagnostics {
        let at = lines.line_col(&text, d.span.start as usize);
        println!(
            "{}:{}: {} {} ({})",
            at.line, at.column, d.code, d.message, d.label
        );
    }
}
