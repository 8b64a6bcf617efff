//! The server loop in process, over `lsp_server::Connection::memory()`:
//! navigation across `use`d files, rename, symbols, completion in context,
//! and a fuzz of random edit scripts against a model of the text.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::time::Duration;

static PANIC_HOOK: std::sync::Once = std::sync::Once::new();
static PANICKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// The client's end of an in-process server.
struct Client {
    connection: Connection,
    server: Option<std::thread::JoinHandle<()>>,
    next_id: i32,
}

impl Client {
    fn start() -> Client {
        // A panic the server catches still fails the test.
        PANIC_HOOK.call_once(|| {
            let previous = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                PANICKED.store(true, std::sync::atomic::Ordering::SeqCst);
                previous(info);
            }));
        });
        let (server, connection) = Connection::memory();
        let thread = std::thread::spawn(move || seg_lsp::serve(&server).unwrap());
        let mut client = Client {
            connection,
            server: Some(thread),
            next_id: 1,
        };
        let init = client.request("initialize", json!({"capabilities": {}}));
        assert!(init.is_ok(), "{init:?}");
        client.notify("initialized", json!({}));
        client
    }

    fn notify(&self, method: &str, params: Value) {
        let message = Notification::new(method.into(), params);
        self.connection.sender.send(message.into()).unwrap();
    }

    fn recv(&self) -> Message {
        self.connection
            .receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("the server answers within a minute")
    }

    /// Sends a request and returns its result or error, skipping
    /// notifications.
    fn request(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        let message = Request::new(id.clone(), method.into(), params);
        self.connection.sender.send(message.into()).unwrap();
        loop {
            if let Message::Response(response) = self.recv()
                && response.id == id
            {
                return match (response.result, response.error) {
                    (_, Some(error)) => Err(error.message),
                    (result, None) => Ok(result.unwrap_or(Value::Null)),
                };
            }
        }
    }

    fn ok(&mut self, method: &str, params: Value) -> Value {
        self.request(method, params).unwrap()
    }

    fn open(&self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "seg", "version": 1, "text": text}}),
        );
    }

    fn text(&mut self, uri: &str) -> Value {
        self.ok("seg/documentText", json!({"uri": uri}))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        if let Some(server) = self.server.take() {
            server.join().unwrap();
        }
        assert!(
            !PANICKED.load(std::sync::atomic::Ordering::SeqCst),
            "the server panicked"
        );
    }
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

const SCHEMA: &str = "schema {
  customer_id: int key
  tier: string one of [\"gold\", \"silver\"]
  orders: int
}
";

const RULES: &str = "use \"schema.seg\"

param min_orders = 2

segment gold \"Gold ✨\" {
  where tier == \"gold\" and orders >= min_orders
}

priority offers {
  gold
}

test \"a gold customer\" {
  given { tier: \"gold\", orders: 3 }
  expect gold
}
";

/// A directory with schema.seg and rules.seg, and their URIs.
fn program() -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().canonicalize().unwrap();
    std::fs::write(path.join("schema.seg"), SCHEMA).unwrap();
    std::fs::write(path.join("rules.seg"), RULES).unwrap();
    let schema = format!("file://{}", path.join("schema.seg").display());
    let rules = format!("file://{}", path.join("rules.seg").display());
    (dir, schema, rules)
}

