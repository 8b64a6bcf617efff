//! The patterns of `matches`: the one place where Seg compiles a regular
//! expression, with the memory limits every compiled pattern obeys.
//!
//! A Unicode class repeated many times compiles to megabytes (`\w{150}x` is
//! over 8 MB), so a few hundred such patterns used to take gigabytes before a
//! row was read. Three limits bound that:
//!
//! - each pattern's compiled automaton is at most [`PATTERN_LIMIT`] bytes
//!   (the `regex` crate's `size_limit`), checked while it compiles, so an
//!   oversized pattern fails early and cheaply (E0209);
//! - the patterns of one program take at most [`PROGRAM_LIMIT`] bytes in total,
//!   every engine included (E0210, from the checker);
//! - the patterns alive in one process take at most [`PROCESS_LIMIT`] bytes.
//!   The evaluator and the JIT share one compiled copy of each distinct
//!   pattern ([`shared`]), kept as long as a program that uses it is.
//!
//! The syntax and the matching are the `regex` crate's (`regex::Regex` is a
//! thin layer over the same `regex_automata::meta::Regex`, configured as
//! here), so `matches` means what the language page says.

use regex_automata::meta;
use regex_automata::nfa::thompson::WhichCaptures;
use regex_automata::util::syntax;
use seg_diagnostics::{Code, Diagnostic, Span};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The most bytes one pattern's automaton (its Thompson NFA, as the `regex`
/// crate's `size_limit` counts) may take. Every engine of the pattern
/// together takes about three times that. A MiB admits any pattern a person
/// writes (`^\w+@example\.com$` takes 18 KB, `\w{50}` 0.9 MB) and rejects
/// repetitions of large classes (`\w{150}` is 2.6 MB).
pub const PATTERN_LIMIT: usize = 2 << 20;

/// The most bytes the distinct patterns of one program may take once
/// compiled, every engine included (a pattern too large for
/// [`PATTERN_LIMIT`] counts as that much). A pattern using `\w` takes about
/// 60 KB, so this admits a thousand of them, or about thirty of the largest
/// allowed.
pub const PROGRAM_LIMIT: usize = 64 << 20;

/// The most bytes the compiled patterns alive in one process may take: room
/// for two programs at their limit (a run and the program being checked next
/// in a long-lived host).
pub const PROCESS_LIMIT: usize = 2 * PROGRAM_LIMIT;

/// The most bytes of lazily built DFA states a pattern keeps per search
/// thread and direction (the `regex` crate's `dfa_size_limit`); a full cache
/// is cleared and refilled, so this bounds the memory of matching.
pub const SEARCH_CACHE_LIMIT: usize = 1 << 20;

/// Why a pattern does not compile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PatternError {
    /// Not a valid regular expression; the `regex` crate's message.
    Syntax(String),
    /// The automaton would take more than [`PATTERN_LIMIT`] bytes.
    TooLarge,
    /// Compiling it would take the patterns alive in this process past
    /// [`PROCESS_LIMIT`] bytes.
    ProcessLimit,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatternError::Syntax(message) => f.write_str(message),
            PatternError::TooLarge => write!(
                f,
                "the pattern compiles to more than {} MiB",
                PATTERN_LIMIT >> 20
            ),
            PatternError::ProcessLimit => write!(
                f,
                "the compiled patterns of this process would take more than {} MiB",
                PROCESS_LIMIT >> 20
            ),
        }
    }
}

/// Bytes taken by the compiled patterns alive in this process.
static LIVE: AtomicUsize = AtomicUsize::new(0);

/// A compiled pattern: unanchored, as `matches` searches.
#[derive(Debug)]
pub struct Pattern {
    regex: meta::Regex,
    bytes: usize,
    /// Whether [`LIVE`] counts it (patterns the checker only measures do not).
    counted: bool,
}

impl Pattern {
    /// Whether the pattern matches somewhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }

    /// The bytes the compiled pattern takes, every engine included.
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

impl Drop for Pattern {
    fn drop(&mut self) {
        if self.counted {
            LIVE.fetch_sub(self.bytes, Ordering::Relaxed);
        }
    }
}

/// Compiles `pattern` with the limits (not counted against
/// [`PROCESS_LIMIT`]: for measuring, as the checker does, and dropping).
pub fn compile(pattern: &str) -> Result<Pattern, PatternError> {
    // As `regex::Regex::new` configures the same engine, with the limits.
    let config = meta::Config::new()
        .match_kind(regex_automata::MatchKind::LeftmostFirst)
        .utf8_empty(true)
        // `matches` asks only whether there is a match, so no capture group
        // needs a slot.
        .which_captures(WhichCaptures::Implicit)
        .nfa_size_limit(Some(PATTERN_LIMIT))
        .onepass_size_limit(Some(PATTERN_LIMIT))
        .hybrid_cache_capacity(SEARCH_CACHE_LIMIT);
    let regex = meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().utf8(true))
        .build(pattern)
        .map_err(|error| {
            if error.size_limit().is_some() {
                PatternError::TooLarge
            } else if let Some(syntax) = error.syntax_error() {
                PatternError::Syntax(syntax.to_string())
            } else {
                PatternError::Syntax(error.to_string())
            }
        })?;
    let bytes = regex.memory_usage();
    Ok(Pattern {
        regex,
        bytes,
        counted: false,
    })
}

