// synod explore: the page. Plain JavaScript, no build step, nothing loaded from elsewhere.
//
// The URL is the state: /s/<session>/<label>/<label>/... (each label encodeURIComponent'd).
// The "tape" is the run being read: the loaded trace, or the path walked so far; next and
// previous move along it, taking another action branches off (the trace stays one click away).
"use strict";

const page = {
  session: null,   // session id
  info: null,      // GET /api/s/<id>
  path: [],        // labels of the state shown
  tape: [],        // the run next/previous walk along
  view: null,      // the last state view
  selected: 0,     // index of the chosen action (keyboard)
  loading: 0,      // a counter: the newest request wins
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function encodePath(labels) {
  return labels.map(encodeURIComponent).join("/");
}

function stateUrl(labels) {
  return `/s/${page.session}/` + encodePath(labels);
}

function isPrefix(short, long) {
  return short.length <= long.length && short.every((label, i) => long[i] === label);
}

// -- reading the URL ---------------------------------------------------------------------

function parseLocation() {
  const raw = location.pathname;
  const match = raw.match(/^\/s\/([^/]+)\/?(.*)$/);
  if (!match) throw new Error(`not a state URL: ${raw}`);
  // The labels are decoded by the server (it says which segment is malformed).
  return { session: match[1], rawPath: match[2] };
}

async function fetchJson(url, options) {
  const response = await fetch(url, options);
  let data = null;
  try {
    data = await response.json();
  } catch (err) {
    throw new Error(`${response.status} ${response.statusText}: the server's answer is not JSON`);
  }
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error : `${response.status} ${response.statusText}`);
    error.step = data ? data.step : undefined;
    throw error;
  }
  return data;
}

function showError(message, validPrefix) {
  const box = $("error");
  box.replaceChildren(message);
  if (validPrefix) {
    box.append(" ", el("a", { href: stateUrl(validPrefix), id: "error-fallback" },
      `go to step ${validPrefix.length}, the last state this path reaches`));
  }
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
  $("error").replaceChildren();
}

// -- loading a state ---------------------------------------------------------------------

async function load() {
  const ticket = ++page.loading;
  const started = performance.now();
  let where;
  try {
    where = parseLocation();
  } catch (err) {
    showError(err.message);
    return;
  }
  try {
    if (page.session !== where.session || !page.info) {
      page.session = where.session;
      page.info = await fetchJson(`/api/s/${where.session}`);
      renderInfo();
    }
    const view = await fetchJson(`/api/s/${where.session}/state/${where.rawPath}`);
    if (ticket !== page.loading) return;
    clearError();
    page.path = view.path;
    page.view = view;
    updateTape();
    page.selected = Math.min(page.selected, Math.max(0, view.actions.length - 1));
    render();
    // how long this state took (request + drawing) and since the page was opened: for
    // bench/bench_explore.py, which reads them
    document.body.dataset.stepMs = (performance.now() - started).toFixed(1);
    document.body.dataset.sinceOpenMs = performance.now().toFixed(1);
    document.body.dataset.ready = String(page.path.length);
  } catch (err) {
    if (ticket !== page.loading) return;
    let prefix = null;
    if (typeof err.step === "number" && err.step >= 1) {
      // the path is fine up to the step before the one that failed
      const segments = where.rawPath.split("/").slice(0, err.step - 1);
      try { prefix = segments.map(decodeURIComponent); } catch (e) { prefix = null; }
    }
    showError(err.message, prefix);
    document.body.dataset.ready = "error";
  }
}

function updateTape() {
  // Keep the tape while the state is on it; else the trace if the state is on that; else
  // the path itself.
  if (page.tape.length && isPrefix(page.path, page.tape)) return;
  const trace = page.info && page.info.trace ? page.info.trace.actions : null;
  page.tape = trace && isPrefix(page.path, trace) ? trace.slice() : page.path.slice();
}

function go(labels, replace) {
  const url = stateUrl(labels);
  if (replace) history.replaceState(null, "", url);
  else history.pushState(null, "", url);
  load();
}

// -- rendering ---------------------------------------------------------------------------

function renderInfo() {
  const info = page.info;
  const c = info.config || {};
  $("title").textContent = `${info.model}` + (c.variant && c.variant !== "correct" ? ` (variant ${c.variant})` : "");
  const parts = [];
  for (const key of ["nodes", "clients", "ops", "network", "ballots"]) {
    if (c[key] !== undefined) parts.push(`${key} ${c[key]}`);
  }
  if (c.faults) parts.push("faults " + (Object.entries(c.faults).filter(([, v]) => v).map(([k, v]) => `${k}=${v}`).join(",") || "none"));
  $("config").textContent = parts.join(" · ");
  const trace = info.trace;
  $("trace-info").textContent = trace
    ? `trace ${trace.source}: ${trace.kind} property '${trace.property}' fails after ${trace.step} steps`
    : "no trace loaded: take actions to walk the state space";
  document.title = `synod explore: ${info.model}`;
}

