// Grammar tests for the TextMate grammar, run with the same tokenizer VS Code
// uses (vscode-textmate on the Oniguruma regex engine):
//
// - snapshot tests: every line of test/cases/*.seg and of the repository's
//   examples/*.seg, with the scopes of each token, compared with
//   test/snapshots/; `UPDATE_SNAPSHOTS=1 npm test` rewrites them after a
//   deliberate change (review the diff);
// - targeted assertions on the forms most likely to regress.
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const test = require("node:test");
const oniguruma = require("vscode-oniguruma");
const textmate = require("vscode-textmate");

const here = __dirname;
const root = path.resolve(here, "..", "..", "..");

async function loadGrammar() {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (sources) => new oniguruma.OnigScanner(sources),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) => {
      if (scopeName !== "source.seg") return null;
      const file = path.join(here, "..", "syntaxes", "seg.tmLanguage.json");
      return textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file);
    },
  });
  return registry.loadGrammar("source.seg");
}

const grammar = loadGrammar();

/** The tokens of `text`, line by line: [{ line, tokens: [{ text, scopes }] }]. */
async function tokenize(text) {
  const g = await grammar;
  let stack = textmate.INITIAL;
  return text.split("\n").map((line) => {
    const result = g.tokenizeLine(line, stack);
    stack = result.ruleStack;
    return {
      line,
      tokens: result.tokens.map((t) => ({
        text: line.slice(t.startIndex, t.endIndex),
        start: t.startIndex,
        scopes: t.scopes.filter((s) => s !== "source.seg"),
      })),
    };
  });
}

/** The snapshot text: each line, then a caret line per scoped token. */
function render(lines) {
  const out = [];
  for (const { line, tokens } of lines) {
    out.push(`> ${line}`);
    for (const t of tokens) {
      if (t.scopes.length === 0 || t.text.trim() === "") continue;
      out.push(`  ${" ".repeat(t.start)}${"^".repeat(t.text.length)} ${t.scopes.join(" ")}`);
    }
  }
  return out.join("\n") + "\n";
}

function sources() {
  const cases = fs
    .readdirSync(path.join(here, "cases"))
    .filter((f) => f.endsWith(".seg"))
    .map((f) => ({ name: `cases-${f}`, file: path.join(here, "cases", f) }));
  const examples = fs
    .readdirSync(path.join(root, "examples"))
    .filter((f) => f.endsWith(".seg"))
    .map((f) => ({ name: `examples-${f}`, file: path.join(root, "examples", f) }));
  return [...cases, ...examples];
}

for (const { name, file } of sources()) {
  test(`snapshot ${name}`, async () => {
    const actual = render(await tokenize(fs.readFileSync(file, "utf8")));
    const snapshot = path.join(here, "snapshots", `${name}.txt`);
    if (process.env.UPDATE_SNAPSHOTS === "1") {
      fs.writeFileSync(snapshot, actual);
      return;
    }
    assert.ok(
      fs.existsSync(snapshot),
      `no snapshot ${path.relative(root, snapshot)}; run UPDATE_SNAPSHOTS=1 npm test and review it`
    );
    assert.equal(actual, fs.readFileSync(snapshot, "utf8"), `the tokens of ${name} changed`);
  });
}

/** The scopes of the first token whose text is `text` on the only line of `source`. */
async function scopesOf(source, text, nth = 0) {
  const [{ tokens }] = await tokenize(source);
  const found = tokens.filter((t) => t.text === text);
  assert.ok(found.length > nth, `no token ${JSON.stringify(text)} in ${JSON.stringify(source)}`);
  return found[nth].scopes;
}

test("segment names, aggregates, functions and units", async () => {
  const line = 'segment lapsed "Last order long ago" { where days_since(max(orders.at)) > 180 and count_distinct(orders.category) >= 3 }';
  assert.ok((await scopesOf(line, "lapsed")).includes("entity.name.function.segment.seg"));
  assert.ok((await scopesOf(line, "days_since")).includes("support.function.seg"));
  assert.ok((await scopesOf(line, "max")).includes("support.function.aggregate.seg"));
  assert.ok((await scopesOf(line, "count_distinct")).includes("support.function.aggregate.seg"));
  assert.ok((await scopesOf(line, "orders")).includes("variable.other.object.seg"));
  assert.ok((await scopesOf(line, "category")).includes("variable.other.property.seg"));
  const ago = "where last_seen before recent_days days ago and signup within 30 days";
  assert.ok((await scopesOf(ago, "days")).includes("keyword.other.unit.seg"));
  assert.ok((await scopesOf(ago, "days", 1)).includes("keyword.other.unit.seg"));
  assert.ok((await scopesOf(ago, "30")).includes("constant.numeric.integer.seg"));
  assert.ok((await scopesOf(ago, "ago")).includes("keyword.operator.word.seg"));
});

test("keywords inside names are names", async () => {
  for (const name of ["email_opt_in", "index", "notes", "order_count", "is_vip", "android"]) {
    const scopes = await scopesOf(`where ${name} == true`, name);
    assert.deepEqual(scopes, ["variable.other.seg"], name);
  }
});

test("strings, escapes, comments and allow directives", async () => {
  const line = 'where city == "Sa\\"o" # a comment with "quotes" and where';
  assert.ok((await scopesOf(line, '\\"')).includes("constant.character.escape.seg"));
  assert.ok((await scopesOf(line, "where", 0)).includes("keyword.control.clause.seg"));
  const [{ tokens }] = await tokenize(line);
  const comment = tokens.filter((t) => t.scopes.includes("comment.line.number-sign.seg"));
  assert.ok(comment.map((t) => t.text).join("").includes("and where"));
  const allow = "# seg: allow(W0301, W0302)";
  assert.ok((await scopesOf(allow, "W0301, W0302")).includes("constant.other.diagnostic-code.seg"));
});

test("schema fields, types and attributes", async () => {
  const lines = await tokenize("schema {\n  customer_id: int key\n  email: string pii\n  tier: string one of [\"a\", \"b\"]\n  orders: list<{ at: timestamp, amount: decimal }>\n}");
  const find = (i, text) => lines[i].tokens.find((t) => t.text === text).scopes;
  assert.ok(find(1, "customer_id").includes("variable.other.property.field.seg"));
  assert.ok(find(1, "int").includes("support.type.seg"));
  assert.ok(find(1, "key").includes("storage.modifier.seg"));
  assert.ok(find(2, "pii").includes("storage.modifier.seg"));
  assert.ok(find(3, "one of").includes("storage.modifier.one-of.seg"));
  assert.ok(find(4, "at").includes("variable.other.property.field.seg"));
  assert.ok(find(4, "timestamp").includes("support.type.seg"));
  assert.ok(find(5, "}").includes("punctuation.section.block.end.seg"));
});

test("literals", async () => {
  const line = "where at after 2026-01-02T03:04:05Z and d == 2026-01-02 and x > 1.5 and y < 1e10 and z == 1_000";
  assert.ok((await scopesOf(line, "2026-01-02T03:04:05Z")).includes("constant.numeric.timestamp.seg"));
  assert.ok((await scopesOf(line, "2026-01-02")).includes("constant.numeric.date.seg"));
  assert.ok((await scopesOf(line, "1.5")).includes("constant.numeric.decimal.seg"));
  assert.ok((await scopesOf(line, "1e10")).includes("constant.numeric.float.seg"));
  assert.ok((await scopesOf(line, "1_000")).includes("constant.numeric.integer.seg"));
});
