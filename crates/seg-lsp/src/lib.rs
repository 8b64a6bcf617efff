//! The Seg language server: `seg lsp` speaks the Language Server Protocol
//! over standard input and output.
//!
//! [`run_stdio`] is all the command line calls; [`serve`] runs the same loop
//! over any [`lsp_server::Connection`] (tests use an in-memory one). The
//! server is synchronous: each message is handled to the end before the next
//! is read, so there is no state shared between threads.
//!
//! What it offers: diagnostics as the user types (every code, with its help
//! and, for a "did you mean", a quick fix), the canonical formatting,
//! document symbols, hover, go to definition, find references, completion
//! and rename. Documents sync incrementally; positions are counted in UTF-16
//! code units, as the protocol's default, through
//! [`seg::diagnostics::LineIndex`]. A program's `use`d files are read from
//! the editor's open buffers first and from disk second.

mod analysis;
mod convert;
mod features;

use analysis::Analysis;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CodeActionKind, CodeActionProviderCapability, CompletionOptions, HoverProviderCapability,
    OneOf, PublishDiagnosticsParams, RenameOptions, ServerCapabilities,
    TextDocumentContentChangeEvent, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use seg::diagnostics::LineIndex;
use seg::{LoadError, SourceLoader};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

/// The error a server loop ends with: the connection broke or the client
/// broke the protocol.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// A request that is not part of the protocol: `seg/documentText` with
/// `{"uri": ...}` answers the server's text of an open document (or
/// `null`), so that tests and editor authors can see what the server sees.
pub const DOCUMENT_TEXT: &str = "seg/documentText";

/// Serves the protocol on standard input and output until the client says
/// `exit`.
pub fn run_stdio() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// What the server offers, as sent in its `initialize` answer.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(false),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["\"".into(), " ".into()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Options(
            lsp_types::CodeActionOptions {
                code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
                ..Default::default()
            },
        )),
        ..ServerCapabilities::default()
    }
}

/// Runs the server over `connection`: the `initialize` handshake, then
/// every message until `shutdown` and `exit`.
pub fn serve(connection: &Connection) -> Result<(), Error> {
    let capabilities = serde_json::to_value(capabilities())?;
    connection.initialize(capabilities)?;
    let mut server = Server::default();
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request)? {
                    return Ok(());
                }
                let id = request.id.clone();
                // A bug in one answer must not end the editor's session: it
                // becomes an error answer. (The tests fail on any panic.)
                let response = catch_unwind(AssertUnwindSafe(|| server.request(request)))
                    .unwrap_or_else(|_| {
                        Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            "seg lsp failed on this request; please report it".into(),
                        )
                    });
                connection.sender.send(response.into())?;
            }
            Message::Notification(notification) => {
                let sent = catch_unwind(AssertUnwindSafe(|| server.notify(notification)));
                for out in sent.unwrap_or_default() {
                    connection.sender.send(out.into())?;
                }
            }
            // The server sends no requests, so expects no answers.
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// An open document.
pub(crate) struct Document {
    pub uri: Uri,
    pub text: String,
}

/// The open documents, by the path their URI names.
#[derive(Default)]
pub(crate) struct Server {
    pub documents: BTreeMap<PathBuf, Document>,
}

