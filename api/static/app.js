// The web page: ask (streamed), summarize an article or chosen articles, a topic as a
// timeline, show cited passages, manage articles and feeds. No framework.
"use strict";

const $ = (id) => document.getElementById(id);
const documents = new Map(); // source -> {title, outlet, published}

function headers(extra = {}) {
  const key = $("api-key").value.trim();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function failure(response) {
  try {
    const body = await response.json();
    return body.message || (typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

// Server-Sent Events from a fetch body: yields {event, data} objects.
async function* events(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let event = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trim();
      }
      yield { event, data: JSON.parse(data) };
    }
  }
}

async function ask(event) {
  event.preventDefault();
  const question = $("question").value.trim();
  if (!question) return;
  const body = { question, stream: true };
  if ($("as-of").value) body.as_of = $("as-of").value;
  $("ask").disabled = true;
  startResult();
  try {
    const response = await fetch("/ask", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify(body),
    });
    if (!response.ok) {
      const message = await failure(response);
      const wait = response.headers.get("Retry-After");
      throw new Error(wait ? `${message} (try again in ${wait} s)` : message);
    }
    for await (const { event: kind, data } of events(response)) {
      if (kind === "token") $("answer").textContent += data.text;
      else if (kind === "answer") showAnswer(data);
      else if (kind === "error") throw new Error(data.detail);
    }
  } catch (error) {
    $("result").hidden = !$("answer").textContent;
    showError(error.message);
  } finally {
    $("ask").disabled = false;
  }
}

function startResult() {
  showError("");
  $("result").hidden = false;
  for (const id of ["conflict", "refused", "citations-heading"]) $(id).hidden = true;
  $("citations").replaceChildren();
  $("timings").textContent = "";
  $("answer").textContent = "";
  $("answer").className = "draft";
}

// One story from the articles ticked in the list, shown like an answer.
function summarizeSelected() {
  const sources = [...document.querySelectorAll("#documents input.pick:checked")].map((box) => box.value);
  if (sources.length) summarize(sources);
}

async function summarize(sources) {
  startResult();
  $("answer").textContent = `Summarizing ${sources.length} article(s)…`;
  $("summarize").disabled = true;
  try {
    const response = await fetch("/summarize", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ sources }),
    });
    if (!response.ok) throw new Error(await failure(response));
    const summary = await response.json();
    showAnswer({ ...summary, answer: summary.summary, conflicts: [] });
  } catch (error) {
    $("result").hidden = true;
    showError(error.message);
  } finally {
    updateSummarize();
  }
}

function updateSummarize() {
  $("summarize").disabled = !document.querySelector("#documents input.pick:checked");
}

function showAnswer(answer) {
  const box = $("answer");
  box.className = "";
  box.replaceChildren();
  const byNumber = new Map(answer.citations.map((c) => [c.n, c]));
  // Turn each [n] marker into a button that opens the passage it cites.
  for (const part of answer.answer.split(/(\[\d+\])/)) {
    const match = part.match(/^\[(\d+)\]$/);
    const citation = match && byNumber.get(Number(match[1]));
    if (citation) {
      const button = document.createElement("button");
      button.className = "link marker";
      button.textContent = part;
      button.title = citation.title;
      button.addEventListener("click", () => openPassage(citation));
      box.append(button);
    } else {
      box.append(part);
    }
  }
  $("refused").hidden = !answer.refused;
  if (answer.conflicts.length) showConflicts(answer.conflicts);
  const list = $("citations");
  for (const c of answer.citations) {
    const item = document.createElement("li");
    item.value = c.n;
    const open = document.createElement("button");
    open.className = "link citation";
    open.textContent = c.title;
    open.addEventListener("click", () => openPassage(c));
    const meta = [describe(c.source, c.published), c.source].filter(Boolean).join(" · ");
    item.append(open, ` — ${meta}`);
    if (!c.supported) {
      const note = document.createElement("span");
      note.className = "unsupported";
      note.textContent = " (the passage does not clearly support this)";
      item.append(note);
    }
    list.append(item);
  }
  $("citations-heading").hidden = !answer.citations.length;
  const t = answer.timings;
  $("timings").textContent = `${answer.backend.llm} · retrieval ${Math.round(t.retrieve_ms)} ms · ` +
    `generation ${Math.round(t.generate_ms)} ms · ${t.prompt_tokens} prompt tokens`;
}

