// Backdrop editor page: plain JS, no build step. Talks to backdrop/agent/web/server.py.
"use strict";

const $ = (id) => document.getElementById(id);
const token = new URLSearchParams(location.search).get("token");

const ui = {
  video: null,          // {path, width, height, fps, duration, summary}
  cursor: 0,            // seconds: the frame being looked at
  live: true,           // follow processing (streamed frames) instead of the cursor
  playing: false,
  picking: false,
  timeline: null,       // last "timeline" message
  progress: 0,
  done: false,
  scrub: { busy: false, next: null, times: [], server: [] },
  frameUrl: null,
  maxUpload: 0,
  takes: null,          // last "takes" message: the takes open together, or null
  takeSaid: false,      // the comparison has been said in the conversation
};
window.backdrop = ui; // for tests and curious people

// -- server calls ---------------------------------------------------------------------------
async function api(path, opts = {}) {
  const headers = new Headers(opts.headers || {});
  if (token) headers.set("X-Backdrop-Token", token);
  if (opts.json !== undefined) {
    headers.set("Content-Type", "application/json");
    opts = { ...opts, body: JSON.stringify(opts.json) };
  }
  const resp = await fetch(path, { ...opts, headers });
  if (!resp.ok) {
    let detail = resp.statusText;
    try { detail = (await resp.json()).detail || detail; } catch (_) { /* not JSON */ }
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    throw new Error(`${detail} (${resp.status})`);
  }
  return resp;
}

function fail(err) { addMsg("error", String(err.message || err)); }

// -- time -----------------------------------------------------------------------------------
function clock(s) {
  s = Math.max(0, s || 0);
  const m = Math.floor(s / 60);
  const r = s - m * 60;
  return `${m}:${r.toFixed(1).padStart(4, "0")}`;
}

function setStatus() {
  const v = ui.video;
  if (!v) { $("status").textContent = "No video open"; return; }
  if (v.camera) { $("status").textContent = `Camera — ${v.width}×${v.height} at ${v.fps} fps, live`; return; }
  const pct = v.duration ? Math.round((100 * ui.progress) / v.duration) : 0;
  const where = ui.done ? "processed" : `processing ${pct}%`;
  const take = v.take ? `take ${v.take}: ` : "";
  $("status").textContent = `${take}${v.path} — ${v.width}×${v.height}, ${clock(v.duration)} · ${where}`;
}

function setClock() {
  const d = ui.video ? ui.video.duration : 0;
  $("clock").textContent = `${clock(ui.cursor)} / ${clock(d)}`;
}

// -- the frame ------------------------------------------------------------------------------
function showFrame(src, isObjectUrl) {
  const img = $("frame");
  if (ui.frameUrl) URL.revokeObjectURL(ui.frameUrl);
  ui.frameUrl = isObjectUrl ? src : null;
  img.src = src;
  $("empty").hidden = true;
  return img.decode().catch(() => {});
}

async function fetchPreview(t) {
  const started = performance.now();
  const resp = await api(`/api/preview?t=${t.toFixed(3)}`);
  const server = parseFloat(resp.headers.get("X-Preview-Ms") || "0");
  const blob = await resp.blob();
  await showFrame(URL.createObjectURL(blob), true);
  const ms = performance.now() - started;
  ui.scrub.times.push(ms);
  ui.scrub.server.push(server);
  $("latency").textContent = `frame in ${Math.round(ms)} ms (server ${Math.round(server)} ms)`;
}

// Scrubbing: one request in flight; while it runs only the latest wanted time is kept.
function scrubTo(t, { follow = false } = {}) {
  if (!ui.video) return;
  ui.cursor = Math.min(Math.max(0, t), ui.video.duration);
  if (!follow) setLive(false);
  setClock();
  drawTimeline();
  ui.scrub.next = ui.cursor;
  pumpScrub();
}

async function pumpScrub() {
  if (ui.scrub.busy) return;
  ui.scrub.busy = true;
  try {
    while (ui.scrub.next !== null) {
      const t = ui.scrub.next;
      ui.scrub.next = null;
      await fetchPreview(t);
    }
  } catch (err) {
    fail(err);
  } finally {
    ui.scrub.busy = false;
  }
}

function setLive(on) {
  ui.live = on;
  $("live").classList.toggle("on", on);
  if (on) stopPlaying();
}

