// The sandbox page: a Slack channel rendered from the emulator's test API (/_emulator/),
// updated live through its long-poll `changes` route, and the fault panel (/_sandbox/).
"use strict";

const state = {
  user: "UALICE",
  channel: "#incidents",
  version: 0,
  thread: null,          // ts of the open thread
  home: false,
  dismissed: new Set(),  // modal view ids the person closed
  users: {},
};

const EMOJI = {
  white_check_mark: "✅", hourglass: "⏳", hourglass_flowing_sand: "⏳", x: "❌",
  warning: "⚠️", rotating_light: "🚨", fire: "🔥", arrows_counterclockwise: "🔄",
  no_entry: "⛔", no_entry_sign: "🚫", zzz: "💤", large_green_circle: "🟢",
  large_yellow_circle: "🟡", red_circle: "🔴", white_circle: "⚪", bell: "🔔",
  calendar: "📅", stopwatch: "⏱️", heavy_check_mark: "✔️", information_source: "ℹ️",
  construction: "🚧", double_vertical_bar: "⏸️", fast_forward: "⏩", mag: "🔍",
  eyes: "👀", wave: "👋", repeat: "🔁", shield: "🛡️", satellite: "🛰️", rocket: "🚀",
  black_square_for_stop: "⏹️", arrow_forward: "▶️", skull: "💀", test_tube: "🧪",
  chart_with_upwards_trend: "📈", memo: "📝", bar_chart: "📊", ok: "🆗", clipboard: "📋",
};

const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body),
  };
  const answer = await fetch(path, options);
  return answer.json();
}

const q = (params) => new URLSearchParams(params).toString();

// ------------------------------------------------------------------ mrkdwn

