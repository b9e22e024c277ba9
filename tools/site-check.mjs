#!/usr/bin/env node
// Opens every HTML page of the pkgdown site (`make site`) in headless Chromium and fails on what a
// reader would meet as a broken page (`make site-check`):
//   - a JavaScript exception, or a console message or browser log entry of level error;
//   - a request that failed, answered >= 400, or left this machine (the site must work offline:
//     Chromium resolves no host but the local server);
//   - an <img> that did not load (naturalWidth 0, or an empty src);
//   - a formula that MathJax did not typeset or typeset with an error (a TeX syntax error, an
//     undefined macro), TeX delimiters left in the text, or MathJax not finishing;
//   - a page whose "On this page" menu stayed empty although the page has sections, or whose code
//     blocks have no copy button (site.js broke).
// Links inside the site that point at a missing file are listed as warnings. Screenshots of the
// home page, the reference index, one reference page and one article, and of the home page with the
// search results open, go to <site>/screenshots/.
//
// Usage: node tools/site-check.mjs [site-dir] (default: site). Needs Node >= 18 and Chromium
// (CHROMIUM=/path/to/chromium to choose one; default: chromium, chromium-browser or google-chrome on
// the PATH). No npm packages: it speaks the DevTools protocol over --remote-debugging-pipe.
// Prints one line per problem and a summary; exits 1 when a page has an error.

import { spawn, execFileSync } from "node:child_process";
import http from "node:http";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const siteDir = path.resolve(process.argv[2] || "site");
const PAGE_TIMEOUT_MS = Number(process.env.SITE_CHECK_TIMEOUT || 60000);
const VIEWPORT = { width: 1280, height: 1000 };
const SHOTS = [
  ["home", "index.html"],
  ["reference-index", "reference/index.html"],
  ["reference-moe_lse", "reference/moe_lse.html"],
  ["article-getting-started", "articles/getting-started.html"],
];
// more screenshots: SITE_CHECK_SHOTS="name=page.html#element-id,..." (the page scrolled to the element)
for (const spec of (process.env.SITE_CHECK_SHOTS || "").split(",").filter(Boolean)) {
  const [name, rel] = spec.split("=");
  SHOTS.push([name, rel]);
}
const t0 = Date.now();

if (!fs.existsSync(path.join(siteDir, "index.html"))) {
  console.error(`site-check: no ${siteDir}/index.html: run make site first`);
  process.exit(2);
}

// ---- the pages -------------------------------------------------------------------------------
function walk(dir, rel = "") {
  let out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (rel === "" && (e.name === "deps" || e.name === "vendor" || e.name === "screenshots")) continue;
      out = out.concat(walk(path.join(dir, e.name), r));
    } else if (e.name.endsWith(".html")) {
      out.push(r);
    }
  }
  return out;
}
const pages = walk(siteDir).sort();

// ---- a static server for the site ------------------------------------------------------------
const MIME = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css",
  ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg", ".gif": "image/gif", ".woff": "font/woff", ".woff2": "font/woff2",
  ".ttf": "font/ttf", ".otf": "font/otf", ".eot": "application/vnd.ms-fontobject",
  ".xml": "application/xml", ".txt": "text/plain", ".md": "text/plain; charset=utf-8",
  ".ico": "image/x-icon", ".map": "application/json",
};
function fileFor(urlPath) {
  let p = decodeURIComponent(urlPath.split("?")[0].split("#")[0]);
  if (p.endsWith("/")) p += "index.html";
  const f = path.normalize(path.join(siteDir, p));
  if (!f.startsWith(siteDir)) return null;
  return f;
}
const server = http.createServer((req, res) => {
  const f = fileFor(new URL(req.url, "http://x").pathname);
  if (!f || !fs.existsSync(f) || !fs.statSync(f).isFile()) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
    return;
  }
  res.writeHead(200, { "content-type": MIME[path.extname(f).toLowerCase()] || "application/octet-stream" });
  fs.createReadStream(f).pipe(res);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---- Chromium over the DevTools pipe ---------------------------------------------------------
function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const c of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    try { return execFileSync("sh", ["-c", `command -v ${c}`]).toString().trim(); } catch { /* next */ }
  }
  console.error("site-check: no Chromium found (Debian: apt-get install chromium; or set CHROMIUM)");
  process.exit(2);
}
const profile = fs.mkdtempSync(path.join(os.tmpdir(), "lsmoe-site-check-"));
const chrome = spawn(findChromium(), [
  "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
  `--user-data-dir=${profile}`, "--no-first-run", "--no-default-browser-check",
  "--disable-extensions", "--disable-background-networking", "--disable-component-update",
  "--disable-sync", "--disable-default-apps", "--mute-audio", "--hide-scrollbars",
  // offline: every host but the local server fails to resolve
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  `--window-size=${VIEWPORT.width},${VIEWPORT.height}`, "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let chromeStderr = "";
chrome.stderr.on("data", (d) => { chromeStderr += d; if (chromeStderr.length > 1e5) chromeStderr = chromeStderr.slice(-5e4); });
const toChrome = chrome.stdio[3];
const fromChrome = chrome.stdio[4];

let nextId = 0;
const pending = new Map();
const listeners = new Set();
let buf = Buffer.alloc(0);
fromChrome.on("data", (chunk) => {
  buf = Buffer.concat([buf, chunk]);
  let i;
  while ((i = buf.indexOf(0)) >= 0) {
    const msg = JSON.parse(buf.subarray(0, i).toString("utf8"));
    buf = buf.subarray(i + 1);
    if (msg.id !== undefined && pending.has(msg.id)) {
      const { resolve, reject, method } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(`${method}: ${msg.error.message}`)); else resolve(msg.result);
    } else if (msg.method) {
      for (const l of listeners) l(msg.method, msg.params, msg.sessionId);
    }
  }
});
chrome.on("exit", (code) => {
  for (const { reject } of pending.values()) reject(new Error(`Chromium exited (${code}): ${chromeStderr.slice(-2000)}`));
  pending.clear();
});
function send(method, params = {}, sessionId) {
  const id = ++nextId;
  const msg = { id, method, params };
  if (sessionId) msg.sessionId = sessionId;
  toChrome.write(JSON.stringify(msg) + "\0");
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, method }));
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function withTimeout(p, ms, what) {
  let timer;
  return Promise.race([p, new Promise((_, rej) => { timer = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms); })])
    .finally(() => clearTimeout(timer));
}