// Play: step through the edited preview one micro-turn (0.2 s) at a time.
async function play() {
  if (!ui.video) return;
  if (ui.playing) { stopPlaying(); return; }
  setLive(false);
  ui.playing = true;
  $("play").textContent = "❚❚ Pause";
  if (ui.cursor >= ui.video.duration - 0.05) ui.cursor = 0;
  while (ui.playing && ui.cursor < ui.video.duration - 0.01) {
    const t0 = performance.now();
    try { await fetchPreview(ui.cursor); } catch (err) { fail(err); break; }
    setClock();
    drawTimeline();
    const wait = 200 - (performance.now() - t0);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    ui.cursor = Math.min(ui.video.duration, ui.cursor + 0.2);
  }
  stopPlaying();
}

function stopPlaying() {
  ui.playing = false;
  $("play").textContent = "▶ Play";
}

// -- timeline -------------------------------------------------------------------------------
const TL = { gutter: 78, right: 10, rulerH: 18, rows: { bg: [24, 52], keep: [58, 76], ev: [84, 110], done: [118, 126] } };

function tToX(t, w) {
  const d = ui.video ? ui.video.duration : 1;
  return TL.gutter + (Math.min(Math.max(t, 0), d) / d) * (w - TL.gutter - TL.right);
}

function xToT(x, w) {
  const d = ui.video ? ui.video.duration : 0;
  return Math.min(Math.max((x - TL.gutter) / (w - TL.gutter - TL.right), 0), 1) * d;
}

