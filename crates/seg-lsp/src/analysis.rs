//! What the server knows about one program: the checker's result and every
//! place a segment, param, field, priority group or function is named, found
//! by walking the parsed files of the program (the root and what it `use`s).
//!
//! Names are resolved as the checker resolves them: one namespace for
//! segments, params and fields, so a name is whichever of them declares it.
//! The parsed files are used, not the typed program, so that navigation
//! keeps working while the file has errors.

use seg::Checked;
use seg::diagnostics::{FileId, Span};
use seg::syntax::ast::{
    DurationAmount, DurationOrParam, Expr, ExprKind, FieldDecl, File, Ident, ItemKind,
};
use std::collections::HashMap;

/// What a name denotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A schema field.
    Field,
    /// A `param`.
    Param,
    /// A `segment`.
    Segment,
    /// A `priority` group.
    Priority,
    /// A built-in function (`lower`, `days_since`, ...).
    Function,
}

/// One place a name is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    /// What it names.
    pub kind: Kind,
    /// The name (without backticks).
    pub name: String,
    /// Where it is written (backticks included).
    pub span: Span,
    /// True where the name is declared.
    pub definition: bool,
}

/// A program as checked, with its names' occurrences.
pub struct Analysis {
    /// The checker's result.
    pub checked: Checked,
    /// Every occurrence, definitions first.
    pub occurrences: Vec<Occurrence>,
    /// Declared names and what they are.
    declared: HashMap<String, Kind>,
    /// The fields of each list-of-records field, by the list's name, so that
    /// names inside an aggregate's `where` resolve to the record's fields.
    record_fields: HashMap<String, Vec<String>>,
}

impl Analysis {
    /// Indexes a checked program.
    pub fn new(checked: Checked) -> Self {
        let mut analysis = Analysis {
            checked,
            occurrences: Vec::new(),
            declared: HashMap::new(),
            record_fields: HashMap::new(),
        };
        let files = std::mem::take(&mut analysis.checked.files);
        for (_, file) in &files {
            analysis.declare(file);
        }
        for (_, file) in &files {
            analysis.refer(file);
        }
        analysis.checked.files = files;
        analysis
    }

    /// The parsed file with this id.
    pub fn file(&self, id: FileId) -> Option<&File> {
        self.checked
            .files
            .iter()
            .find(|(f, _)| *f == id)
            .map(|(_, file)| file)
    }

    /// Every schema field declared anywhere in the program.
    pub fn fields(&self) -> impl Iterator<Item = &FieldDecl> {
        self.checked
            .files
            .iter()
            .flat_map(|(_, file)| &file.items)
            .filter_map(|item| match &item.kind {
                ItemKind::Schema(schema) => Some(&schema.fields),
                _ => None,
            })
            .flatten()
    }