const { targetId } = await withTimeout(send("Target.createTarget", { url: "about:blank" }), 30000, "Chromium start");
const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true });
const S = (method, params) => send(method, params, sessionId);
await S("Page.enable");
await S("Runtime.enable");
await S("Log.enable");
await S("Network.enable");
await S("Network.setCacheDisabled", { cacheDisabled: false });
await S("Emulation.setDeviceMetricsOverride", { ...VIEWPORT, deviceScaleFactor: 1, mobile: false });

// ---- per-page events -------------------------------------------------------------------------
let cur = null; // { errors, warnings, inflight: Map, loaded, lastNet }
const requests = new Map();
listeners.add((method, p, sid) => {
  if (sid !== sessionId || !cur) return;
  const err = (m) => cur.errors.push(m);
  switch (method) {
    case "Page.loadEventFired": cur.loaded = true; break;
    case "Runtime.exceptionThrown": {
      const d = p.exceptionDetails;
      err(`exception: ${(d.exception && d.exception.description) || d.text} (${d.url || ""}:${d.lineNumber})`);
      break;
    }
    case "Runtime.consoleAPICalled": {
      const text = p.args.map((a) => a.value !== undefined ? String(a.value) : (a.description || a.type)).join(" ");
      if (p.type === "error" || p.type === "assert") err(`console.${p.type}: ${text}`);
      else if (p.type === "warning") cur.warnings.push(`console.warn: ${text}`);
      break;
    }
    case "Log.entryAdded": {
      const e = p.entry;
      if (e.url && isFavicon(e.url)) break;
      if (e.level === "error") err(`log (${e.source}): ${e.text}${e.url ? " " + e.url : ""}`);
      break;
    }
    case "Network.requestWillBeSent": {
      const u = p.request.url;
      requests.set(p.requestId, u);
      cur.inflight.add(p.requestId);
      cur.lastNet = Date.now();
      cur.nRequests++;
      if (!u.startsWith(origin) && !/^(data|blob|about|chrome-extension):/.test(u)) err(`external request: ${u}`);
      break;
    }
    case "Network.responseReceived": {
      const u = p.response.url;
      if (p.response.status >= 400 && !isFavicon(u)) err(`HTTP ${p.response.status}: ${u.replace(origin, "")}`);
      break;
    }
    case "Network.loadingFinished":
      cur.inflight.delete(p.requestId); cur.lastNet = Date.now(); break;
    case "Network.loadingFailed": {
      cur.inflight.delete(p.requestId); cur.lastNet = Date.now();
      const u = requests.get(p.requestId) || "?";
      if (!isFavicon(u)) err(`failed to load: ${u.replace(origin, "")} (${p.errorText}${p.blockedReason ? ", " + p.blockedReason : ""})`);
      break;
    }
  }
});
// Chromium asks for /favicon.ico by itself; the site has none (no logo to build one from).
function isFavicon(u) { return u === `${origin}/favicon.ico`; }