function drawTimeline() {
  const canvas = $("timeline");
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth;
  const h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr)) { canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr); }
  const g = canvas.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.font = "11px system-ui, sans-serif";
  g.textBaseline = "middle";
  const labels = [["background", TL.rows.bg], ["keep", TL.rows.keep], ["events", TL.rows.ev], ["processed", TL.rows.done]];
  g.fillStyle = "#9aa3b2";
  for (const [name, [a, b]] of labels) g.fillText(name, 8, (a + b) / 2);
  if (!ui.video || ui.video.camera) return; // Camera mode has no timeline
  const d = ui.video.duration;
  const x0 = tToX(0, w);
  const x1 = tToX(d, w);
  // ruler
  g.strokeStyle = "#2a2f3a";
  g.fillStyle = "#9aa3b2";
  const step = [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300].find((s) => ((x1 - x0) / d) * s > 60) || 600;
  for (let t = 0; t <= d + 1e-6; t += step) {
    const x = tToX(t, w);
    g.beginPath(); g.moveTo(x, 12); g.lineTo(x, h - 4); g.stroke();
    if (x < x1 - 30) g.fillText(clock(t).replace(/\.0$/, ""), x + 3, 8);
  }
  // row backgrounds
  g.fillStyle = "#1d212a";
  for (const [, [a, b]] of labels) g.fillRect(x0, a, x1 - x0, b - a);
  const tl = ui.timeline;
  if (tl) {
    // background segments, with fades drawn as ramps of their height
    for (const seg of tl.backgrounds) {
      const a = tToX(seg.t0, w);
      const b = Math.max(tToX(seg.t1, w), a + 2);
      const [top, bottom] = TL.rows.bg;
      const grad = g.createLinearGradient(a, 0, b, 0);
      seg.colors.forEach((c, i) => grad.addColorStop(seg.colors.length > 1 ? i / (seg.colors.length - 1) : 0, c));
      if (seg.colors.length === 1) grad.addColorStop(1, seg.colors[0]);
      const fi = seg.fade_in ? tToX(seg.t0 + seg.fade_in, w) - a : 0;
      const fo = seg.fade_out ? b - tToX(seg.t1 - seg.fade_out, w) : 0;
      const hTop = top + (bottom - top) * (1 - seg.opacity);
      g.globalAlpha = 0.95;
      g.fillStyle = grad;
      g.beginPath();
      g.moveTo(a, bottom);
      g.lineTo(a + fi, hTop);
      g.lineTo(b - fo, hTop);
      g.lineTo(b, bottom);
      g.closePath();
      g.fill();
      g.globalAlpha = 1;
      g.fillStyle = "#ffffff";
      g.save(); g.beginPath(); g.rect(a, top, b - a, bottom - top); g.clip();
      g.fillText(seg.label.replace("background → ", "").replace("background ", ""), a + Math.max(4, fi + 2), (top + bottom) / 2 + 2);
      g.restore();
    }
    // keep rules
    for (const k of tl.keep) {
      const a = tToX(k.t0, w);
      const b = Math.max(tToX(k.t1, w), a + 2);
      const [top, bottom] = TL.rows.keep;
      g.fillStyle = k.action === "keep" ? "#15803d" : "#9f1239";
      g.fillRect(a, top + 1, b - a, bottom - top - 2);
      g.fillStyle = "#ffffff";
      g.save(); g.beginPath(); g.rect(a, top, b - a, bottom - top); g.clip();
      g.fillText(k.label, a + 4, (top + bottom) / 2);
      g.restore();
    }
    // events: speakers as bars, lighting as diamonds, cuts as lines across every row
    const [et, eb] = TL.rows.ev;
    const speakerColor = {};
    const palette = ["#38bdf8", "#a78bfa", "#f472b6", "#34d399", "#fbbf24"];
    for (const e of tl.events) {
      if (e.type === "speaker") {
        if (!(e.speaker in speakerColor)) speakerColor[e.speaker] = palette[Object.keys(speakerColor).length % palette.length];
        g.fillStyle = speakerColor[e.speaker];
        const a = tToX(e.t0, w);
        const bw = Math.max(tToX(e.t1, w) - a, 2);
        g.fillRect(a, eb - 8, bw, 6);
        if (bw > 24) g.fillText(e.speaker, a + 2, eb - 15);
      } else if (e.type === "people") {
        g.fillStyle = "#e879f9";
        const a = tToX(e.t0, w);
        g.fillRect(a, et + 2, Math.max(tToX(e.t1, w) - a, 2), 4);
      }
    }
    for (const e of tl.events) {
      const x = tToX(e.t0, w);
      if (e.type === "lighting") {
        g.fillStyle = "#f59e0b";
        g.beginPath(); g.moveTo(x, et + 6); g.lineTo(x + 5, et + 12); g.lineTo(x, et + 18); g.lineTo(x - 5, et + 12); g.closePath(); g.fill();
      } else if (e.type === "cut") {
        g.strokeStyle = "#ef4444"; g.lineWidth = 2;
        g.beginPath(); g.moveTo(x, TL.rows.bg[0] - 4); g.lineTo(x, eb); g.stroke();
        g.lineWidth = 1;
        g.fillStyle = "#ef4444";
        g.beginPath(); g.moveTo(x - 5, et); g.lineTo(x + 5, et); g.lineTo(x, et + 7); g.closePath(); g.fill();
      }
    }
    // processed so far
    const [pt, pb] = TL.rows.done;
    g.fillStyle = ui.done ? "#3b82f6" : "#4b5563";
    g.fillRect(x0, pt, tToX(tl.processed_until, w) - x0, pb - pt);
    // refined behind the preview (the quality tier), for the current plan
    g.fillStyle = "#22c55e";
    for (const [r0, r1] of tl.refined || []) {
      const a = tToX(r0, w);
      g.fillRect(a, pt - 2, Math.max(tToX(r1, w) - a, 2), pb - pt + 4);
    }
  }
  // notices waiting for an answer: small flags on the ruler
  for (const el of document.querySelectorAll(".msg.notice:not(.answered)")) {
    const x = tToX(parseFloat(el.dataset.t), w);
    g.fillStyle = "#f59e0b";
    g.beginPath(); g.moveTo(x, 12); g.lineTo(x + 8, 15); g.lineTo(x, 18); g.closePath(); g.fill();
  }
  // playhead
  const px = tToX(ui.cursor, w);
  g.strokeStyle = "#ffffff"; g.lineWidth = 2;
  g.beginPath(); g.moveTo(px, 10); g.lineTo(px, h - 2); g.stroke();
  g.lineWidth = 1;
}

function wireTimeline() {
  const canvas = $("timeline");
  let dragging = false;
  const at = (ev) => {
    const r = canvas.getBoundingClientRect();
    return xToT(ev.clientX - r.left, r.width);
  };
  canvas.addEventListener("pointerdown", (ev) => {
    if (!ui.video) return;
    dragging = true;
    canvas.setPointerCapture(ev.pointerId);
    stopPlaying();
    scrubTo(at(ev));
  });
  canvas.addEventListener("pointermove", (ev) => { if (dragging) scrubTo(at(ev)); });
  const end = () => { dragging = false; };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  window.addEventListener("resize", drawTimeline);
}

