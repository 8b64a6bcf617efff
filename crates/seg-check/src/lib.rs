//! Name resolution and type checking: from parsed files to a typed
//! [`seg_ir::Program`].
//!
//! [`check_program`] loads a root file and everything it `use`s (through a
//! [`SourceLoader`], so this crate never touches the file system itself),
//! parses every file, collects declarations across files, and checks each
//! item. Errors are collected, not stopped at: one unknown field does not hide
//! a type error three segments later.

mod expr;
mod items;
mod load;

pub use load::{LoadError, SourceLoader};

/// The diagnostic for a file that could not be loaded, located at `span`.
pub fn load_error_diagnostic(
    path: &Path,
    error: &LoadError,
    span: seg_diagnostics::Span,
) -> Diagnostic {
    load::read_error(path, error, span)
}

use seg_diagnostics::{Code, Diagnostic, SourceMap, Span};
use std::path::Path;

/// The quick fix of a "did you mean": the name `close` written over `span`
/// (in backticks when it is not a plain name).
pub(crate) fn suggest_name(diagnostic: &mut Diagnostic, span: Span, close: &str) {
    diagnostic.add_replacement(
        format!("use `{close}`"),
        span,
        seg_syntax::name_source(close),
    );
}

/// The quick fix of a "did you mean" for a string: `"close"` written over the
/// string literal at `span`. None when the value would need escapes, which
/// is no sure fix.
pub(crate) fn suggest_string(diagnostic: &mut Diagnostic, span: Span, close: &str) {
    if !close.contains(['"', '\\', '\n', '\r']) {
        diagnostic.add_replacement(format!("use \"{close}\""), span, format!("\"{close}\""));
    }
}

/// The outcome of checking one program.
#[derive(Debug)]
pub struct Checked {
    /// The typed program, when there were no errors (warnings allowed).
    pub program: Option<seg_ir::Program>,
    /// Every diagnostic, errors and warnings, in file and position order.
    pub diagnostics: Vec<Diagnostic>,
    /// The files read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The parsed files in load order (the root first), for tools such as `fmt`.
    pub files: Vec<(seg_diagnostics::FileId, seg_syntax::ast::File)>,
}