function escapeHtml(text) {
  return String(text).replace(/&(?!(amp|lt|gt);)/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function mrkdwn(text) {
  // Slack escapes &, < and > in text; links and mentions arrive as <...>.
  let html = String(text || "")
    .replace(/<@([UW][A-Z0-9]+)>/g, (_, id) => `\u0001@${state.users[id] || id}\u0002`)
    .replace(/<!(here|channel|everyone)>/g, "\u0001@$1\u0002")
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, "\u0003$1\u0004$2\u0005")
    .replace(/<(https?:[^>]+)>/g, "\u0003$1\u0004$1\u0005");
  html = escapeHtml(html)
    .replace(/```([\s\S]*?)```/g, "<pre>$1</pre>")
    .replace(/`([^`\n]+)`/g, "<code>$1</code>")
    .replace(/(^|[\s(>])\*([^*\n]+)\*/g, "$1<b>$2</b>")
    .replace(/(^|[\s(>])_([^_\n]+)_/g, "$1<i>$2</i>")
    .replace(/(^|[\s(>])~([^~\n]+)~/g, "$1<s>$2</s>")
    .replace(/:([a-z0-9_+-]+):/g, (m, name) => EMOJI[name] || m)
    .replace(/\u0001(.*?)\u0002/g, '<span class="mention">$1</span>')
    .replace(/\u0003(.*?)\u0004(.*?)\u0005/g, '<a href="$1" target="_blank" rel="noopener">$2</a>')
    .replace(/^&gt; ?(.*)$/gm, "<blockquote>$1</blockquote>")
    .replace(/\n/g, "<br>");
  return html;
}

function textOf(obj) {
  if (!obj) return "";
  return obj.type === "mrkdwn" ? mrkdwn(obj.text) : escapeHtml(obj.text).replace(/:([a-z0-9_+-]+):/g, (m, n) => EMOJI[n] || m);
}

function el(tag, cls, html) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

// ------------------------------------------------------------------ Block Kit

function renderBlocks(blocks, where) {
  const box = el("div", "blocks");
  for (const block of blocks || []) {
    const node = renderBlock(block, where);
    if (node) box.appendChild(node);
  }
  return box;
}

function renderBlock(block, where) {
  switch (block.type) {
    case "header":
      return el("div", "bk-header", textOf(block.text));
    case "divider":
      return el("hr", "bk-divider");
    case "section": {
      const node = el("div", "bk-section");
      const body = el("div", "bk-section-body");
      if (block.text) body.appendChild(el("div", "bk-text", textOf(block.text)));
      if (block.fields) {
        const fields = el("div", "bk-fields");
        for (const field of block.fields) fields.appendChild(el("div", "bk-field", textOf(field)));
        body.appendChild(fields);
      }
      node.appendChild(body);
      if (block.accessory) {
        const accessory = renderElement(block.accessory, block, where);
        if (accessory) node.appendChild(accessory);
      }
      return node;
    }
    case "context": {
      const node = el("div", "bk-context");
      for (const item of block.elements || []) {
        if (item.type === "image") {
          const img = el("img");
          img.src = item.image_url; img.alt = item.alt_text || "";
          node.appendChild(img);
        } else node.appendChild(el("span", "", textOf(item)));
      }
      return node;
    }
    case "actions": {
      const node = el("div", "bk-actions");
      for (const item of block.elements || []) {
        const rendered = renderElement(item, block, where);
        if (rendered) node.appendChild(rendered);
      }
      return node;
    }
    case "input": {
      const node = el("div", "bk-input");
      node.appendChild(el("label", "", textOf(block.label)));
      const element = block.element || {};
      const input = element.multiline ? el("textarea") : el("input");
      input.dataset.blockId = block.block_id || "";
      input.dataset.actionId = element.action_id || "";
      input.className = "bk-text-input";
      if (element.placeholder) input.placeholder = element.placeholder.text;
      if (element.initial_value) input.value = element.initial_value;
      node.appendChild(input);
      if (block.hint) node.appendChild(el("div", "bk-hint", textOf(block.hint)));
      const error = where.errors && where.errors[block.block_id];
      if (error) node.appendChild(el("div", "bk-error", escapeHtml(error)));
      return node;
    }
    case "image": {
      const img = el("img", "bk-image");
      img.src = block.image_url; img.alt = block.alt_text || "";
      return img;
    }
    case "rich_text":
      return el("div", "bk-text", escapeHtml(JSON.stringify(block.elements)));
    default:
      return el("div", "bk-unknown", escapeHtml(`[${block.type}]`));
  }
}

function renderElement(item, block, where) {
  if (item.type === "button") {
    const button = el("button", `bk-button ${item.style || ""}`, textOf(item.text));
    button.dataset.actionId = item.action_id;
    button.onclick = () => {
      const act = () => click(item, block, where);
      if (item.confirm) showConfirm(item.confirm, act); else act();
    };
    return button;
  }
  if (item.type === "static_select" || item.type === "overflow") {
    const select = el("select", "bk-select");
    select.appendChild(el("option", "", textOf(item.placeholder) || "…"));
    for (const option of item.options || []) {
      const node = el("option", "", textOf(option.text));
      node.value = option.value;
      select.appendChild(node);
    }
    select.onchange = () => click({...item, value: select.value}, block, where);
    return select;
  }
  if (item.type === "image") {
    const img = el("img", "bk-accessory-image");
    img.src = item.image_url; img.alt = item.alt_text || "";
    return img;
  }
  return null;
}

async function click(item, block, where) {
  const body = {action_id: item.action_id, user: state.user, block_id: block.block_id};
  if (item.value !== undefined) body.value = item.value;
  if (where.view_id) body.view_id = where.view_id; else body.message_ts = where.ts;
  await api("/_emulator/click", body);
  refresh();
}

// ------------------------------------------------------------------ dialogs and modals

function showConfirm(confirm, onConfirm) {
  const dialog = $("dialog");
  dialog.innerHTML = "";
  dialog.className = "confirm";
  dialog.appendChild(el("h3", "", textOf(confirm.title)));
  dialog.appendChild(el("div", "dialog-text", textOf(confirm.text)));
  const buttons = el("div", "dialog-buttons");
  const deny = el("button", "bk-button", textOf(confirm.deny));
  const ok = el("button", `bk-button ${confirm.style || "primary"}`, textOf(confirm.confirm));
  ok.dataset.testid = "confirm";
  deny.onclick = () => { $("overlay").hidden = true; };
  ok.onclick = () => { $("overlay").hidden = true; onConfirm(); };
  buttons.append(deny, ok);
  dialog.appendChild(buttons);
  $("overlay").hidden = false;
}

let shownModal = null;

function showModal(view) {
  const key = `${view.id}:${view.hash}:${JSON.stringify(view.errors || {})}`;
  if (shownModal === key && !$("overlay").hidden) return;
  shownModal = key;
  const body = view.body;
  const dialog = $("dialog");
  dialog.innerHTML = "";
  dialog.className = "modal";
  dialog.dataset.viewId = view.id;
  const head = el("div", "modal-head");
  head.appendChild(el("h3", "", textOf(body.title)));
  const close = el("button", "modal-x", "✕");
  close.onclick = () => { state.dismissed.add(view.id); $("overlay").hidden = true; };
  head.appendChild(close);
  dialog.appendChild(head);
  dialog.appendChild(renderBlocks(body.blocks, {view_id: view.id, errors: view.errors}));
  const buttons = el("div", "dialog-buttons");
  const cancel = el("button", "bk-button", textOf(body.close) || "Cancel");
  cancel.onclick = close.onclick;
  buttons.appendChild(cancel);
  if (body.submit) {
    const submit = el("button", "bk-button primary", textOf(body.submit));
    submit.dataset.testid = "modal-submit";
    submit.onclick = async () => {
      const values = {};
      for (const input of dialog.querySelectorAll(".bk-text-input")) {
        values[input.dataset.blockId] = {[input.dataset.actionId]: input.value};
      }
      shownModal = null;
      $("overlay").hidden = true;
      await api("/_emulator/submit_view", {user: state.user, view_id: view.id, values});
      refresh();
    };
    buttons.appendChild(submit);
  }
  dialog.appendChild(buttons);
  $("overlay").hidden = false;
  const first = dialog.querySelector(".bk-text-input");
  if (first) first.focus();
}

// ------------------------------------------------------------------ messages

function author(message) {
  if (message.bot_id) return "CloudPhoenix";
  return state.users[message.user] || message.user || "Slackbot";
}

function renderMessage(message, {inThread = false} = {}) {
  const node = el("div", "message");
  node.dataset.ts = message.ts;
  if (message.ephemeral) node.classList.add("ephemeral");
  const avatar = el("div", "avatar", message.bot_id ? "🔥" : (author(message)[0] || "?").toUpperCase());
  const body = el("div", "message-body");
  const head = el("div", "message-head");
  head.appendChild(el("span", "author", escapeHtml(author(message))));
  if (message.bot_id) head.appendChild(el("span", "app-tag", "APP"));
  const when = new Date(parseFloat(message.ts) * 1000);
  head.appendChild(el("span", "time", when.toLocaleTimeString()));
  if (message.edit_count) head.appendChild(el("span", "edited", "(edited)"));
  body.appendChild(head);
  if (message.ephemeral) body.appendChild(el("div", "only-you", "👁 Only visible to you"));
  if (message.blocks && message.blocks.length) {
    body.appendChild(renderBlocks(message.blocks, {ts: message.ts}));
  } else if (message.text) {
    body.appendChild(el("div", "bk-text", mrkdwn(message.text)));
  }
  for (const file of message.files || []) body.appendChild(renderFile(file));
  if (!inThread && message.reply_count) {
    const link = el("a", "replies", `💬 ${message.reply_count} ${message.reply_count === 1 ? "reply" : "replies"}`);
    link.href = "#";
    link.dataset.testid = "replies";
    link.onclick = (event) => { event.preventDefault(); openThread(message.ts); };
    body.appendChild(link);
  }
  node.append(avatar, body);
  return node;
}

// A shared file: an image shows inline at Slack's preview width, anything else as its name.
function renderFile(file) {
  const box = el("div", "file");
  box.dataset.fileId = file.id;
  box.appendChild(el("div", "file-title", escapeHtml(file.title || file.name)));
  if ((file.mimetype || "").startsWith("image/")) {
    const img = el("img", "file-image");
    img.src = `/_emulator/file?${q({id: file.id})}`;
    img.alt = file.alt_txt || file.title || file.name;
    img.dataset.testid = "file-image";
    img.onclick = () => window.open(img.src, "_blank");
    box.appendChild(img);
  } else {
    box.appendChild(el("div", "small", `${escapeHtml(file.name)} · ${file.size} bytes`));
  }
  return box;
}

function sameList(box, key) {
  if (box.dataset.key === key) return true;
  box.dataset.key = key;
  return false;
}

async function renderChannel() {
  const [messages, ephemeral] = await Promise.all([
    api(`/_emulator/messages?${q({channel: state.channel})}`),
    api(`/_emulator/ephemeral?${q({user: state.user, channel: state.channel})}`),
  ]);
  const top = (Array.isArray(ephemeral) ? ephemeral : [])
    .filter((e) => !e.thread_ts && !e.deleted)
    .map((e) => ({...e, ephemeral: true}));
  const all = [...(Array.isArray(messages) ? messages : []), ...top]
    .sort((a, b) => parseFloat(a.ts) - parseFloat(b.ts));
  const box = $("messages");
  if (sameList(box, JSON.stringify(all))) return;
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.innerHTML = "";
  if (!all.length) box.appendChild(el("div", "empty", "No messages yet. Type <code>/phoenix status</code>, or break something in the fault panel."));
  for (const message of all) box.appendChild(renderMessage(message));
  if (atBottom) box.scrollTop = box.scrollHeight;
}

async function renderThread() {
  if (!state.thread) return;
  const thread = await api(`/_emulator/messages?${q({channel: state.channel, thread_ts: state.thread})}`);
  const box = $("thread-messages");
  if (!Array.isArray(thread) || sameList(box, JSON.stringify(thread))) return;
  box.innerHTML = "";
  thread.forEach((message, index) => {
    box.appendChild(renderMessage(message, {inThread: true}));
    if (index === 0 && thread.length > 1) {
      box.appendChild(el("div", "thread-count", `${thread.length - 1} ${thread.length === 2 ? "reply" : "replies"}`));
    }
  });
  box.scrollTop = box.scrollHeight;
}

function openThread(ts) {
  state.thread = ts;
  $("thread").hidden = false;
  $("thread-messages").dataset.key = "";
  renderThread();
}

async function renderViews() {
  const views = await api(`/_emulator/views?${q({user: state.user})}`);
  const modals = (views.modals || []).filter((v) => !state.dismissed.has(v.id));
  const overlay = $("overlay");
  if (modals.length) showModal(modals[modals.length - 1]);
  else if (!overlay.hidden && $("dialog").className === "modal") overlay.hidden = true;
  if (state.home) {
    const box = $("home");
    const home = views.home;
    if (sameList(box, JSON.stringify(home))) return;
    box.innerHTML = "";
    if (home) box.appendChild(renderBlocks(home.body.blocks, {view_id: home.id}));
    else box.appendChild(el("div", "empty", "Opening the App Home…"));
  }
}

let refreshing = null;

async function refresh() {
  if (refreshing) return refreshing;
  refreshing = (async () => {
    try {
      if (!state.home) await renderChannel();
      await Promise.all([renderThread(), renderViews()]);
    } catch (error) {
      console.error(error);
    }
  })();
  try { await refreshing; } finally { refreshing = null; }
}

async function follow() {
  // Long-poll the emulator: every change (a post, an edit, a modal) wakes it.
  for (;;) {
    try {
      const answer = await api(`/_emulator/changes?${q({since: state.version, timeout: 20})}`);
      $("live").classList.remove("off");
      if (answer.version !== state.version) {
        state.version = answer.version;
        await refresh();
      }
    } catch (error) {
      $("live").classList.add("off");
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

// ------------------------------------------------------------------ the panel

const LEVELS = ["0 · all clear", "1 · self-healing", "2 · region failover", "3 · DR to Azure"];
const FAULT_BUTTONS = [
  ["service-a-down", "Take Service A down"],
  ["service-b-down", "Take Service B down"],
  ["service-b-slow", "Slow Service B"],
  ["replication-lag", "Raise replication lag (420 s)"],
  ["eks-nodes-not-ready", "EKS nodes NotReady"],
  ["partition", "Cut the observer off from AWS"],
  ["regional-outage", "Regional outage (AWS)"],
  ["dr-endpoint-disabled", "Disable the DR endpoint"],
  ["dr-image-missing", "Image missing on the DR side"],
  ["geo-link-broken", "Break the Azure SQL geo-link"],
  ["blob-behind", "Blob falling behind"],
  ["restore", "Restore everything"],
];

function renderFaults() {
  const box = $("faults");
  for (const [name, label] of FAULT_BUTTONS) {
    const button = el("button", `fault ${name === "restore" ? "restore" : ""}`, escapeHtml(label));
    button.dataset.fault = name;
    button.onclick = async () => {
      button.disabled = true;
      try { await api("/_sandbox/fault", {fault: name}); } finally { button.disabled = false; }
      refreshWorld();
    };
    box.appendChild(button);
  }
}

async function refreshWorld() {
  try {
    const world = await api("/_sandbox/world");
    const score = world.score;
    $("score").innerHTML = score
      ? `<div class="score-big level-${score.level}">${score.total}</div>` +
        `<div>level ${escapeHtml(LEVELS[score.level] || score.level)}</div>` +
        `<div class="small">${escapeHtml(score.reason)}</div>`
      : "waiting for the first evaluation…";
    renderReadiness(world.readiness);
    const f = world.faults;
    const services = world.services || {};
    const rows = [
      ["serving users", world.serving === "azure" ? "Azure (DR)" : world.serving === "aws" ? "AWS (primary)" : "nobody"],
      ["Service A", services["service-a"] ? "healthy" : "failing"],
      ["Service B", services["service-b"] ? "healthy" : "failing"],
      ["AWS region", f.aws_outage ? "OUTAGE" : "up"],
      ["observer → AWS", f.partition ? "PARTITIONED" : "connected"],
      ["replica lag", `${world.replica.lag_seconds}s${world.replica.promoted ? " (promoted)" : ""}`],
      ["EKS nodes", `${world.eks.nodes_ready}/${world.eks.nodes} Ready`],
      ["EKS pods", Object.entries(world.eks.deployments).map(([k, v]) => `${k} ${v}`).join(", ")],
      ["AKS pods", Object.entries(world.aks.deployments).map(([k, v]) => `${k} ${v}`).join(", ")],
      ["Azure SQL", `${world.sql.sku} · ${world.sql.role}`],
      ["S3 / Blob objects", `${world.objects.s3} / ${world.objects.blob}`],
      ["Traffic Manager", world.traffic.map((e) => `${e.name} p${e.priority}${e.enabled ? "" : " (off)"}`).join(", ")],
    ];
    $("world").innerHTML = "<table>" + rows.map(([k, v]) =>
      `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join("") + "</table>";
    if (!$("scenarios").dataset.filled) {
      $("scenarios").dataset.filled = "1";
      $("scenarios").innerHTML = "<p>Headless: <code>phoenix sandbox --scenario NAME --headless</code></p><ul>" +
        Object.entries(world.scenarios).map(([n, s]) => `<li><code>${escapeHtml(n)}</code> ${escapeHtml(s)}</li>`).join("") + "</ul>";
    }
  } catch (error) {
    console.error(error);
  }
}