// -- conversation ---------------------------------------------------------------------------
function addMsg(kind, text) {
  const el = document.createElement("div");
  el.className = `msg ${kind}`;
  el.textContent = text;
  const log = $("log");
  log.appendChild(el);
  log.scrollTop = log.scrollHeight;
  return el;
}

function addNotice(n) {
  if (document.getElementById(`notice-${n.id}`)) return;
  const el = addMsg("notice", "");
  el.id = `notice-${n.id}`;
  el.dataset.t = n.t;
  const when = document.createElement("span");
  when.className = "when";
  when.textContent = clock(n.t).replace(/\.0$/, "");
  when.title = "Show this moment";
  when.addEventListener("click", () => scrubTo(n.t));
  el.append(when, document.createTextNode(n.text));
  const answers = document.createElement("div");
  answers.className = "answers";
  // a people notice: one button per choice ("everyone", each person with a thumbnail)
  const options = (n.choices || []).map((c, i) => ({ answer: "yes", choice: i, ...c }));
  if (!options.length) options.push({ answer: "yes" });
  options.push({ answer: "no" });
  for (const { answer, choice, label, thumb } of options) {
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label || (answer === "yes" ? "Yes" : "No");
    b.className = `answer-${answer}` + (thumb ? " choice" : "");
    if (thumb) {
      const img = document.createElement("img");
      img.src = thumb;
      img.alt = label;
      b.prepend(img);
    }
    b.addEventListener("click", async () => {
      answers.querySelectorAll("button").forEach((x) => { x.disabled = true; });
      try {
        const json = choice === undefined ? { answer } : { answer, choice };
        await api(`/api/notices/${n.id}`, { method: "POST", json });
        el.classList.add("answered");
      } catch (err) {
        fail(err);
        answers.querySelectorAll("button").forEach((x) => { x.disabled = false; });
      }
    });
    answers.appendChild(b);
  }
  el.appendChild(answers);
  drawTimeline();
}

async function say(text) {
  try {
    const resp = await api("/api/instruct", { method: "POST", json: { text } });
    const reply = await resp.json();
    if (reply.changed && !ui.live) scrubTo(ui.cursor);
  } catch (err) {
    fail(err);
  }
}