/// Checks only the syntax of `pattern`, without compiling it (cheap: for
/// the patterns of a program past its [`PROGRAM_LIMIT`]).
pub fn check_syntax(pattern: &str) -> Result<(), PatternError> {
    syntax::parse_with(pattern, &syntax::Config::new().utf8(true))
        .map(|_| ())
        .map_err(|error| PatternError::Syntax(error.to_string()))
}

/// Compiled patterns alive in this process, by text: one copy each, shared by
/// every program, evaluator, kernel and thread that uses it.
static SHARED: Mutex<Option<HashMap<String, Weak<Pattern>>>> = Mutex::new(None);

/// The compiled `pattern`, shared: compiled once while any holder keeps it,
/// and counted against [`PROCESS_LIMIT`].
pub fn shared(pattern: &str) -> Result<Arc<Pattern>, PatternError> {
    // A poisoned lock only means a thread panicked while holding it; the map
    // of weak references stays valid.
    let mut guard = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    let map = guard.get_or_insert_with(HashMap::new);
    if let Some(live) = map.get(pattern).and_then(Weak::upgrade) {
        return Ok(live);
    }
    let mut compiled = compile(pattern)?;
    let before = LIVE.fetch_add(compiled.bytes, Ordering::Relaxed);
    compiled.counted = true;
    if before + compiled.bytes > PROCESS_LIMIT {
        // Dropping it gives the bytes back.
        return Err(PatternError::ProcessLimit);
    }
    let compiled = Arc::new(compiled);
    map.retain(|_, weak| weak.strong_count() > 0);
    map.insert(pattern.to_string(), Arc::downgrade(&compiled));
    Ok(compiled)
}

/// Bytes taken by the compiled patterns alive in this process.
pub fn live_bytes() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// The diagnostic of a pattern that does not compile, at `span` (where the
/// pattern is written or used): E0209 when it is too large, E0210 when the
/// process's patterns would take too much, E0204 when it is not a valid
/// regular expression (which only a `--param` override can bring past the
/// checker).
pub fn diagnostic(text: &str, error: &PatternError, span: Span) -> Diagnostic {
    let shown = excerpt(text);
    match error {
        PatternError::TooLarge => Diagnostic::new(
            Code::E0209,
            span,
            format!(
                "the pattern `{shown}` is too large: it compiles to more than {} MiB",
                PATTERN_LIMIT >> 20
            ),
        )
        .with_label("too large to compile")
        .with_help("repeat large classes fewer times: `\\w` and `.` each match any of over 100,000 characters, so `\\w{150}` is huge; write `\\w+`, or an ASCII class such as `[a-z0-9_]{150}`"),
        PatternError::ProcessLimit => Diagnostic::new(
            Code::E0210,
            span,
            format!(
                "the compiled patterns of this process would take more than {} MiB with `{shown}`",
                PROCESS_LIMIT >> 20
            ),
        )
        .with_label("the patterns' budget runs out here")
        .with_help("run fewer programs at once in this process, or use fewer or smaller patterns"),
        PatternError::Syntax(message) => {
            let reason = message
                .lines()
                .rev()
                .find_map(|l| l.trim().strip_prefix("error: "))
                .unwrap_or("not valid");
            Diagnostic::new(
                Code::E0204,
                span,
                format!("invalid regular expression `{shown}`: {reason}"),
            )
            .with_label("invalid pattern")
            .with_help("patterns use Rust regex syntax; escape special characters with `\\\\`, as in \"\\\\.com$\"")
        }
    }
}

/// The text of a pattern for a message: at most 80 characters, an ellipsis
/// marking a cut.
pub fn excerpt(pattern: &str) -> String {
    const MAX: usize = 80;
    if pattern.chars().count() <= MAX {
        return pattern.to_string();
    }
    let mut cut: String = pattern.chars().take(MAX - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_at_and_past_the_pattern_limit() {
        // `\w{40}` is just under the limit, `\w{45}` just past it.
        assert!(compile(r"\w{40}x").is_ok());
        assert_eq!(compile(r"\w{45}x").err(), Some(PatternError::TooLarge));
        assert_eq!(compile(r"\w{150}x").err(), Some(PatternError::TooLarge));
        assert!(matches!(compile("(a"), Err(PatternError::Syntax(_))));
    }

    #[test]
    fn matching_is_unanchored_and_unicode_aware() {
        let p = compile(r"\w+@example\.com").unwrap_or_else(|e| panic!("{e}"));
        assert!(p.is_match("mail ana@example.com now"));
        assert!(p.is_match("żółw@example.com"));
        assert!(!p.is_match("@example.com"));
    }

    #[test]
    fn shared_patterns_are_one_copy_and_give_their_bytes_back() {
        let a = shared("shared-[a-z]+-test").unwrap_or_else(|e| panic!("{e}"));
        let b = shared("shared-[a-z]+-test").unwrap_or_else(|e| panic!("{e}"));
        assert!(Arc::ptr_eq(&a, &b));
        assert!(live_bytes() >= a.bytes());
    }

    #[test]
    fn excerpts_are_cut_at_80_characters() {
        assert_eq!(excerpt("abc"), "abc");
        let long = "é".repeat(100);
        let cut = excerpt(&long);
        assert_eq!(cut.chars().count(), 80);
        assert!(cut.ends_with('…'));
    }
}
