// chart_browser.js — drives Debian's chromium for test_chart.py, through
// playwright-core (no browser download: executablePath /usr/bin/chromium).
//
// Protocol: one JSON command per line on stdin, one JSON reply per line on
// stdout ({"ok":true,...} or {"ok":false,"error":...}); every reply also
// carries the page errors seen since the previous one. Commands:
//   {"cmd":"open","url":U}                     launch (once) and load U in the main page
//   {"cmd":"state"}                            window.chartState of the main page
//   {"cmd":"wait","expr":JS,"ms":N}            until JS is truthy in the main page (N ms at most)
//   {"cmd":"select","id":"code","value":V}     pick an option of <select id=...>
//   {"cmd":"text","selector":S}                textContent of S
//   {"cmd":"screenshot","path":P}
//   {"cmd":"extra","url":U,"n":N,"ms":T}       open N more viewers, wait until each
//                                              shows candles, close them again
//   {"cmd":"quit"}
// Usage: node chart_browser.js WEB_DIR   (WEB_DIR holds node_modules/playwright-core)
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const webDir = process.argv[2];
const HARD_LIMIT_MS = 90000; // never outlive a stuck test

let pw;
try {
  pw = require(path.join(webDir, 'node_modules', 'playwright-core'));
} catch (e) {
  process.stdout.write(JSON.stringify({ ok: false, fatal: true,
    error: `playwright-core not found under ${webDir}/node_modules: run plugins/chart_feeder/web/install.sh` }) + '\n');
  process.exit(2);
}

// Exactly the flags the issue prescribes, plus the pipe playwright talks over.
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'upws-chromium-'));
const ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--user-data-dir=' + userDataDir,
  '--remote-debugging-pipe',
];

let browser = null;
let context = null;
let page = null;
let errors = [];

function watch(p) {
  p.on('pageerror', (e) => errors.push('pageerror: ' + e.message));
  p.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
}

async function launch() {
  if (browser) return;
  browser = await pw.chromium.launch({
    executablePath: '/usr/bin/chromium', ignoreDefaultArgs: true, args: ARGS, timeout: 20000,
  });
  context = await browser.newContext({ viewport: { width: 960, height: 540 } });
  page = await context.newPage();
  watch(page);
}

const stateOf = (p) => p.evaluate(() => JSON.parse(JSON.stringify(window.chartState || null)));

async function extra(url, n, timeout) {
  const pages = [];
  for (let i = 0; i < n; i++) {
    const p = await context.newPage();
    watch(p);
    await p.goto(url, { timeout });
    pages.push(p);
  }
  const cond = () => window.chartState && window.chartState.histories > 0 && window.chartState.candles > 0;
  await Promise.all(pages.map((p) => p.waitForFunction(cond, null, { timeout, polling: 50 })));
  const states = await Promise.all(pages.map(stateOf));
  await Promise.all(pages.map((p) => p.close()));
  return states;
}

const commands = {
  async open(c) {
    await launch();
    await page.goto(c.url, { timeout: 10000 });
    return {};
  },
  async state() {
    return { state: await stateOf(page) };
  },
  async wait(c) {
    await page.waitForFunction(c.expr, null, { timeout: c.ms || 5000, polling: 50 });
    return { state: await stateOf(page) };
  },
  async select(c) {
    await page.selectOption('#' + c.id, c.value, { timeout: 5000 });
    return {};
  },
  async text(c) {
    return { text: await page.textContent(c.selector, { timeout: 5000 }) };
  },
  async screenshot(c) {
    await page.screenshot({ path: c.path });
    return {};
  },
  async extra(c) {
    return { states: await extra(c.url, c.n, c.ms || 10000) };
  },
  async quit() {
    return {};
  },
};

async function shutdown(code) {
  try {
    if (browser) await browser.close();
  } catch (e) { /* already gone */ }
  fs.rmSync(userDataDir, { recursive: true, force: true });
  process.exit(code);
}

setTimeout(() => {
  process.stderr.write('chart_browser.js: hard time limit reached\n');
  shutdown(3);
}, HARD_LIMIT_MS).unref();

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let reply;
    let c = {};
    try {
      c = JSON.parse(line);
      const fn = commands[c.cmd];
      if (!fn) throw new Error('unknown command ' + c.cmd);
      reply = Object.assign({ ok: true }, await fn(c));
    } catch (e) {
      reply = { ok: false, error: String(e && e.message ? e.message : e).split('\n')[0] };
    }
    reply.errors = errors;
    errors = [];
    process.stdout.write(JSON.stringify(reply) + '\n');
    if (c.cmd === 'quit') await shutdown(0);
  });
});
rl.on('close', () => { queue.then(() => shutdown(0)); });