// -- messages from the server ---------------------------------------------------------------
function onMessage(m) {
  switch (m.type) {
    case "opened":
      if (!m.camera && cam.on) stopCamera(false);
      document.body.classList.toggle("camera", !!m.camera);
      ui.video = m; ui.cursor = 0; ui.progress = 0; ui.done = false; ui.timeline = null;
      if (!m.switched) { $("log").replaceChildren(); showTakes(null); } // a new video, not another take
      $("download").hidden = true; $("renderbar").hidden = true;
      $("player").style.aspectRatio = `${m.width} / ${m.height}`;
      setLive(true);
      for (const o of $("files").options) o.selected = o.value === m.path;
      setStatus(); setClock(); drawTimeline();
      break;
    case "preview":
      if (cam.on) break; // the camera's own frames come over /ws/camera
      if (ui.live || Math.abs(m.t - ui.cursor) < 0.05) {
        if (!ui.scrub.busy && !ui.playing) showFrame(`data:image/jpeg;base64,${m.jpeg}`, false);
        if (ui.live) { ui.cursor = m.t; setClock(); drawTimeline(); }
      }
      break;
    case "progress":
      ui.progress = m.t; setStatus();
      break;
    case "timeline":
      ui.timeline = m;
      ui.progress = Math.max(ui.progress, m.processed_until);
      $("plan").replaceChildren(...m.plan.map((line) => { const li = document.createElement("li"); li.textContent = line; return li; }));
      for (const el of document.querySelectorAll(".msg.notice")) {
        el.classList.toggle("answered", !m.pending.includes(parseInt(el.id.slice(7), 10)));
      }
      drawTimeline();
      break;
    case "reply":
      addMsg("you", m.heard);
      addMsg("agent", m.text);
      break;
    case "notice":
      addNotice(m);
      break;
    case "error":
      addMsg("error", m.text);
      break;
    case "done":
      ui.done = true; setStatus(); drawTimeline();
      break;
    case "render":
      onRender(m);
      break;
    case "takes":
      showTakes(m);
      break;
    default:
      break;
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  const socket = new WebSocket(`${scheme}://${location.host}/ws${q}`);
  socket.onopen = () => { $("log").replaceChildren(); ui.takeSaid = false; };
  socket.onmessage = (ev) => onMessage(JSON.parse(ev.data));
  socket.onclose = () => { setTimeout(connect, 1000); };
}

// -- opening videos -------------------------------------------------------------------------
async function loadFiles() {
  const data = await (await api("/api/files")).json();
  ui.maxUpload = data.max_upload_bytes;
  const sel = $("files");
  sel.replaceChildren(...data.videos.map((p) => new Option(p, p)));
  if (!data.videos.length) sel.appendChild(new Option("(no videos in the working folder)", ""));
  if (ui.video) for (const o of sel.options) o.selected = o.value === ui.video.path;
}

async function openSelected() {
  const path = $("files").value;
  if (!path) return;
  $("status").textContent = `opening ${path}…`;
  try {
    await api("/api/open", { method: "POST", json: { path } });
  } catch (err) { fail(err); setStatus(); }
}

async function upload(file) {
  if (ui.maxUpload && file.size > ui.maxUpload) {
    fail(new Error(`${file.name} is larger than ${Math.round(ui.maxUpload / 2 ** 20)} MiB`));
    return;
  }
  $("status").textContent = `uploading ${file.name}…`;
  try {
    await api(`/api/upload?name=${encodeURIComponent(file.name)}`, {
      method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
    });
    await loadFiles();
  } catch (err) { fail(err); setStatus(); }
}

// Several files at once: takes of one shot, stored, then opened together to choose from.
async function uploadTakes(files) {
  const paths = [];
  try {
    for (const file of files) {
      $("status").textContent = `uploading take ${paths.length + 1} of ${files.length}: ${file.name}…`;
      const resp = await api(`/api/upload?open=false&name=${encodeURIComponent(file.name)}`, {
        method: "POST", body: file, headers: { "Content-Type": "application/octet-stream" },
      });
      paths.push((await resp.json()).path);
    }
    await api("/api/takes", { method: "POST", json: { paths } });
    await loadFiles();
  } catch (err) { fail(err); setStatus(); }
}

// -- takes ----------------------------------------------------------------------------------
function showTakes(m) {
  ui.takes = m;
  $("takes").hidden = !m;
  if (!m) { ui.takeSaid = false; return; }
  $("takelist").replaceChildren(...m.takes.map((t) => {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.className = "take" + (t.take === m.current ? " current" : "");
    b.dataset.take = t.take;
    b.title = `Edit take ${t.take} (the plan stays)`;
    const line = document.createElement("span");
    line.className = "line";
    line.textContent = t.line;
    b.appendChild(line);
    if (t.best_at && t.best_at.length) {
      const best = document.createElement("span");
      best.className = "best";
      best.textContent = `best: ${t.best_at.join(", ")}`;
      b.appendChild(best);
    }
    b.addEventListener("click", () => useTake(t.take));
    li.appendChild(b);
    return li;
  }));
  $("takewhy").textContent = m.recommendation || "";
  if (m.ready && m.recommendation && !ui.takeSaid) {
    ui.takeSaid = true;
    addMsg("agent", m.recommendation);
  }
}

async function useTake(n) {
  try {
    await api(`/api/takes/${n}`, { method: "POST" });
  } catch (err) { fail(err); }
}

// -- point prompts --------------------------------------------------------------------------
function frameToSource(ev) {
  const img = $("frame");
  const r = img.getBoundingClientRect();
  const scale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
  const ox = (r.width - img.naturalWidth * scale) / 2;
  const oy = (r.height - img.naturalHeight * scale) / 2;
  const px = (ev.clientX - r.left - ox) / scale;
  const py = (ev.clientY - r.top - oy) / scale;
  if (px < 0 || py < 0 || px >= img.naturalWidth || py >= img.naturalHeight) return null;
  return {
    x: (px * ui.video.width) / img.naturalWidth,
    y: (py * ui.video.height) / img.naturalHeight,
    left: ev.clientX - r.left, top: ev.clientY - r.top,
  };
}

function setPicking(on) {
  ui.picking = on;
  $("pick").classList.toggle("on", on);
  $("player").classList.toggle("picking", on);
}

async function onFrameClick(ev) {
  if (!ui.picking || !ui.video || !$("frame").naturalWidth) return;
  const p = frameToSource(ev);
  if (!p) return;
  setPicking(false);
  const marker = $("marker");
  marker.style.left = `${p.left}px`; marker.style.top = `${p.top}px`; marker.hidden = false;
  try {
    await api("/api/point", { method: "POST", json: { x: p.x, y: p.y } });
    if (!ui.live) scrubTo(ui.cursor);
  } catch (err) { fail(err); }
  setTimeout(() => { marker.hidden = true; }, 1500);
}

// -- voice ----------------------------------------------------------------------------------
let recorder = null;

async function toggleMic() {
  const btn = $("mic");
  if (recorder && recorder.state === "recording") { recorder.stop(); return; }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    fail(new Error("the microphone needs a secure page (localhost or https) and a browser with MediaRecorder"));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  } catch (err) { fail(new Error(`no microphone: ${err.message}`)); return; }
  const chunks = [];
  recorder = new MediaRecorder(stream);
  recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  recorder.onstop = async () => {
    stream.getTracks().forEach((t) => t.stop());
    btn.classList.remove("recording");
    const blob = new Blob(chunks, { type: recorder.mimeType || "audio/webm" });
    addMsg("agent", "listening to what you said…");
    try {
      await api("/api/voice", { method: "POST", body: blob, headers: { "Content-Type": blob.type } });
    } catch (err) { fail(err); }
  };
  recorder.start();
  btn.classList.add("recording");
}