function describe(source, published) {
  const doc = documents.get(source) || {};
  return [doc.outlet, published || doc.published || "undated"].filter(Boolean).join(", ");
}

async function openPassage(citation) {
  $("passage-title").textContent = citation.title;
  $("passage-meta").textContent = `${describe(citation.source, citation.published)} · ` +
    `${citation.source}, characters ${citation.start}–${citation.end}`;
  const text = $("passage-text");
  text.replaceChildren(citation.quote);
  $("passage").showModal();
  // Show the quote inside its article, highlighted, when the article is readable.
  const response = await fetch(`/documents/${encodeURIComponent(citation.source)}`, { headers: headers() });
  if (!response.ok) return;
  const doc = await response.json();
  const at = doc.text ? doc.text.indexOf(citation.quote) : -1;
  if (at < 0) return;
  const from = Math.max(0, doc.text.lastIndexOf("\n", Math.max(0, at - 400)) + 1);
  const to = Math.min(doc.text.length, at + citation.quote.length + 400);
  const mark = document.createElement("mark");
  mark.textContent = citation.quote;
  text.replaceChildren((from > 0 ? "… " : "") + doc.text.slice(from, at), mark,
    doc.text.slice(at + citation.quote.length, to) + (to < doc.text.length ? " …" : ""));
  mark.scrollIntoView({ block: "center" });
}

async function loadDocuments() {
  const response = await fetch("/documents", { headers: headers() });
  if (!response.ok) { $("upload-status").textContent = await failure(response); return; }
  const list = await response.json();
  documents.clear();
  const items = list.map((doc) => {
    documents.set(doc.source, doc);
    const item = document.createElement("li");
    const pick = document.createElement("input");
    pick.type = "checkbox";
    pick.className = "pick";
    pick.value = doc.source;
    pick.setAttribute("aria-label", `Select ${doc.title}`);
    pick.addEventListener("change", updateSummarize);
    const about = document.createElement("div");
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = doc.title;
    const meta = document.createElement("div");
    meta.className = "muted small";
    meta.textContent = [doc.published || "undated", doc.outlet, doc.source].filter(Boolean).join(" · ");
    about.append(title, meta);
    if (doc.copies && doc.copies.length) {
      const copies = document.createElement("div");
      copies.className = "muted small copies";
      copies.textContent = `Same article as: ${doc.copies.join(", ")}`;
      about.append(copies);
    }
    const brief = document.createElement("button");
    brief.className = "link small summarize-one";
    brief.textContent = "Summary";
    brief.title = `Summarize ${doc.title}`;
    brief.addEventListener("click", () => summarize([doc.source]));
    about.append(brief);
    const remove = document.createElement("button");
    remove.className = "danger";
    remove.textContent = "×";
    remove.title = `Delete ${doc.source}`;
    remove.addEventListener("click", () => removeDocument(doc.source));
    item.append(pick, about, remove);
    return item;
  });
  $("documents").replaceChildren(...items);
  $("doc-count").textContent = `(${list.length})`;
  updateSummarize();
}

async function upload(event) {
  event.preventDefault();
  const files = $("files").files;
  if (!files.length) return;
  const form = new FormData();
  for (const file of files) form.append("files", file);
  $("upload-status").textContent = "Uploading…";
  const response = await fetch("/documents", { method: "POST", headers: headers(), body: form });
  if (!response.ok) { $("upload-status").textContent = await failure(response); return; }
  const report = await response.json();
  const failed = report.failed.map((f) => `${f.path}: ${f.error}`).join("; ");
  $("upload-status").textContent = `Added ${report.added}, updated ${report.updated}, ` +
    `unchanged ${report.unchanged}.` + (failed ? ` Failed: ${failed}` : "");
  $("files").value = "";
  loadDocuments();
}

async function addPage(event) {
  event.preventDefault();
  const url = $("url").value.trim();
  if (!url) return;
  $("upload-status").textContent = `Fetching ${url}…`;
  const response = await fetch("/documents/url", {
    method: "POST", headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify({ url }),
  });
  if (!response.ok) { $("upload-status").textContent = `Could not add the page: ${await failure(response)}`; return; }
  const report = await response.json();
  $("upload-status").textContent = report.added ? `Added ${report.sources[0]}.` :
    report.updated ? `Updated ${report.sources[0]}.` : `${report.sources[0]} is unchanged.`;
  $("url").value = "";
  loadDocuments();
}

// -- feeds: what is followed, when it was last polled, and what went wrong, in words ------