    /// The declared names of one kind, sorted.
    pub fn names(&self, kind: Kind) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .declared
            .iter()
            .filter(|(_, k)| **k == kind)
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    }

    /// What a declared name is.
    pub fn kind_of(&self, name: &str) -> Option<Kind> {
        self.declared.get(name).copied()
    }

    /// The occurrence at byte `offset` of `file` (its end counts, so a
    /// cursor just after a name is on it); the innermost when several are.
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| {
                o.span.file == file
                    && (o.span.start as usize) <= offset
                    && offset <= o.span.end as usize
            })
            .min_by_key(|o| o.span.end - o.span.start)
    }

    /// Where `name`, a `kind`, is declared.
    pub fn definition(&self, kind: Kind, name: &str) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .find(|o| o.definition && o.kind == kind && o.name == name)
    }

    /// The source text at `span`.
    pub fn text(&self, span: Span) -> &str {
        self.checked
            .sources
            .get(span.file)
            .and_then(|f| f.text.get(span.range()))
            .unwrap_or("")
    }

    fn declare(&mut self, file: &File) {
        for item in &file.items {
            let (kind, ident) = match &item.kind {
                ItemKind::Schema(schema) => {
                    for field in &schema.fields {
                        self.define(Kind::Field, &field.name);
                        if let Some(record) = field.ty.arg.as_ref().and_then(|a| a.record.as_ref())
                        {
                            self.record_fields.insert(
                                field.name.name.clone(),
                                record.iter().map(|f| f.name.name.clone()).collect(),
                            );
                        }
                    }
                    continue;
                }
                ItemKind::Param(p) => (Kind::Param, &p.name),
                ItemKind::Segment(s) => (Kind::Segment, &s.name),
                ItemKind::Priority(p) => (Kind::Priority, &p.name),
                ItemKind::Use(_) | ItemKind::Test(_) | ItemKind::Timezone(_) => continue,
            };
            self.define(kind, ident);
        }
    }

    fn define(&mut self, kind: Kind, ident: &Ident) {
        // The first declaration wins, as the checker reports the later ones.
        self.declared.entry(ident.name.clone()).or_insert(kind);
        self.occurrences.push(Occurrence {
            kind,
            name: ident.name.clone(),
            span: ident.span,
            definition: true,
        });
    }

    fn mention(&mut self, kind: Kind, ident: &Ident) {
        self.occurrences.push(Occurrence {
            kind,
            name: ident.name.clone(),
            span: ident.span,
            definition: false,
        });
    }

    /// A name used as a value: whatever declares it.
    fn name(&mut self, ident: &Ident, records: &[String]) {
        if records.contains(&ident.name) {
            return;
        }
        if let Some(kind) = self.kind_of(&ident.name) {
            self.mention(kind, ident);
        }
    }

    fn refer(&mut self, file: &File) {
        for item in &file.items {
            match &item.kind {
                ItemKind::Segment(s) => {
                    self.expr(&s.where_, &[]);
                    if let Some(exclude) = &s.exclude {
                        self.expr(exclude, &[]);
                    }
                }
                ItemKind::Param(p) => self.expr(&p.value, &[]),
                ItemKind::Priority(p) => {
                    for entry in &p.entries {
                        self.mention(Kind::Segment, entry);
                    }
                }
                ItemKind::Test(t) => {
                    for given in &t.given {
                        self.mention(Kind::Field, &given.name);
                    }
                    for expect in &t.expects {
                        self.mention(Kind::Segment, &expect.segment);
                    }
                }
                ItemKind::Schema(_) | ItemKind::Use(_) | ItemKind::Timezone(_) => {}
            }
        }
    }

    fn duration(&mut self, duration: &DurationOrParam) {
        match duration {
            DurationOrParam::Param(p) => self.mention(Kind::Param, p),
            DurationOrParam::Duration(d) => {
                if let DurationAmount::Param(p) = &d.amount {
                    self.mention(Kind::Param, p);
                }
            }
        }
    }

    /// Walks an expression; `records` are the names that mean a record's
    /// fields here (inside an aggregate's `where`).
    fn expr(&mut self, expr: &Expr, records: &[String]) {
        // Expressions nest as deep as the parser allows; the walk needs
        // the stack the checker needed.
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
            self.expr_inner(expr, records)
        });
    }

    fn expr_inner(&mut self, expr: &Expr, records: &[String]) {
        match &expr.kind {
            ExprKind::Or(items) | ExprKind::And(items) | ExprKind::List(items) => {
                for item in items {
                    self.expr(item, records);
                }
            }
            ExprKind::Not(e) | ExprKind::Neg(e) | ExprKind::Paren(e) => self.expr(e, records),
            ExprKind::IsMissing { expr, .. } => self.expr(expr, records),
            ExprKind::Compare { lhs, rhs, .. } | ExprKind::Arith { lhs, rhs, .. } => {
                self.expr(lhs, records);
                self.expr(rhs, records);
            }
            ExprKind::In { expr, list, .. } => {
                self.expr(expr, records);
                self.expr(list, records);
            }
            ExprKind::Between { expr, lo, hi, .. } => {
                self.expr(expr, records);
                self.expr(lo, records);
                self.expr(hi, records);
            }
            ExprKind::Contains { target, value, .. } => {
                self.expr(target, records);
                self.expr(value, records);
            }
            ExprKind::StrPred {
                target, pattern, ..
            } => {
                self.expr(target, records);
                self.expr(pattern, records);
            }
            ExprKind::Within { expr, duration } => {
                self.expr(expr, records);
                self.duration(duration);
            }
            ExprKind::Before { expr, bound } | ExprKind::After { expr, bound } => {
                self.expr(expr, records);
                self.expr(bound, records);
            }
            ExprKind::Ago(duration) => self.duration(duration),
            ExprKind::Duration(d) => {
                if let DurationAmount::Param(p) = &d.amount {
                    self.mention(Kind::Param, p);
                }
            }
            ExprKind::Call { func, args } => {
                if seg::ir::facts::Func::lookup(&func.name).is_some() {
                    self.mention(Kind::Function, func);
                }
                for arg in args {
                    self.expr(arg, records);
                }
            }
            ExprKind::Name(ident) => self.name(ident, records),
            ExprKind::Aggregate { arg, filter, .. } => {
                let list = match &arg.kind {
                    ExprKind::Name(list) => Some(list),
                    ExprKind::Path { list, .. } => Some(list),
                    _ => None,
                };
                if let Some(list) = list {
                    self.mention(Kind::Field, list);
                }
                let inner = list
                    .and_then(|l| self.record_fields.get(&l.name))
                    .cloned()
                    .unwrap_or_default();
                if let Some(filter) = filter {
                    self.expr(filter, &inner);
                }
            }
            ExprKind::Path { list, .. } => self.mention(Kind::Field, list),
            ExprKind::Record(fields) => {
                for (_, value) in fields {
                    self.expr(value, records);
                }
            }
            ExprKind::Today | ExprKind::Now | ExprKind::Literal(_) | ExprKind::Error => {}
        }
    }
}