// -- camera mode: the browser's camera, edited live (see backdrop/agent/web/camera.py) ------
const cam = { on: false, socket: null, stream: null, video: null, canvas: null, fps: 30,
  inflight: 0, sent: 0, received: 0, acked: 0, rtt: [] };
ui.camera = cam;

async function startCamera() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    fail(new Error("the camera needs a secure page (localhost or https)"));
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720, frameRate: 30 }, audio: false });
  } catch (err) { fail(new Error(`no camera: ${err.message}`)); return; }
  const video = document.createElement("video");
  video.muted = true; video.playsInline = true; video.srcObject = stream;
  await video.play();
  const set = stream.getVideoTracks()[0].getSettings();
  const width = video.videoWidth || set.width || 1280;
  const height = video.videoHeight || set.height || 720;
  const fps = Math.min(60, Math.max(1, Math.round(set.frameRate || 30)));
  $("status").textContent = "starting the camera…";
  try {
    await api("/api/camera", { method: "POST", json: { width, height, fps } });
  } catch (err) { stream.getTracks().forEach((t) => t.stop()); fail(err); setStatus(); return; }
  const canvas = document.createElement("canvas");
  canvas.width = width; canvas.height = height;
  Object.assign(cam, { on: true, stream, video, canvas, fps, inflight: 0, sent: 0, received: 0, acked: 0, rtt: [] });
  $("camera").classList.add("on"); $("camera").textContent = "Stop camera";
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const q = token ? `?token=${encodeURIComponent(token)}` : "";
  const socket = new WebSocket(`${scheme}://${location.host}/ws/camera${q}`);
  socket.binaryType = "arraybuffer";
  cam.socket = socket;
  socket.onmessage = (ev) => {
    if (typeof ev.data === "string") { cam.inflight = Math.max(0, cam.inflight - 1); cam.acked++; return; }
    const tag = new DataView(ev.data).getFloat64(0, true);
    const now = performance.now();
    if (tag >= 0) { cam.rtt.push(now - tag); if (cam.rtt.length > 600) cam.rtt.shift(); }
    cam.received++;
    showFrame(URL.createObjectURL(new Blob([ev.data.slice(8)], { type: "image/jpeg" })), true);
    if (cam.received % 15 === 0) {
      const sorted = [...cam.rtt].sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)] || 0;
      $("latency").textContent = `camera: ${cam.received} frames back · round trip ${Math.round(p50)} ms (p50)`;
    }
  };
  socket.onopen = () => cameraLoop(socket);
  socket.onclose = () => { if (cam.socket === socket && cam.on) stopCamera(false); };
}