async function loadFeeds() {
  const response = await fetch("/feeds", { headers: headers() });
  if (!response.ok) { $("feeds").replaceChildren(await failure(response)); return; }
  const items = (await response.json()).map((feed) => {
    const item = document.createElement("li");
    item.className = "feed";
    const name = document.createElement("div");
    name.className = "title";
    name.textContent = feed.title || feed.url;
    const state = document.createElement("div");
    state.className = "muted small";
    state.textContent = (feed.last_poll ? `Last polled ${feed.last_poll.replace("T", " ")}` : "Not polled yet") +
      ` · added ${feed.added}, updated ${feed.updated}`;
    item.append(name, state);
    if (feed.last_error) {
      const error = document.createElement("div");
      error.className = "feed-error small";
      error.textContent = `Last poll failed: ${feed.last_error}`;
      item.append(error);
    }
    const remove = document.createElement("button");
    remove.className = "danger small";
    remove.textContent = "Stop following";
    remove.addEventListener("click", async () => {
      await fetch(`/feeds/${feed.id}`, { method: "DELETE", headers: headers() });
      loadFeeds();
    });
    item.append(remove);
    return item;
  });
  $("feeds").replaceChildren(...items);
}

async function followFeed(event) {
  event.preventDefault();
  const url = $("feed-url").value.trim();
  if (!url) return;
  const response = await fetch("/feeds", {
    method: "POST", headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify({ url, every: $("feed-every").value }),
  });
  $("upload-status").textContent = response.ok ? `Following ${url}; polling it now…` :
    `Could not follow the feed: ${await failure(response)}`;
  if (!response.ok) return;
  $("feed-url").value = "";
  loadFeeds();
  const polled = await fetch("/feeds/poll?due=true", { method: "POST", headers: headers() });
  if (polled.ok) {
    const results = await polled.json();
    const added = results.reduce((sum, r) => sum + r.added, 0);
    $("upload-status").textContent = `Polled: ${added} new article(s).`;
  }
  loadFeeds();
  loadDocuments();
}

// -- a topic as a timeline: reports by date, the summary's sentences under the report
// they cite, and updates or contradictions marked between the reports they connect ---------

async function showTimeline(event) {
  event.preventDefault();
  const topic = $("topic").value.trim();
  if (!topic) return;
  $("timeline-view").hidden = false;
  $("timeline-topic").textContent = `· ${topic}`;
  $("timeline-status").textContent = "Summarizing the reports…";
  $("timeline").replaceChildren();
  $("timeline-button").disabled = true;
  try {
    const response = await fetch("/summarize", {
      method: "POST", headers: headers({ "Content-Type": "application/json" }),
      body: JSON.stringify({ topic, form: "timeline" }),
    });
    if (!response.ok) throw new Error(await failure(response));
    renderTimeline(await response.json());
  } catch (error) {
    $("timeline-status").textContent = error.message;
  } finally {
    $("timeline-button").disabled = false;
  }
}

// Summary sentences with the citation numbers each carries.
function sentencesOf(summary) {
  const found = [];
  const pattern = /(.+?)((?:\s*\[\d+\])+)[.!?]?(?=\s|$)/gs;
  for (const match of summary.matchAll(pattern)) {
    const numbers = [...match[2].matchAll(/\d+/g)].map((m) => Number(m[0]));
    found.push({ text: match[1].replace(/^\s*-\s*/, "").trim(), numbers });
  }
  return found;
}

