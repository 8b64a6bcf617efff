//! `seg lsp` driven over standard input and output as an editor drives it:
//! JSON-RPC messages with `Content-Length` framing, from `initialize` to
//! `exit`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// A running `seg lsp` and the messages it has sent.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_seg"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = Some(n.parse::<usize>().unwrap());
                    }
                }
                let mut body = vec![0; length.expect("a Content-Length header")];
                reader.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            child,
            stdin,
            messages,
            next_id: 1,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next(&self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute")
    }

    /// Sends a request and returns its result, skipping notifications.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message = self.next();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{message}");
                return message["result"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&self, uri: &str) -> Vec<Value> {
        loop {
            let message = self.next();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

/// The UTF-16 column of byte `offset` in `line`, as an editor counts.
fn utf16(line: &str, offset: usize) -> usize {
    line[..offset].encode_utf16().count()
}

const SCHEMA: &str = "schema {
  customer_id: int key
  email: string pii
  loyalty_tier: string one of [\"bronze\", \"silver\", \"gold\"]
  total_orders: int
}
";

#[test]
fn an_editor_session_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    let dir_path = dir.path().canonicalize().unwrap();
    std::fs::write(dir_path.join("schema.seg"), SCHEMA).unwrap();
    let rules_path = dir_path.join("rules.seg");
    let uri = format!("file://{}", rules_path.display());
    let schema_uri = format!("file://{}", dir_path.join("schema.seg").display());
    // The emoji before the misspelt field is two UTF-16 units: the range
    // tells whether the server counts as the editor does.
    let line = "segment gold   \"🎉 Gold\" { where loyalty_tie == \"gold\" and total_orders >= min_orders }";
    let text = format!("use \"schema.seg\"\n\nparam min_orders = 2\n\n{line}\n");

    let mut client = Client::start();
    let init = client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let caps = &init["capabilities"];
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    for provider in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
        "completionProvider",
        "renameProvider",
        "codeActionProvider",
    ] {
        assert!(!caps[provider].is_null(), "{provider}");
    }
    client.notify("initialized", json!({}));

    // didOpen with an error: one diagnostic, at the misspelt name.
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "seg", "version": 1, "text": text}}),
    );
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    let d = &diagnostics[0];
    let start = line.find("loyalty_tie").unwrap();
    assert_eq!(
        d["range"],
        json!({"start": {"line": 4, "character": utf16(line, start)},
               "end": {"line": 4, "character": utf16(line, start + "loyalty_tie".len())}})
    );
    assert_eq!(d["code"], "E0101");
    assert_eq!(d["severity"], 1);
    assert!(
        d["message"]
            .as_str()
            .unwrap()
            .contains("help: did you mean `loyalty_tier`?"),
        "{d}"
    );

    // The "did you mean" as a quick fix.
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": d["range"],
               "context": {"diagnostics": [d]}}),
    );
    let action = &actions[0];
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(
        action["edit"]["changes"][&uri][0],
        json!({"range": d["range"], "newText": "loyalty_tier"})
    );

    // didChange, incremental: insert the missing `r` after `loyalty_tie`.
    let end = d["range"]["end"].clone();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"range": {"start": end, "end": end}, "text": "r"}]}),
    );
    assert_eq!(client.diagnostics(&uri), Vec::<Value>::new());
    let fixed = text.replace("loyalty_tie ", "loyalty_tier ");
    let line = line.replace("loyalty_tie ", "loyalty_tier ");
    let server_text = client.request("seg/documentText", json!({"uri": uri}));
    assert_eq!(server_text, json!(fixed));

    // Formatting: the canonical layout, as `seg fmt` writes it.
    let edits = client.request(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    let parsed = seg::syntax::parse(&fixed, seg::diagnostics::FileId(0));
    let canonical = seg::syntax::format_file(&parsed.file, &fixed);
    assert_ne!(canonical, fixed);
    assert_eq!(edits.as_array().unwrap().len(), 1);
    assert_eq!(edits[0]["newText"], json!(canonical));
    assert_eq!(
        edits[0]["range"]["start"],
        json!({"line": 0, "character": 0})
    );

    // Hover on the field: its type and `one of` values, from schema.seg.
    let field_at = utf16(&line, line.find("loyalty_tier").unwrap() + 3);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": field_at}}),
    );
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("loyalty_tier: string one of"), "{shown}");
    assert!(
        shown.contains("one of: `\"bronze\"`, `\"silver\"`, `\"gold\"`"),
        "{shown}"
    );

    // Hover on the param: its value.
    let param_at = utf16(&line, line.find("min_orders").unwrap());
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": param_at}}),
    );
    assert!(
        hover["contents"]["value"]
            .as_str()
            .unwrap()
            .contains("param min_orders = 2")
    );

    // Go to definition: across the `use`, into schema.seg (line 3).
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": field_at}}),
    );
    assert_eq!(definition["uri"], json!(schema_uri));
    assert_eq!(
        definition["range"],
        json!({"start": {"line": 3, "character": 2}, "end": {"line": 3, "character": 14}})
    );

    // Completion after `loyalty_tier == "`: the field's values.
    let completion_line = 5;
    let typed = "segment g2 { where loyalty_tier == \"";
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3},
               "contentChanges": [{"range": {"start": {"line": completion_line, "character": 0},
                                             "end": {"line": completion_line, "character": 0}},
                                   "text": typed}]}),
    );
    let items = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri},
               "position": {"line": completion_line, "character": typed.len()}}),
    );
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["\"bronze\"", "\"silver\"", "\"gold\""]);

    // Shutdown, exit: exit code 0.
    assert_eq!(client.request("shutdown", Value::Null), Value::Null);
    client.notify("exit", Value::Null);
    drop(client.stdin);
    let status = client.child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}
