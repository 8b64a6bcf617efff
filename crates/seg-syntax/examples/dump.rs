//! Prints the AST dump and diagnostics of a file (a development aid).
fn main() {
    let Some(path) = std::env::args().nth(1) else {
        return;
    };
    let Ok(text) = std::fs::read_to_string(&path) else {
        return;
    };
    let parsed = seg_syntax::parse(&text, seg_diagnostics::FileId(0));
    print!("{}", seg_syntax::ast::dump(&parsed.file));
    if std::env::var("SPANS").is_ok() {
        for item in &parsed.file.items {
            if let seg_syntax::ast::ItemKind::Segment(s) = &item.kind {
                if let seg_syntax::ast::ExprKind::And(ops) = &s.where_.kind {
                    for o in ops {
                        println!("op {:?} {:?}", o.span, &text[o.span.range()]);
                    }
                }
            }
        }
    }
    for d in &parsed.diagnostics {
        let lc = seg_diagnostics::LineIndex::new(&text).line_col(&text, d.span.start as usize);
        println!(
            "{}:{}: {} {} [{}] help: {:?}",
            lc.line, lc.column, d.code, d.message, d.label, d.help
        );
    }
}
