/* Career advisor widget: paste on any page of a site the advisor allows (ADVISOR_ALLOWED_ORIGINS).
 *
 *   <div id="career-advisor"></div>
 *   <script src="https://ADVISOR-HOST/embed.js" data-target="#career-advisor" defer></script>
 *
 * It talks to POST /api/ask on the server it was loaded from, keeps the conversation's
 * questions for follow-ups, and renders everything with textContent (no HTML from answers).
 * Options (data-* on the script tag): data-target (CSS selector; default: right after the
 * script), data-career (a career id from GET /api/careers: answer about that career only),
 * data-title (default: "Ask about <the career>"), data-height (CSS length, default 480px).
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var src = new URL(script.src, document.baseURI);
  var base = src.href.replace(/\/embed\.js(?:[?#].*)?$/, "");
  var career = script.getAttribute("data-career") || "";
  var title = script.getAttribute("data-title") || "Career Advisor";
  var height = script.getAttribute("data-height") || "480px";
  var host = script.getAttribute("data-target") ? document.querySelector(script.getAttribute("data-target")) : null;
  if (!host) { host = document.createElement("div"); script.parentNode.insertBefore(host, script.nextSibling); }

  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var css = [
    ":host{all:initial}",
    ".w{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;border:1px solid #d0d7de;border-radius:10px;display:flex;flex-direction:column;max-width:640px;background:#fff}",
    ".h{padding:10px 14px;font-weight:600;border-bottom:1px solid #d0d7de}",
    ".log{overflow-y:auto;padding:10px 14px;flex:1}",
    ".q{margin:10px 0 4px auto;background:#ddf4ff;padding:8px 10px;border-radius:10px;max-width:85%;width:fit-content;white-space:pre-wrap;word-break:break-word}",
    ".a{margin:4px 0 10px;background:#f6f8fa;padding:8px 10px;border-radius:10px;max-width:92%}",
    ".a p{margin:0 0 6px}.a ul{margin:0 0 6px;padding-left:20px}",
    ".conf{font-size:12px;color:#57606a}",
    "details{margin-top:6px;font-size:13px}summary{cursor:pointer;color:#0969da}",
    "blockquote{margin:4px 0 8px;padding-left:8px;border-left:3px solid #d0d7de;color:#57606a}",
    ".s{display:block;margin:4px 0;padding:6px 8px;border:1px solid #0969da;border-radius:8px;background:#fff;color:#0969da;font:inherit;cursor:pointer;text-align:left}",
    "form{display:flex;gap:8px;padding:10px 14px;border-top:1px solid #d0d7de}",
    "input{flex:1;min-width:0;font:inherit;font-size:16px;padding:8px;border:1px solid #d0d7de;border-radius:8px}",
    "button[type=submit]{font:inherit;padding:8px 14px;border:0;border-radius:8px;background:#1f6feb;color:#fff;cursor:pointer}",
    "button:focus-visible,input:focus-visible,summary:focus-visible{outline:2px solid #0969da;outline-offset:2px}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}"
  ].join("");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  var style = el("style", {}, css);
  var w = el("section", { "class": "w", "data-testid": "advisor-widget", "aria-label": title });
  w.style.height = height;
  var head = el("div", { "class": "h" }, title);
  var log = el("div", { "class": "log", role: "log", "aria-live": "polite", "data-testid": "advisor-log" });
  var form = el("form", { "data-testid": "advisor-form" });
  var label = el("label", { "class": "sr", "for": "advisor-q" }, "Your question");
  var input = el("input", { id: "advisor-q", type: "text", maxlength: "2000", autocomplete: "off", placeholder: "Ask about this career…", "data-testid": "advisor-input" });
  var send = el("button", { type: "submit", "data-testid": "advisor-send" }, "Ask");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  w.appendChild(head); w.appendChild(log); w.appendChild(form);
  root.appendChild(style); root.appendChild(w);

  var history = [];

  function suggestionButtons(box, questions) {
    questions.forEach(function (q) {
      var b = el("button", { "class": "s", type: "button", "data-testid": "advisor-suggestion" }, q);
      b.addEventListener("click", function () { ask(q); });
      box.appendChild(b);
    });
  }

  function render(rec) {
    var box = el("div", { "class": "a", "data-testid": "advisor-answer", "data-kind": rec.kind || "" });
    (rec.notices || []).forEach(function (n) { box.appendChild(el("p", { "class": "conf" }, n)); });
    var list = null;
    String(rec.answer || "").split("\n").forEach(function (line) {
      if (line.indexOf("- ") === 0) {
        if (!list) { list = el("ul"); box.appendChild(list); }
        list.appendChild(el("li", {}, line.slice(2).replace(/\t/g, " · ")));
      } else { list = null; box.appendChild(el("p", {}, line)); }
    });
    if (!rec.abstained) {
      box.appendChild(el("p", { "class": "conf" }, rec.confidence >= 0.6 ? "Quoted from the profile." : "Closest match in the profile."));
    }
    var cites = rec.citations || [];
    if (cites.length) {
      var d = el("details", { "data-testid": "advisor-sources" });
      d.appendChild(el("summary", {}, "Sources (" + cites.length + ")"));
      cites.forEach(function (c) {
        var lines = c.lines[0] === c.lines[1] ? "line " + c.lines[0] : "lines " + c.lines[0] + "–" + c.lines[1];
        d.appendChild(el("div", {}, "[" + c.n + "] " + c.doc + " › " + c.section + ", " + lines));
        d.appendChild(el("blockquote", {}, c.text));
      });
      box.appendChild(d);
    }
    if (rec.abstained && rec.suggestions && rec.suggestions.length) { suggestionButtons(box, rec.suggestions); }
    log.appendChild(box);
    log.scrollTop = log.scrollHeight;
  }

  function ask(question) {
    question = String(question || "").trim();
    if (!question) { input.focus(); return; }
    log.appendChild(el("div", { "class": "q", "data-testid": "advisor-question" }, question));
    var earlier = history.slice(-6);
    history.push(question);
    input.value = ""; send.disabled = true;
    fetch(base + "/api/ask", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(career ? { question: question, history: earlier, career: career } : { question: question, history: earlier })
    }).then(function (r) {
      if (r.status === 429) {  // this address asked too often: say so, keep the question to send again
        history.pop(); input.value = question;
        var wait = parseInt(r.headers.get("Retry-After") || "5", 10) || 5;
        return { answer: "Too many questions at once. Please wait a few seconds (about " + wait + ") and ask again.", abstained: true, kind: "limit" };
      }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    }).then(render).catch(function (err) {
      // A refused origin and a stopped server look the same to a page: tell the site owner where to look.
      if (window.console) {
        console.warn("Career advisor: no reply from " + base + "/api/ask (" + (err && err.message) + "). Check that the advisor runs at " +
          base + " and that its ADVISOR_ALLOWED_ORIGINS includes " + location.origin + " (the server log names refused origins).");
      }
      render({ answer: "Sorry, the advisor cannot be reached right now. Please try again later. (Site owner: check that the advisor server at " +
        base + " is running and allows this site, " + location.origin + ", in ADVISOR_ALLOWED_ORIGINS.)", abstained: true, kind: "error" });
    }).then(function () { send.disabled = false; input.focus(); });
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); ask(input.value); });
  fetch(base + "/api/starters" + (career ? "?career=" + encodeURIComponent(career) : "")).then(function (r) {
    return r.ok ? r.json() : { questions: [] };
  }).then(function (d) {
    if (!script.getAttribute("data-title") && d.intro) { head.textContent = d.intro; w.setAttribute("aria-label", d.intro); }
    if (!log.childNodes.length && d.questions && d.questions.length) {
      var box = el("div", { "class": "a" });
      box.appendChild(el("p", {}, "Try one of these:"));
      suggestionButtons(box, d.questions);
      log.appendChild(box);
    }
  }).catch(function () {});
})();