const VERDICTS = {ready: "✅", not_ready: "❌", unknown: "❔"};

function estimate(e) {
  if (!e || e.seconds === null) return "not known";
  const spelled = e.seconds >= 60 ? `${Math.round(e.seconds / 60)}m` : `${Math.round(e.seconds)}s`;
  return e.complete ? `≈ ${spelled}` : `at least ${spelled}`;
}

function renderReadiness(readiness) {
  if (!readiness) return;
  const rows = readiness.checks.map((c) =>
    `<tr class="verdict-${c.verdict}" data-check="${escapeHtml(c.name)}"><th>${VERDICTS[c.verdict] || "?"} ` +
    `${escapeHtml(c.name)}</th><td class="small">${escapeHtml(c.reason)}</td></tr>`).join("");
  $("readiness").innerHTML =
    `<div><b>${readiness.ready} of ${readiness.total} ready</b> (plan ${escapeHtml(readiness.plan)})</div>` +
    `<div class="small">If we failed over now: RTO ${escapeHtml(estimate(readiness.rto))}, ` +
    `RPO ${escapeHtml(estimate(readiness.rpo))}</div><table>${rows}</table>`;
}

// ------------------------------------------------------------------ wiring

async function start() {
  const directory = await api("/_emulator/state");
  for (const user of directory.users || []) state.users[user.id] = user.name;
  $("user").onchange = () => {
    state.user = $("user").value;
    state.dismissed.clear();
    $("messages").dataset.key = "";
    $("home").dataset.key = "";
    if (state.home) api("/_emulator/app_home", {user: state.user});
    refresh();
  };
  for (const item of document.querySelectorAll("#channels li")) {
    item.onclick = () => {
      document.querySelectorAll("#channels li, #home-link").forEach((n) => n.classList.remove("active"));
      item.classList.add("active");
      state.channel = item.dataset.channel;
      state.home = false;
      state.thread = null;
      $("thread").hidden = true;
      $("home").hidden = true;
      $("messages").hidden = false;
      $("composer").hidden = false;
      $("channel-name").textContent = state.channel.replace("#", "# ");
      $("messages").dataset.key = "";
      refresh();
    };
  }
  $("home-link").onclick = async () => {
    document.querySelectorAll("#channels li").forEach((n) => n.classList.remove("active"));
    $("home-link").classList.add("active");
    state.home = true;
    $("messages").hidden = true;
    $("composer").hidden = true;
    $("home").hidden = false;
    $("home").dataset.key = "";
    $("channel-name").textContent = "CloudPhoenix · Home";
    await api("/_emulator/app_home", {user: state.user});
    refresh();
  };
  $("close-thread").onclick = () => { state.thread = null; $("thread").hidden = true; };
  $("composer").onsubmit = async (event) => {
    event.preventDefault();
    const raw = $("command").value.trim();
    if (!raw) return;
    const match = raw.match(/^(\/\S+)\s*(.*)$/);
    if (!match) { alert("Type a slash command, e.g. /phoenix status"); return; }
    $("command").value = "";
    await api("/_emulator/slash_command", {command: match[1], text: match[2], user: state.user, channel: state.channel});
    refresh();
  };
  renderFaults();
  refreshWorld();
  setInterval(refreshWorld, 2000);
  await refresh();
  follow();
}

start();