async function evaluate(expression, awaitPromise = false) {
  const r = await S("Runtime.evaluate", { expression, awaitPromise, returnByValue: true });
  if (r.exceptionDetails) throw new Error(`evaluate: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
  return r.result.value;
}

// what a page must satisfy once loaded and idle
const PAGE_CHECKS = `(() => {
  const out = { errors: [], warnings: [], links: [] };
  for (const img of document.images) {
    const src = img.getAttribute("src");
    if (src === null || src === "") out.errors.push("image with an empty src" + (img.className ? " (class " + img.className + ")" : ""));
    else if (!img.complete || img.naturalWidth === 0) out.errors.push("broken image: " + src);
  }
  // each formula MathJax found: its TeX in a script, its output in the element "<script id>-Frame";
  // a TeX error shows as noError/merror, an undefined macro as red text (noUndefined)
  const bad = '.mjx-noError, .mjx-merror, .MathJax_Error, merror, mtext[mathcolor="red"]';
  for (const sc of document.querySelectorAll('script[type^="math/tex"]')) {
    const frame = document.getElementById(sc.id + "-Frame");
    if (!frame) out.errors.push("formula not typeset: " + sc.textContent.slice(0, 100));
    else if (frame.querySelector(bad)) out.errors.push("MathJax error in: " + sc.textContent.slice(0, 100));
  }
  for (const m of document.querySelectorAll(".MathJax_Error")) out.errors.push("MathJax error: " + m.textContent.slice(0, 120));
  // TeX left as text: delimiters still in the page after MathJax ran
  const main = document.querySelector("main") || document.body;
  const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
  let leftover = 0, sample = "";
  while (walker.nextNode()) {
    const n = walker.currentNode, p = n.parentNode;
    if (p.closest("pre, code, script, .MathJax_Preview, .sourceCode, textarea")) continue;
    if (/\\\\\\(|\\\\\\)|\\$\\$|\\\\begin\\{/.test(n.nodeValue)) { leftover++; if (!sample) sample = n.nodeValue.trim().slice(0, 100); }
  }
  if (leftover) out.errors.push(leftover + " text node(s) with untypeset TeX, e.g. " + JSON.stringify(sample));
  const toc = document.querySelector("#toc");
  const sections = document.querySelectorAll("main h2:not([data-toc-skip])").length;
  if (toc && sections >= 2 && !toc.querySelector("a.nav-link")) out.errors.push("empty 'On this page' menu (" + sections + " sections)");
  const code = document.querySelectorAll("div.sourceCode").length;
  if (code && !document.querySelector("div.sourceCode > .btn-copy-ex")) out.errors.push("no copy buttons on " + code + " code blocks");
  for (const a of document.querySelectorAll("a[href]")) out.links.push(a.href);
  out.title = document.title;
  out.math = document.querySelectorAll(".MathJax, .MathJax_Display, .MathJax_CHTML").length;
  return out;
})()`;

const MATHJAX_DONE = `new Promise((resolve) => {
  if (!window.MathJax || !window.MathJax.Hub) { resolve("none"); return; }
  MathJax.Hub.Queue(() => resolve("done"));
})`;

async function openPage(rel) {
  cur = { errors: [], warnings: [], inflight: new Set(), loaded: false, lastNet: Date.now(), nRequests: 0 };
  const url = `${origin}/${rel}`;
  const nav = await S("Page.navigate", { url });
  if (nav.errorText) cur.errors.push(`navigation: ${nav.errorText}`);
  const deadline = Date.now() + PAGE_TIMEOUT_MS;
  while (!cur.loaded && Date.now() < deadline) await sleep(25);
  if (!cur.loaded) { cur.errors.push(`no load event within ${PAGE_TIMEOUT_MS} ms`); return cur; }
  const mj = await withTimeout(evaluate(MATHJAX_DONE, true), Math.max(1000, deadline - Date.now()), "MathJax")
    .catch((e) => { cur.errors.push(`MathJax did not finish: ${e.message}`); return "timeout"; });
  // network idle: nothing in flight for 300 ms (MathJax and fonts load after the load event)
  while (Date.now() < deadline && (cur.inflight.size > 0 || Date.now() - cur.lastNet < 300)) await sleep(25);
  if (cur.inflight.size > 0) cur.errors.push(`${cur.inflight.size} request(s) still pending after ${PAGE_TIMEOUT_MS} ms`);
  const res = await evaluate(PAGE_CHECKS);
  cur.errors.push(...res.errors);
  cur.warnings.push(...res.warnings);
  cur.links = res.links;
  cur.title = res.title;
  cur.math = mj === "none" ? 0 : res.math;
  return cur;
}

// The search box finds an entry offline (site.js reads search.json).
const SEARCH_TEST = `new Promise((resolve) => {
  const input = document.querySelector("#search-input");
  if (!input) { resolve("no search box"); return; }
  input.focus();
  input.value = "voronoi loss";
  input.dispatchEvent(new Event("input", { bubbles: true }));
  const t0 = Date.now();
  (function poll() {
    const hits = document.querySelectorAll(".lsmoe-search-results.show a.dropdown-item");
    if (hits.length) resolve(hits.length);
    else if (Date.now() - t0 > 10000) resolve("no results for 'voronoi loss' within 10 s");
    else setTimeout(poll, 50);
  })();
})`;

// ---- run -------------------------------------------------------------------------------------
const shotDir = path.join(siteDir, "screenshots");
fs.rmSync(shotDir, { recursive: true, force: true });
fs.mkdirSync(shotDir, { recursive: true });
const shots = new Map();
for (const [name, spec] of SHOTS) {
  const [rel, anchor] = spec.split("#");
  if (!shots.has(rel)) shots.set(rel, []);
  shots.get(rel).push({ name, anchor });
}
let nErrors = 0, nPagesBad = 0, nMath = 0, nReq = 0;
const brokenLinks = new Map();
const shotPaths = [];

for (const rel of pages) {
  let r;
  try {
    r = await openPage(rel);
  } catch (e) {
    r = { errors: [`check failed: ${e.message}`], warnings: [], links: [] };
  }
  nMath += r.math || 0;
  nReq += r.nRequests || 0;
  if (rel === "index.html") {
    const s = await withTimeout(evaluate(SEARCH_TEST, true), 15000, "search").catch((e) => e.message);
    if (typeof s !== "number") r.errors.push(`search: ${s}`);
    else console.log(`site-check: search for 'voronoi loss' on the home page: ${s} results`);
    await withTimeout(evaluate(MATHJAX_DONE, true), 15000, "MathJax").catch(() => null);
    const { data } = await S("Page.captureScreenshot", { format: "png" });
    fs.writeFileSync(path.join(shotDir, "search.png"), Buffer.from(data, "base64"));
    shotPaths.push(path.relative(process.cwd(), path.join(shotDir, "search.png")));
    await evaluate(`(() => { const i = document.querySelector("#search-input"); i.value = ""; i.dispatchEvent(new Event("input", {bubbles: true})); i.blur(); document.body.click(); window.scrollTo({ top: 0, behavior: "instant" }); })()`);
    await sleep(100);
  }
  for (const href of r.links || []) {
    if (!href.startsWith(origin)) continue;
    const f = fileFor(new URL(href).pathname);
    if (!f || !fs.existsSync(f)) {
      const target = new URL(href).pathname;
      if (!brokenLinks.has(target)) brokenLinks.set(target, new Set());
      brokenLinks.get(target).add(rel);
    }
  }
  for (const { name, anchor } of shots.get(rel) || []) {
    await evaluate(`(() => { const el = ${JSON.stringify(anchor || "")} && document.getElementById(${JSON.stringify(anchor || "")});
      if (el) el.scrollIntoView({ behavior: "instant" }); else window.scrollTo({ top: 0, behavior: "instant" }); })()`);
    await sleep(200);
    const { data } = await S("Page.captureScreenshot", { format: "png" });
    const file = path.join(shotDir, `${name}.png`);
    fs.writeFileSync(file, Buffer.from(data, "base64"));
    shotPaths.push(path.relative(process.cwd(), file));
  }
  const errs = [...new Set(r.errors)];
  if (errs.length) {
    nPagesBad++;
    nErrors += errs.length;
    for (const e of errs) console.log(`ERROR ${rel}: ${e}`);
  }
  for (const w of new Set(r.warnings)) console.log(`warning ${rel}: ${w}`);
}

for (const [target, from] of brokenLinks) {
  console.log(`warning: link to a file not in the site: ${target} (from ${[...from].join(", ")})`);
}
for (const p of shotPaths) console.log(`site-check: screenshot ${p}`);
const missingShots = SHOTS.map(([, spec]) => spec.split("#")[0]).filter((rel) => !pages.includes(rel));
if (missingShots.length) { console.log(`ERROR: pages to screenshot not in the site: ${missingShots.join(", ")}`); nErrors++; }

console.log(`site-check: ${pages.length} pages, ${nReq} requests, ${nMath} typeset formulas; ` +
  `${nErrors} error(s) on ${nPagesBad} page(s), ${brokenLinks.size} link(s) to files not in the site; ` +
  `${((Date.now() - t0) / 1000).toFixed(0)} s`);

const exited = new Promise((r) => chrome.once("exit", r));
try { await withTimeout(send("Browser.close"), 5000, "close"); } catch { chrome.kill(); }
await withTimeout(exited, 10000, "Chromium exit").catch(() => chrome.kill("SIGKILL"));
server.close();
try { fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch { /* a leftover temp dir */ }
process.exit(nErrors ? 1 : 0);