#[test]
fn references_and_rename_cover_every_file_of_the_program() {
    let (_dir, schema, rules) = program();
    let mut client = Client::start();
    client.open(&rules, RULES);
    client.open(&schema, SCHEMA);

    // From the field's declaration in schema.seg: its uses in rules.seg,
    // which schema.seg does not `use`.
    let refs = client.ok(
        "textDocument/references",
        json!({"textDocument": {"uri": schema}, "position": {"line": 2, "character": 3},
               "context": {"includeDeclaration": true}}),
    );
    let mut places: Vec<(String, u64)> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let uri = l["uri"].as_str().unwrap();
            let file = uri.rsplit('/').next().unwrap().to_string();
            (file, l["range"]["start"]["line"].as_u64().unwrap())
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("rules.seg".to_string(), 5),
            ("rules.seg".to_string(), 13),
            ("schema.seg".to_string(), 2)
        ]
    );

    // Rename the segment from its use in the priority group: the
    // declaration, the priority entry and the test's `expect`.
    let edit = client.ok(
        "textDocument/rename",
        json!({"textDocument": {"uri": rules}, "position": {"line": 9, "character": 3},
               "newName": "gold_members"}),
    );
    let edits = edit["changes"][&rules].as_array().unwrap();
    let mut lines: Vec<u64> = edits
        .iter()
        .map(|e| e["range"]["start"]["line"].as_u64().unwrap())
        .collect();
    lines.sort();
    assert_eq!(lines, [4, 9, 14]);
    assert!(edits.iter().all(|e| e["newText"] == "gold_members"));

    // Keywords, non-names, names already declared and fields are refused.
    for (name, why) in [
        ("where", "is not a name"),
        ("two words", "is not a name"),
        ("9lives", "is not a name"),
        ("orders", "already declares `orders`"),
    ] {
        let refused = client.request(
            "textDocument/rename",
            json!({"textDocument": {"uri": rules}, "position": {"line": 9, "character": 3},
                   "newName": name}),
        );
        assert!(refused.as_ref().unwrap_err().contains(why), "{refused:?}");
    }
    let field = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": rules}, "position": {"line": 5, "character": 9},
               "newName": "level"}),
    );
    assert!(field.unwrap_err().contains("only those can be renamed"));
}

#[test]
fn symbols_hover_and_completion_in_context() {
    let (_dir, _schema, rules) = program();
    let mut client = Client::start();
    client.open(&rules, RULES);

    let symbols = client.ok(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": rules}}),
    );
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["min_orders", "gold", "offers", "a gold customer"]);
    assert_eq!(symbols[1]["detail"], "Gold ✨");
    assert_eq!(symbols[2]["children"][0]["name"], "gold");

    // A segment's hover: its title and condition.
    let hover = client.ok("textDocument/hover", at(&rules, 14, 10));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.starts_with("**Gold ✨**"), "{shown}");
    assert!(shown.contains("where tier == \"gold\""), "{shown}");

    // A function's hover: its signature and doc from the facts table.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": rules, "version": 2},
               "contentChanges": [{"range": {"start": {"line": 5, "character": 8},
                                             "end": {"line": 5, "character": 12}},
                                   "text": "lower(tier)"}]}),
    );
    let hover = client.ok("textDocument/hover", at(&rules, 5, 10));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("`lower(string) -> string`"), "{shown}");
    assert!(shown.contains("Unicode lower case."), "{shown}");

    // After `expect`, only segments.
    let items = client.ok("textDocument/completion", at(&rules, 14, 9));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["gold"]);

    // In a condition: fields, params, segments, functions and keywords.
    let items = client.ok("textDocument/completion", at(&rules, 5, 8));
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for expected in [
        "tier",
        "orders",
        "min_orders",
        "gold",
        "days_since",
        "between",
    ] {
        assert!(labels.contains(&expected), "{expected} in {labels:?}");
    }
}

#[test]
fn formatting_gives_no_edit_for_a_file_with_syntax_errors() {
    let mut client = Client::start();
    let uri = "untitled:Untitled-1";
    client.open(uri, "segment broken { where }\n");
    let edits = client.ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits, json!([]));
    let messy = "schema {\n    x: int\n}\n";
    client.open(uri, messy);
    let edits = client.ok(
        "textDocument/formatting",
        json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
    );
    assert_eq!(edits[0]["newText"], "schema {\n  x: int\n}\n");
}