function render() {
  renderStepper();
  renderDiagram();
  renderActions();
  renderDiff();
  renderProperties();
  renderPanels();
  $("permalink").href = stateUrl(page.path);
}

function renderStepper() {
  const k = page.path.length;
  const n = page.tape.length;
  $("step-info").textContent = `step ${k} of ${n}`;
  $("first").disabled = k === 0;
  $("prev").disabled = k === 0;
  $("next").disabled = k >= n;
  $("last").disabled = k >= n;
  const trace = page.info.trace ? page.info.trace.actions : null;
  $("back-to-trace").hidden = !trace || isPrefix(page.path, trace);
}

function renderDiagram() {
  const box = $("diagram");
  const rows = page.view.diagram.rows;
  const lines = [];
  for (const row of rows) {
    const line = el("div", { class: "drow" });
    for (const [text, style] of row) line.append(el("span", { class: style }, text));
    const head = row.length ? row[0][0] : "";
    const match = head.match(/^(?:!!)?\s*(\d+) $/);
    if (match) {
      const step = Number(match[1]);
      line.classList.add("step");
      line.dataset.step = String(step);
      if (step === page.path.length) line.classList.add("current");
      line.addEventListener("click", () => go(page.path.slice(0, step)));
    }
    lines.push(line);
  }
  box.replaceChildren(...lines);
  const current = box.querySelector(".drow.current");
  if (current) current.scrollIntoView({ block: "nearest" });
}

function renderActions() {
  const list = $("actions");
  const nextOnTape = page.tape[page.path.length];
  const items = page.view.actions.map((action, i) => {
    const button = el("button", { class: "action", dataset: { label: action.label } },
      el("span", { class: "num" }, i < 9 ? `${i + 1}.` : "·"), action.label);
    for (const name of action.changes) button.append(el("span", { class: "chip" }, `changes ${name}`));
    for (const name of action.breaks) button.append(el("span", { class: "chip breaks" }, `breaks ${name}`));
    if (action.outside_bounds) button.append(el("span", { class: "chip bounds" }, "outside the bounds"));
    if (action.beyond_depth) button.append(el("span", { class: "chip bounds" }, "beyond --depth"));
    button.addEventListener("click", () => takeAction(action.label));
    const classes = [];
    if (i === page.selected) classes.push("selected");
    if (action.label === nextOnTape) classes.push("on-tape");
    return el("li", { class: classes.join(" ") }, button);
  });
  if (items.length === 0) items.push(el("li", { class: "empty" }, "no action is enabled: the run ends here"));
  list.replaceChildren(...items);
}

function renderDiff() {
  const box = $("diff");
  const diff = page.view.diff;
  if (!diff) {
    box.replaceChildren(el("div", { class: "empty" }, "the initial state"));
    return;
  }
  const list = el("ul");
  for (const key of diff.changed) {
    const [where, name] = rowName(key);
    if (!name) { list.append(el("li", { class: "diffline" }, `${where}: now ${panelStatus(key)}`)); continue; }
    const item = el("li", { class: "diffline" }, `${where} ${name}: `);
    item.append(el("span", { class: "was" }, `${diff.before[key]} → `), rowText(key));
    list.append(item);
  }
  for (const key of diff.added) {
    const [where, name] = rowName(key);
    const text = rowText(key);
    list.append(el("li", { class: "diffline added" }, `+ ${where}: ` + (name === text ? text : `${name}: ${text}`)));
  }
  for (const row of diff.removed) {
    const where = panelTitle(row.panel);
    list.append(el("li", { class: "diffline del" }, `− ${where}: ` + (row.key === row.text ? row.text : `${row.key}: ${row.text}`)));
  }
  if (!list.children.length) list.append(el("li", { class: "empty" }, "nothing visible changed"));
  box.replaceChildren(el("div", { class: "label" }, `step ${page.path.length}: ${page.view.last_action}`), list);
}

function panelTitle(id) {
  const panel = page.view.panels.find((p) => p.id === id);
  return panel ? panel.title : id;
}

function panelStatus(fullKey) {
  const panel = page.view.panels.find((p) => `${p.id}/` === fullKey);
  return panel && panel.status ? panel.status : "up";
}

// "node-1/durable.promised" -> ["server 1", "durable.promised"] (the panel's title, the row key)
function rowName(fullKey) {
  const cut = fullKey.indexOf("/");
  return [panelTitle(fullKey.slice(0, cut)), fullKey.slice(cut + 1)];
}

function rowText(fullKey) {
  for (const panel of page.view.panels) {
    for (const row of panel.rows) {
      if (`${panel.id}/${row.key}` === fullKey) return row.text;
    }
  }
  return "";
}

function renderProperties() {
  const body = $("properties").tBodies[0];
  const whys = [];
  body.replaceChildren(...page.view.properties.map((p) => {
    const bad = !p.holds && p.kind !== "sometimes";
    const cls = bad ? "violated" : "";
    if (p.why) whys.push(renderWhy(p));
    return el("tr", { class: cls, dataset: { property: p.name } },
      el("td", { title: p.description }, p.name),
      el("td", { class: "kind" }, p.kind),
      el("td", { class: "status" + (bad ? "" : p.holds ? " ok" : "") }, p.status));
  }));
  $("why").replaceChildren(...whys);
}