function renderTimeline(summary) {
  if (summary.refused) { $("timeline-status").textContent = summary.summary; return; }
  $("timeline-status").textContent = `${summary.reports.length} report(s), oldest first.`;
  const byNumber = new Map(summary.citations.map((c) => [c.n, c]));
  const titles = new Map(summary.reports.map((r) => [r.source, r.title]));
  const sentences = new Map(summary.reports.map((r) => [r.source, []]));
  for (const sentence of sentencesOf(summary.summary)) {
    const first = sentence.numbers.map((n) => byNumber.get(n)).find(Boolean);
    if (first && sentences.has(first.source)) sentences.get(first.source).push(sentence);
  }
  const marksBefore = new Map(); // newer source -> conflicts that end at it
  for (const conflict of summary.conflicts) {
    const last = conflict.claims[conflict.claims.length - 1].source;
    if (!marksBefore.has(last)) marksBefore.set(last, []);
    marksBefore.get(last).push(conflict);
  }
  const items = [];
  for (const report of summary.reports) {
    for (const conflict of marksBefore.get(report.source) || []) items.push(markItem(conflict, titles));
    const item = document.createElement("li");
    item.className = "report";
    item.dataset.source = report.source;
    item.dataset.published = report.published || "";
    const when = document.createElement("time");
    when.textContent = report.published || "undated";
    if (report.published) when.dateTime = report.published;
    const title = document.createElement(report.url ? "a" : "span");
    title.className = "report-title";
    title.textContent = report.title;
    if (report.url) title.href = report.url;
    const outlet = document.createElement("span");
    outlet.className = "muted small";
    outlet.textContent = ` · ${report.outlet || report.source}`;
    const list = document.createElement("ul");
    list.className = "sentences";
    for (const sentence of sentences.get(report.source)) {
      const line = document.createElement("li");
      line.append(sentence.text.replace(/^\d{4}-\d{2}-\d{2}:\s*/, "").replace(/^Undated:\s*/, ""), " ");
      for (const n of sentence.numbers) {
        const citation = byNumber.get(n);
        if (!citation) continue;
        const button = document.createElement("button");
        button.className = "link marker";
        button.textContent = `[${n}]`;
        button.addEventListener("click", () => openPassage(citation));
        line.append(button);
      }
      list.append(line);
    }
    item.append(when, title, outlet, list);
    items.push(item);
  }
  $("timeline").replaceChildren(...items);
}

function markItem(conflict, titles) {
  const item = document.createElement("li");
  item.className = `mark mark-${conflict.kind}`;
  const name = (c) => c.outlet || `“${titles.get(c.source) || c.source}”`;
  const sides = conflict.claims.map((c) => `${name(c)}, ${c.published || "undated"}` +
    (c.value && !["yes", "no"].includes(c.value) ? `: ${c.value}` : ""));
  const heading = CONFLICT_HEADINGS[conflict.kind] || "Sources disagree";
  const newest = conflict.claims.find((c) => c.source === conflict.newest);
  const verdict = newest ? ` The ${newest.published} report is the most recent.` :
    conflict.kind === "contradiction" ? " Nothing in the articles says which is right." : "";
  item.textContent = `${heading}: ${sides.join(" → ")}.${verdict}`;
  return item;
}

async function removeDocument(source) {
  if (!confirm(`Delete ${source} from the knowledge base?`)) return;
  const response = await fetch(`/documents/${encodeURIComponent(source)}`, { method: "DELETE", headers: headers() });
  $("upload-status").textContent = response.ok ? `Deleted ${source}.` : await failure(response);
  loadDocuments();
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = localStorage.getItem("rag-api-key") || "";
  $("api-key").addEventListener("change", () => localStorage.setItem("rag-api-key", $("api-key").value));
  $("ask-form").addEventListener("submit", ask);
  $("upload-form").addEventListener("submit", upload);
  $("summarize").addEventListener("click", summarizeSelected);
  $("url-form").addEventListener("submit", addPage);
  $("feed-form").addEventListener("submit", followFeed);
  $("topic-form").addEventListener("submit", showTimeline);
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
  });
  loadDocuments();
  loadFeeds();
});

const CONFLICT_HEADINGS = {
  contradiction: "Sources disagree",
  update: "A later report updates an earlier one",
  same_name: "Different things share this name",
};

// Each disagreement with its sides: who said what, when, and which report is newest.
function showConflicts(conflicts) {
  const box = $("conflict");
  box.replaceChildren();
  for (const conflict of conflicts) {
    const section = document.createElement("section");
    section.className = `conflict-${conflict.kind}`;
    const heading = document.createElement("strong");
    heading.textContent = CONFLICT_HEADINGS[conflict.kind] || "Sources disagree";
    const sides = document.createElement("ul");
    for (const claim of conflict.claims) {
      const side = document.createElement("li");
      side.className = "conflict-side";
      const who = [claim.outlet || claim.source, claim.published || "undated"].join(", ");
      const value = claim.value && !["yes", "no"].includes(claim.value) ? `${claim.value}: ` : "";
      side.textContent = `${who} [${claim.n}]: ${value}“${claim.quote}”`;
      if (conflict.newest && claim.source === conflict.newest) {
        const newest = document.createElement("em");
        newest.textContent = " (most recent)";
        side.append(newest);
      }
      sides.append(side);
    }
    section.append(heading, sides);
    box.append(section);
  }
  box.hidden = false;
}