#[test]
fn a_misspelt_one_of_value_has_a_quick_fix() {
    let mut client = Client::start();
    let uri = "untitled:one-of";
    client.open(
        uri,
        "schema {\n  tier: string one of [\"gold\", \"silver\"]\n}\nsegment g { where tier == \"gld\" }\n",
    );
    let diagnostics = loop {
        if let Message::Notification(n) = client.recv()
            && n.method == "textDocument/publishDiagnostics"
        {
            break n.params["diagnostics"].clone();
        }
    };
    assert_eq!(diagnostics[0]["code"], "E0203");
    let fix = &diagnostics[0]["data"]["fixes"][0];
    assert_eq!(fix["title"], "use \"gold\"");
    assert_eq!(fix["edits"][0]["newText"], "\"gold\"");
    assert_eq!(
        fix["edits"][0]["range"]["start"],
        json!({"line": 3, "character": 26})
    );
    let _ = client.text(uri);
}

/// Byte offset of an LSP position, counted independently of the server:
/// lines end at `\n`, a line's `\r`s before it are not columns, and
/// positions past a line or inside a character clamp back.
fn model_offset(text: &str, line: u32, character: u32) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let content = text[start..end].trim_end_matches('\r');
    let mut units = 0;
    for (i, c) in content.char_indices() {
        units += c.len_utf16();
        if units > character as usize {
            return start + i;
        }
    }
    start + content.len()
}

#[derive(Clone, Debug)]
enum Step {
    Edit {
        start: (u32, u32),
        end: (u32, u32),
        text: String,
    },
    Replace(String),
    Hover(u32, u32),
    Complete(u32, u32),
    Definition(u32, u32),
}

fn piece() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "a",
            "é",
            "日",
            "🎉",
            " ",
            "\n",
            "\r\n",
            "\r",
            "\"",
            "{",
            "}",
            "segment ",
            "where ",
            "tier",
            " == ",
            "gold",
            "#",
            "`",
            "(",
            ")",
            "[",
            "]",
            "1",
            "days_since(",
        ]),
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn position() -> impl Strategy<Value = (u32, u32)> {
    (0u32..20, 0u32..50)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (position(), position(), piece())
            .prop_map(|(start, end, text)| Step::Edit { start, end, text }),
        1 => piece().prop_map(Step::Replace),
        1 => position().prop_map(|(l, c)| Step::Hover(l, c)),
        1 => position().prop_map(|(l, c)| Step::Complete(l, c)),
        1 => position().prop_map(|(l, c)| Step::Definition(l, c)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_edit_scripts_keep_the_text_and_never_panic(
        steps in prop::collection::vec(step(), 1..24)
    ) {
        let mut client = Client::start();
        let uri = "untitled:fuzz";
        let mut model = RULES.replace("use \"schema.seg\"\n", SCHEMA);
        client.open(uri, &model);
        for (version, step) in steps.into_iter().enumerate() {
            let version = version + 2;
            match step {
                Step::Edit { start, end, text } => {
                    let a = model_offset(&model, start.0, start.1);
                    let b = model_offset(&model, end.0, end.1);
                    model.replace_range(a.min(b)..a.max(b), &text);
                    client.notify(
                        "textDocument/didChange",
                        json!({"textDocument": {"uri": uri, "version": version},
                               "contentChanges": [{"range": {
                                   "start": {"line": start.0, "character": start.1},
                                   "end": {"line": end.0, "character": end.1}},
                                 "text": text}]}),
                    );
                }
                Step::Replace(text) => {
                    model = text.clone();
                    client.notify(
                        "textDocument/didChange",
                        json!({"textDocument": {"uri": uri, "version": version},
                               "contentChanges": [{"text": text}]}),
                    );
                }
                Step::Hover(l, c) => {
                    client.ok("textDocument/hover", at(uri, l, c));
                }
                Step::Complete(l, c) => {
                    client.ok("textDocument/completion", at(uri, l, c));
                }
                Step::Definition(l, c) => {
                    client.ok("textDocument/definition", at(uri, l, c));
                }
            }
        }
        prop_assert_eq!(client.text(uri), json!(model));
        client.ok(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
        );
        client.ok("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}}));
    }
}