// One frame in flight: the next is taken when the server has acknowledged the last.
async function cameraLoop(socket) {
  const g = cam.canvas.getContext("2d");
  let next = performance.now();
  while (cam.on && cam.socket === socket && socket.readyState === WebSocket.OPEN) {
    const now = performance.now();
    if (cam.inflight > 0 || now < next) { await new Promise((r) => setTimeout(r, cam.inflight > 0 ? 3 : next - now)); continue; }
    next = Math.max(next + 1000 / cam.fps, now);
    g.drawImage(cam.video, 0, 0, cam.canvas.width, cam.canvas.height);
    const blob = await new Promise((r) => cam.canvas.toBlob(r, "image/jpeg", 0.85));
    if (!blob || socket.readyState !== WebSocket.OPEN) continue;
    cam.inflight++; cam.sent++;
    socket.send(new Blob([new Float64Array([now]).buffer, blob]));
  }
}

function stopCamera(tellServer = true) {
  if (!cam.on) return;
  cam.on = false;
  if (cam.socket) cam.socket.close();
  if (cam.stream) cam.stream.getTracks().forEach((t) => t.stop());
  cam.socket = null; cam.stream = null;
  $("camera").classList.remove("on"); $("camera").textContent = "Camera";
  document.body.classList.remove("camera");
  if (tellServer) api("/api/camera", { method: "DELETE" }).then(() => { ui.video = null; setStatus(); }).catch(fail);
}

// -- exports --------------------------------------------------------------------------------
async function exportPlan() {
  try {
    const resp = await api("/api/plan");
    const blob = await resp.blob();
    const name = ((resp.headers.get("Content-Disposition") || "").match(/filename="?([^";]+)"?/) || [])[1] || "plan.json";
    ui.lastPlan = await blob.text();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  } catch (err) { fail(err); }
}

async function startRender() {
  try {
    $("download").hidden = true;
    onRender(await (await api("/api/render", { method: "POST" })).json());
  } catch (err) { fail(err); }
}

function clockLeft(s) {  // seconds → "0:42" / "1:02:03", as the CLI's time-remaining column
  s = Math.ceil(s);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

function onRender(job) {
  const bar = $("renderbar");
  const btn = $("render");
  if (job.state === "running") {
    bar.hidden = false;
    bar.max = job.total || 1;
    bar.value = job.done;
    btn.disabled = true;
    const left = job.seconds_left == null ? "" : ` · ${clockLeft(job.seconds_left)} left`;
    btn.textContent = job.total ? `Rendering ${Math.round((100 * job.done) / job.total)}%${left}` : "Rendering…";
  } else {
    bar.hidden = true;
    btn.disabled = false;
    btn.textContent = "Render video";
    if (job.state === "done") {
      const a = $("download");
      a.href = `/api/render/file?v=${Date.now()}`;
      a.download = job.output.split("/").pop();
      a.hidden = false;
      a.textContent = `Download ${a.download}`;
    } else if (job.state === "failed") {
      addMsg("error", `render failed: ${job.error}`);
    }
  }
}

// -- wiring ---------------------------------------------------------------------------------
function main() {
  $("say").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("text").value.trim();
    if (!text) return;
    $("text").value = "";
    say(text);
  });
  $("open").addEventListener("click", openSelected);
  $("upload").addEventListener("change", (ev) => {
    const files = [...ev.target.files];
    if (files.length > 1) uploadTakes(files); else if (files.length) upload(files[0]);
    ev.target.value = "";
  });
  $("play").addEventListener("click", play);
  $("live").addEventListener("click", () => setLive(!ui.live));
  $("pick").addEventListener("click", () => setPicking(!ui.picking));
  $("frame").addEventListener("click", onFrameClick);
  $("mic").addEventListener("click", toggleMic);
  $("export").addEventListener("click", exportPlan);
  $("render").addEventListener("click", startRender);
  $("camera").addEventListener("click", () => (cam.on ? stopCamera() : startCamera()));
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "INPUT" || !ui.video) return;
    if (ev.key === "ArrowLeft" || ev.key === "ArrowRight") {
      ev.preventDefault();
      stopPlaying();
      scrubTo(ui.cursor + (ev.key === "ArrowLeft" ? -0.2 : 0.2));
    } else if (ev.key === " ") {
      ev.preventDefault();
      play();
    }
  });
  wireTimeline();
  drawTimeline();
  loadFiles().catch(fail);
  connect();
}

main();
