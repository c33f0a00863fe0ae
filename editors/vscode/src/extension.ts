// VS Code client for stp-lsp, the stacktape.yml language server (stdio).
//
// The server decides which documents it handles (stacktape.yml, stacktape.yaml,
// *.stacktape.yml/yaml, `stp.extraFiles` globs, a `# stp: enable` modeline); this
// client only chooses which documents to send it and how to start it.

import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  DocumentSelector,
  Executable,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  TransportKind,
} from 'vscode-languageclient/node';

const SECTION = 'stp';
const CLIENT_ID = 'stp';
const CLIENT_NAME = 'stp';

/** Settings that need a new server process (and a new document selector) when they change. */
const RESTART_ON = ['serverPath', 'serverArgs', 'extraFiles', 'allYamlFiles'].map((k) => `${SECTION}.${k}`);

/** File names the server always attaches to. */
export const STACKTAPE_PATTERNS = [
  '**/stacktape.yml',
  '**/stacktape.yaml',
  '**/*.stacktape.yml',
  '**/*.stacktape.yaml',
];

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

interface Settings {
  serverPath: string;
  serverArgs: string[];
  extraFiles: string[];
  allYamlFiles: boolean;
}

function readSettings(): Settings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.length > 0) : [];
  return {
    serverPath: (cfg.get<string>('serverPath') || 'stp-lsp').trim() || 'stp-lsp',
    serverArgs: strings(cfg.get('serverArgs')),
    extraFiles: strings(cfg.get('extraFiles')),
    allYamlFiles: cfg.get<boolean>('allYamlFiles') === true,
  };
}

/** `~` and `${workspaceFolder}` in a configured path. */
export function expandPath(p: string, workspaceFolder: string | undefined): string {
  let out = p;
  if (out === '~' || out.startsWith('~/') || out.startsWith('~\\')) {
    out = path.join(os.homedir(), out.slice(1));
  }
  if (workspaceFolder !== undefined) {
    out = out.split('${workspaceFolder}').join(workspaceFolder);
  }
  return out;
}

/**
 * The documents sent to the server. Relative `extraFiles` globs are widened to
 * `**\/glob` here; the server matches them exactly (relative to the workspace
 * folder) and ignores the documents it does not attach to.
 */
export function documentSelector(settings: Settings): DocumentSelector {
  if (settings.allYamlFiles) {
    return [
      { scheme: 'file', language: 'yaml' },
      { scheme: 'untitled', language: 'yaml' },
    ];
  }
  const patterns = [...STACKTAPE_PATTERNS];
  for (const glob of settings.extraFiles) {
    const g = glob.replace(/\\/g, '/');
    const absolute = g.startsWith('/') || /^[A-Za-z]:\//.test(g);
    patterns.push(absolute || g.startsWith('**/') ? g : `**/${g}`);
  }
  return patterns.map((pattern) => ({ scheme: 'file', pattern }));
}

function createClient(settings: Settings): LanguageClient {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const run: Executable = {
    command: expandPath(settings.serverPath, folder),
    args: settings.serverArgs.map((a) => expandPath(a, folder)),
    transport: TransportKind.stdio,
    options: folder ? { cwd: folder } : undefined,
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(settings),
    initializationOptions: { stp: { extraFiles: settings.extraFiles } },
    outputChannel: output,
    traceOutputChannel: output,
  };
  return new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
}

async function startClient(): Promise<void> {
  const settings = readSettings();
  const next = createClient(settings);
  client = next;
  try {
    await next.start();
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const choice = await vscode.window.showErrorMessage(
      `stp: could not start the language server '${settings.serverPath}' (${message}). ` +
        "Install it with `pip install -e <stp checkout>` (it provides `stp-lsp`) or set 'stp.serverPath'.",
      'Open Settings',
      'Show Output',
    );
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'stp.serverPath');
    } else if (choice === 'Show Output') {
      output?.show(true);
    }
  }
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current === undefined) {
    return;
  }
  try {
    if (current.isRunning()) {
      await current.stop();
    } else {
      await current.dispose();
    }
  } catch {
    // a server that failed to start has nothing to stop
  }
}

async function restartClient(): Promise<void> {
  await stopClient();
  await startClient();
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('stp');
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('stp.restartServer', restartClient),
    vscode.commands.registerCommand('stp.showOutput', () => output?.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (RESTART_ON.some((key) => e.affectsConfiguration(key))) {
        void restartClient();
      }
    }),
  );
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