function renderWhy(p) {
  const box = el("div", { class: "why", dataset: { property: p.name } },
    el("h3", {}, `why '${p.name}' is false here`));
  const lines = el("ul");
  for (const line of p.why.lines) lines.append(el("li", {}, line));
  box.append(lines);
  for (const part of p.why.parts) {
    box.append(el("div", { class: "group" }, part.title));
    const rows = el("ul");
    for (const row of part.rows) rows.append(el("li", {}, row));
    box.append(rows);
  }
  return box;
}

function renderPanels() {
  const diff = page.view.diff || { changed: [], added: [], removed: [] };
  const changed = new Set(diff.changed);
  const added = new Set(diff.added);
  const cards = page.view.panels.map((panel) => {
    const title = el("h3", {}, panel.title);
    if (panel.status) title.append(el("span", { class: "badge" }, panel.status));
    const card = el("div", { class: "panel", id: `panel-${panel.id}`, dataset: { panel: panel.id } }, title);
    if (["network", "history", "state"].includes(panel.id)) card.classList.add("wide");
    if (changed.has(`${panel.id}/`)) card.classList.add("status-changed");
    let group = null;
    for (const row of panel.rows) {
      if (row.group && row.group !== group) card.append(el("div", { class: "group" }, row.group));
      group = row.group;
      const key = `${panel.id}/${row.key}`;
      const shown = row.group && row.key.startsWith(row.group + ".") ? row.key.slice(row.group.length + 1) : row.key;
      const line = el("div", { class: "prow", dataset: { key } },
        el("span", { class: "k" }, row.key === row.text ? "·" : shown), el("span", { class: "v" }, row.text));
      if (changed.has(key)) line.classList.add("changed");
      if (added.has(key)) line.classList.add("added");
      card.append(line);
    }
    if (!panel.rows.length) card.append(el("div", { class: "empty" }, "(none)"));
    return card;
  });
  $("panels").replaceChildren(...cards);
}

// -- moving ------------------------------------------------------------------------------

function takeAction(label) {
  const next = page.path.concat([label]);
  if (page.tape[page.path.length] !== label) page.tape = next.slice(); // branch off
  page.selected = 0;
  go(next);
}

function step(delta) {
  const k = page.path.length + delta;
  if (k < 0 || k > page.tape.length) return;
  go(page.tape.slice(0, k));
}

function onKey(event) {
  if (event.target instanceof HTMLInputElement || event.altKey || event.ctrlKey || event.metaKey) return;
  if (!page.view) return;
  const actions = page.view.actions;
  const key = event.key;
  if (key === "ArrowRight" || key === "l") step(1);
  else if (key === "ArrowLeft" || key === "h") step(-1);
  else if (key === "Home") go(page.tape.slice(0, 0));
  else if (key === "End") go(page.tape.slice());
  else if (/^[1-9]$/.test(key) && Number(key) <= actions.length) takeAction(actions[Number(key) - 1].label);
  else if (key === "j" && actions.length) { page.selected = (page.selected + 1) % actions.length; renderActions(); }
  else if (key === "k" && actions.length) { page.selected = (page.selected + actions.length - 1) % actions.length; renderActions(); }
  else if (key === "Enter" && actions[page.selected]) takeAction(actions[page.selected].label);
  else return;
  event.preventDefault();
}

async function openTraceFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  try {
    const text = await file.text();
    const name = file.name.replace(/[^\x20-\x7e]/g, "_");
    const answer = await fetchJson("/api/traces", {
      method: "POST", body: text, headers: { "Content-Type": "application/json", "X-Trace-Name": name },
    });
    page.info = null;
    page.tape = [];
    history.pushState(null, "", answer.url);
    load();
  } catch (err) {
    showError(err.message);
    document.body.dataset.ready = "error";
  } finally {
    event.target.value = "";
  }
}

function init() {
  $("first").addEventListener("click", () => go(page.tape.slice(0, 0)));
  $("prev").addEventListener("click", () => step(-1));
  $("next").addEventListener("click", () => step(1));
  $("last").addEventListener("click", () => go(page.tape.slice()));
  $("back-to-trace").addEventListener("click", () => {
    const trace = page.info.trace.actions;
    let k = 0;
    while (k < page.path.length && page.path[k] === trace[k]) k++;
    page.tape = trace.slice();
    go(trace.slice(0, k));
  });
  $("permalink").addEventListener("click", (event) => {
    event.preventDefault();
    const link = $("permalink");
    const done = () => { link.textContent = "link copied"; setTimeout(() => { link.textContent = "link to this state"; }, 1500); };
    if (navigator.clipboard) navigator.clipboard.writeText(location.href).then(done, () => {});
  });
  $("trace-file").addEventListener("change", openTraceFile);
  document.addEventListener("keydown", onKey);
  window.addEventListener("popstate", load);
  load();
}

document.addEventListener("DOMContentLoaded", init);