impl Server {
    /// Answers one request; never panics on what the client sends.
    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            req::Formatting::METHOD => self.answer(request, features::formatting),
            req::DocumentSymbolRequest::METHOD => self.answer(request, features::symbols),
            req::HoverRequest::METHOD => self.answer(request, features::hover),
            req::GotoDefinition::METHOD => self.answer(request, features::definition),
            req::References::METHOD => self.answer(request, features::references),
            req::Completion::METHOD => self.answer(request, features::completion),
            req::Rename::METHOD => self.answer(request, features::rename),
            req::CodeActionRequest::METHOD => self.answer(request, features::code_actions),
            DOCUMENT_TEXT => self.answer(request, |server, params: DocumentTextParams| {
                let path = convert::uri_to_path(&params.uri);
                Ok(server.documents.get(&path).map(|d| d.text.clone()))
            }),
            other => Err((
                ErrorCode::MethodNotFound,
                format!("`seg lsp` does not answer `{other}`"),
            )),
        };
        match result {
            Ok(value) => Response {
                id,
                result: Some(value),
                error: None,
            },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    /// Decodes a request's params, runs `handler` and encodes its answer.
    fn answer<P, R>(
        &mut self,
        request: Request,
        handler: impl FnOnce(&mut Server, P) -> Result<R, Failure>,
    ) -> Result<serde_json::Value, Failure>
    where
        P: serde::de::DeserializeOwned,
        R: serde::Serialize,
    {
        let params: P = serde_json::from_value(request.params)
            .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
        let answer = handler(self, params)?;
        serde_json::to_value(answer).map_err(|e| (ErrorCode::InternalError, e.to_string()))
    }

    /// Handles one notification; returns what to send (diagnostics).
    fn notify(&mut self, notification: Notification) -> Vec<Notification> {
        let method = notification.method.clone();
        let params = notification.params;
        match method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                let uri = p.text_document.uri;
                self.documents.insert(
                    convert::uri_to_path(&uri),
                    Document {
                        uri,
                        text: p.text_document.text,
                    },
                );
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                let path = convert::uri_to_path(&p.text_document.uri);
                let Some(document) = self.documents.get_mut(&path) else {
                    return Vec::new();
                };
                for change in p.content_changes {
                    apply_change(&mut document.text, change);
                }
            }
            note::DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                let path = convert::uri_to_path(&p.text_document.uri);
                if let (Some(document), Some(text)) = (self.documents.get_mut(&path), p.text) {
                    document.text = text;
                }
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(params)
                else {
                    return Vec::new();
                };
                let path = convert::uri_to_path(&p.text_document.uri);
                self.documents.remove(&path);
                // The editor keeps the last diagnostics of a closed file
                // until told otherwise.
                let clear = PublishDiagnosticsParams::new(p.text_document.uri, Vec::new(), None);
                return vec![Notification::new(
                    note::PublishDiagnostics::METHOD.into(),
                    clear,
                )];
            }
            _ => return Vec::new(),
        }
        // A change to one file can change the diagnostics of every open file
        // that `use`s it, so every open file is checked again.
        self.documents
            .keys()
            .cloned()
            .collect::<Vec<_>>()
            .iter()
            .filter_map(|path| {
                let analysis = self.analyze(path)?;
                let document = self.documents.get(path)?;
                let diagnostics = features::diagnostics(&analysis, document);
                let params = PublishDiagnosticsParams::new(document.uri.clone(), diagnostics, None);
                Some(Notification::new(
                    note::PublishDiagnostics::METHOD.into(),
                    params,
                ))
            })
            .collect()
    }

    /// Checks the program rooted at the open document at `path`.
    pub(crate) fn analyze(&self, path: &Path) -> Option<Analysis> {
        self.documents.get(path)?;
        let loader = Overlay { server: self };
        let checked = seg::check_program(path, &loader);
        Some(Analysis::new(checked))
    }

    /// The open document and the analysis of its program, for a request
    /// about `uri`.
    pub(crate) fn open(&self, uri: &Uri) -> Result<(&Document, Analysis), Failure> {
        let path = convert::uri_to_path(uri);
        let not_open = || {
            (
                ErrorCode::InvalidParams,
                format!("`{}` is not open", uri.as_str()),
            )
        };
        let document = self.documents.get(&path).ok_or_else(not_open)?;
        let analysis = self.analyze(&path).ok_or_else(not_open)?;
        Ok((document, analysis))
    }
}

/// An error answer: its code and message.
pub(crate) type Failure = (ErrorCode, String);

/// The params of [`DOCUMENT_TEXT`].
#[derive(serde::Deserialize)]
struct DocumentTextParams {
    uri: Uri,
}

/// Applies one change the client sent. Ranges are clamped by the line index
/// (a position past a line's end is that end, past the last line the text's
/// end, inside a character that character's start) and a range given
/// backwards is taken forwards, so no edit can fail.
pub(crate) fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(range) => {
            let index = LineIndex::new(text);
            let a = convert::offset(&index, text, range.start);
            let b = convert::offset(&index, text, range.end);
            text.replace_range(a.min(b)..a.max(b), &change.text);
        }
    }
}

/// Serves open documents from the editor's buffers and every other file from
/// disk, with the command line's rule for what a `use` may read.
struct Overlay<'a> {
    server: &'a Server,
}

impl Overlay<'_> {
    fn buffer(&self, path: &Path) -> Option<(PathBuf, String)> {
        let document = self.server.documents.get(path)?;
        // The key names a file as the disk loader does (canonically), so a
        // file reached both ways loads once.
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Some((key, document.text.clone()))
    }
}

impl SourceLoader for Overlay<'_> {
    fn load(&self, path: &Path) -> Result<(PathBuf, String), LoadError> {
        match self.buffer(path) {
            Some(found) => Ok(found),
            None => seg::FsLoader::default().load(path),
        }
    }

    fn load_used(&self, path: &Path, root: &Path) -> Result<(PathBuf, String), LoadError> {
        let Some((key, text)) = self.buffer(path) else {
            return seg::FsLoader::default().load_used(path, root);
        };
        // An open buffer obeys the same scope as a file on disk: the root
        // file's directory and below.
        let dir = root.parent().unwrap_or(Path::new("."));
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if key.starts_with(&dir) {
            Ok((key, text))
        } else {
            Err(LoadError::Outside { allowed: dir })
        }
    }
}
