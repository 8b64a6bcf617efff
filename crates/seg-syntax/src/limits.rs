//! Limits against hostile or runaway input. Each limit is checked before the work
//! it protects, and exceeding one is a coded diagnostic, never a crash or a hang.

/// Largest accepted `.seg` file, in bytes (1 MiB).
pub const MAX_FILE_BYTES: usize = 1 << 20;
/// Deepest accepted nesting of brackets (parentheses, lists, call arguments).
pub const MAX_NESTING: usize = 256;
/// Deepest accepted expression tree, counting every level (brackets, `not`
/// and `-` chains, arithmetic chains). It keeps recursion over the tree
/// bounded; any program within [`MAX_NESTING`] brackets of ordinary
/// expressions stays well under it.
pub const MAX_TREE_DEPTH: usize = 2 * MAX_NESTING + 64;
/// Most expression nodes in one file.
pub const MAX_NODES: usize = 100_000;
/// Most elements in one list literal.
pub const MAX_LIST_LEN: usize = 10_000;
/// Most segments in one program, across all its files.
pub const MAX_SEGMENTS: usize = 100_000;
/// Most files in one program (the root and every file reached by `use`).
pub const MAX_FILES: usize = 1_000;
/// Longest chain of `use` from the root file (a `use`s b `use`s c ... ).
pub const MAX_USE_DEPTH: usize = 64;
