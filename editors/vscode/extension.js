// The Seg extension's client: VS Code highlights `.seg` files with the
// TextMate grammar on its own, and everything that needs the compiler
// (diagnostics as you type, formatting, hover, completion, go to definition,
// rename) comes from `seg lsp`, started over stdio. The extension holds no
// language knowledge of its own, so that the editor and `seg check` can never
// disagree.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

/** Starts `seg lsp` with the executable the `seg.path` setting names. */
async function activate(context) {
  const command = vscode.workspace.getConfiguration("seg").get("path") || "seg";
  const serverOptions = {
    run: { command, args: ["lsp"], transport: TransportKind.stdio },
    debug: { command, args: ["lsp"], transport: TransportKind.stdio },
  };
  const clientOptions = {
    documentSelector: [
      { scheme: "file", language: "seg" },
      { scheme: "untitled", language: "seg" },
    ],
  };
  client = new LanguageClient("seg", "Seg", serverOptions, clientOptions);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("seg.path")) {
        await deactivate();
        await activate(context);
      }
    })
  );
  try {
    await client.start();
  } catch (error) {
    // Highlighting still works without the server; say how to get the rest.
    vscode.window.showErrorMessage(
      `Seg: could not start \`${command} lsp\` (${error.message}). ` +
        "Install seg (see the project's README) or set `seg.path` to its executable."
    );
  }
}

/** Stops the server, if it runs. */
async function deactivate() {
  if (client) {
    const running = client;
    client = undefined;
    await running.stop();
  }
}

module.exports = { activate, deactivate };