impl Checked {
    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads, parses and checks the program rooted at `root`.
pub fn check_program(root: &Path, loader: &dyn SourceLoader) -> Checked {
    // Checking recurses over expression trees whose depth the parser caps;
    // the extra stack makes that safe on small thread stacks too.
    stacker::maybe_grow(4 * 1024 * 1024, 32 * 1024 * 1024, || {
        let loaded = load::load_all(root, loader);
        let mut diagnostics = loaded.diagnostics;
        if loaded.root_failed {
            // Nothing to check; "no schema" and the like would only mislead.
            return finish(
                seg_ir::Program::default(),
                diagnostics,
                loaded.sources,
                loaded.files,
            );
        }
        if let Some(too_many) = too_many_segments(&loaded.files) {
            // Checking would take time in proportion to the excess; the one
            // error says what to do.
            diagnostics.push(too_many);
            return finish(
                seg_ir::Program::default(),
                diagnostics,
                loaded.sources,
                loaded.files,
            );
        }
        let mut found = Vec::new();
        let program = items::check_items(&loaded.files, &mut found);
        // After a syntax error or a file that failed to load, names defined in
        // the broken item or file are unknown to the checker: reporting them as
        // unknown would blame the wrong line.
        let syntax_errors = diagnostics.iter().any(|d| d.is_error());
        diagnostics.extend(found.into_iter().filter(|d| {
            !(syntax_errors && matches!(d.code, Code::E0101 | Code::E0104 | Code::E0112))
        }));
        finish(program, diagnostics, loaded.sources, loaded.files)
    })
}

/// E0007 at the first segment past the limit of segments per program
/// (counted across every file), if there is one.
fn too_many_segments(
    files: &[(seg_diagnostics::FileId, seg_syntax::ast::File)],
) -> Option<Diagnostic> {
    use seg_syntax::limits::MAX_SEGMENTS;
    let past = files
        .iter()
        .flat_map(|(_, file)| file.items.iter())
        .filter_map(|item| match &item.kind {
            seg_syntax::ast::ItemKind::Segment(segment) => Some(segment.name.span),
            _ => None,
        })
        .nth(MAX_SEGMENTS)?;
    Some(
        Diagnostic::new(
            Code::E0007,
            past,
            format!("the program has more than {MAX_SEGMENTS} segments"),
        )
        .with_label("the limit is passed here")
        .with_help("split the rules into several programs, each run on its own"),
    )
}

/// Checks a program given as text (with `use` resolved through `loader`,
/// relative to `path`).
pub fn check_source(path: &Path, text: &str, loader: &dyn SourceLoader) -> Checked {
    let overlay = load::Overlay {
        path: path.to_path_buf(),
        text: seg_syntax::strip_bom(text).to_string(),
        inner: loader,
    };
    check_program(path, &overlay)
}

fn finish(
    program: seg_ir::Program,
    mut diagnostics: Vec<Diagnostic>,
    sources: SourceMap,
    files: Vec<(seg_diagnostics::FileId, seg_syntax::ast::File)>,
) -> Checked {
    diagnostics.sort_by_key(|d| (d.span.file, d.span.start, d.code));
    diagnostics.dedup();
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    Checked {
        program: (!has_errors).then_some(program),
        diagnostics,
        sources,
        files,
    }
}

/// A `--param NAME=VALUE` override that cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    /// `E0404` (bad value) or `E0405` (unknown name).
    pub code: Code,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Parses a `NAME=VALUE` override of a param of `program`. VALUE is a Seg
/// literal of the param's type (`home="GB"`, `since=2025-01-01`,
/// `window=30 days`, `tiers=["gold","platinum"]`); for a string param, a value
/// that does not start with a double quote is taken as the string itself
/// (`home=GB`). Numbers widen as in comparisons (an int for a float param).
///
/// A string param used as the pattern of `matches` must hold a pattern that
/// compiles within the limits, as the checker requires of the default.
pub fn parse_param_override(
    program: &seg_ir::Program,
    assignment: &str,
) -> Result<(seg_ir::ParamId, seg_ir::Const), ParamError> {
    let (id, value) = parse_param_value(program, assignment)?;
    if let seg_ir::Const::String(text) = &value
        && used_as_a_pattern(program, id)
        && let Err(error) = seg_ir::pattern::compile(text)
    {
        let name = &program.params[id.0 as usize].name;
        return Err(ParamError {
            code: Code::E0404,
            message: format!(
                "param `{name}` is the pattern of `matches`, but `{}` does not compile: {}",
                seg_ir::pattern::excerpt(text),
                error
                    .to_string()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .trim_start_matches("error: ")
            ),
            help: format!(
                "give a valid Rust regular expression within the size limit, as in `--param {name}=^gold`"
            ),
        });
    }
    Ok((id, value))
}

/// True when a param is the pattern of a `matches` somewhere.
fn used_as_a_pattern(program: &seg_ir::Program, id: seg_ir::ParamId) -> bool {
    use seg_ir::{ExprKind, StrOp};
    let mut found = false;
    for segment in &program.segments {
        for condition in std::iter::once(&segment.where_).chain(segment.exclude.iter()) {
            seg_ir::walk(condition, &mut |e| {
                if let ExprKind::StrPred {
                    op: StrOp::Matches,
                    pattern,
                    ..
                } = &e.kind
                    && matches!(pattern.kind, ExprKind::Param(p) if p == id)
                {
                    found = true;
                }
            });
        }
    }
    found
}

fn parse_param_value(
    program: &seg_ir::Program,
    assignment: &str,
) -> Result<(seg_ir::ParamId, seg_ir::Const), ParamError> {
    let Some((name, value)) = assignment.split_once('=') else {
        return Err(ParamError {
            code: Code::E0404,
            message: format!("`{assignment}` is not of the form NAME=VALUE"),
            help: "write the param's name, `=`, and a value, as in `--param vip_threshold=2000`"
                .into(),
        });
    };
    let (name, value) = (name.trim(), value.trim());
    let Some(id) = program.param_id(name) else {
        let names = program.params.iter().map(|p| p.name.as_str());
        let help = match seg_diagnostics::did_you_mean(name, names) {
            Some(close) => format!("did you mean `{close}`?"),
            None if program.params.is_empty() => "the rules declare no params".to_string(),
            None => format!(
                "the rules declare: {}",
                program
                    .params
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Err(ParamError {
            code: Code::E0405,
            message: format!("there is no param `{name}`"),
            help,
        });
    };
    let param = &program.params[id.0 as usize];
    if param.ty == seg_ir::Type::String && !value.starts_with('"') {
        return Ok((id, seg_ir::Const::String(value.to_string())));
    }
    let example = match &param.ty {
        seg_ir::Type::Int => "1000",
        seg_ir::Type::Float => "0.5",
        seg_ir::Type::Decimal => "19.99",
        seg_ir::Type::Bool => "true",
        seg_ir::Type::String => "GB",
        seg_ir::Type::Date => "2025-01-01",
        seg_ir::Type::Timestamp => "2025-01-01T00:00:00Z",
        seg_ir::Type::Duration => "\"30 days\"",
        seg_ir::Type::List(element) if **element == seg_ir::Type::Int => "'[1, 2]'",
        // Lists of strings; a record is never a param's type.
        seg_ir::Type::List(_) | seg_ir::Type::Record(_) => "'[\"gold\", \"platinum\"]'",
    };
    let bad = |found: Option<String>| ParamError {
        code: Code::E0404,
        message: match found {
            Some(found) => format!(
                "param `{name}` is {}, but `{value}` is {found}",
                expr::describe(&param.ty)
            ),
            None => format!(
                "param `{name}` is {}, but `{value}` is not a literal",
                expr::describe(&param.ty)
            ),
        },
        help: format!(
            "write a `{}` literal, as in `--param {name}={example}`",
            param.ty
        ),
    };
    let source = format!("param override = {value}\n");
    let parsed = seg_syntax::parse(&source, seg_diagnostics::FileId(0));
    if parsed.has_errors() {
        return Err(bad(None));
    }
    let Some(seg_syntax::ast::ItemKind::Param(p)) = parsed.file.items.first().map(|i| &i.kind)
    else {
        return Err(bad(None));
    };
    let mut diagnostics = Vec::new();
    let Some(literal) = items::param_value(&p.value, &mut diagnostics) else {
        return Err(bad(None));
    };
    let found = literal.ty();
    match (&param.ty, literal) {
        (seg_ir::Type::Duration, seg_ir::Const::Duration(d)) => {
            let too_fine = matches!(d.unit, seg_ir::TimeUnit::Hour | seg_ir::TimeUnit::Minute);
            if too_fine && used_against_a_date(program, id) {
                return Err(ParamError {
                    code: Code::E0404,
                    message: format!(
                        "param `{name}` is used against a date, which hours and minutes cannot step"
                    ),
                    help: "give days, weeks, months or years, as in `--param window=2 days`".into(),
                });
            }
            Ok((id, seg_ir::Const::Duration(d)))
        }
        (ty, literal) => items::given_value(literal, ty, program.timezone)
            .map(|v| (id, v))
            .ok_or_else(|| bad(Some(expr::describe(&found)))),
    }
}

/// True when a duration param is applied to a date somewhere (`d within p`,
/// `p ago` compared with a date).
fn used_against_a_date(program: &seg_ir::Program, id: seg_ir::ParamId) -> bool {
    use seg_ir::{ExprKind, Relative, Type};
    let is_param = |e: &seg_ir::Expr| matches!(e.kind, ExprKind::Param(p) if p == id);
    let mut found = false;
    for segment in &program.segments {
        for condition in std::iter::once(&segment.where_).chain(segment.exclude.iter()) {
            seg_ir::walk(condition, &mut |e| match &e.kind {
                ExprKind::Within { expr, duration }
                    if expr.ty == Type::Date && is_param(duration) =>
                {
                    found = true
                }
                ExprKind::Ago {
                    base: Relative::Today,
                    duration,
                } if is_param(duration) => found = true,
                _ => {}
            });
        }
    }
    found
}
