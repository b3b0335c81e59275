/* Career advisor chat: the widget a school pastes on its site, and (data-layout="page") the
 * advisor's own chat page at /. One component, so both are accessible the same way.
 *
 *   <div id="career-advisor"></div>
 *   <script src="https://ADVISOR-HOST/embed.js" data-target="#career-advisor" defer></script>
 *
 * It talks to POST /api/ask on the server it was loaded from, keeps the conversation's
 * questions for follow-ups, rates answers through POST /api/feedback with the answer's
 * server-issued id, and renders everything with textContent (no HTML from answers).
 * Options (data-* on the script tag): data-target (CSS selector; default: right after the
 * script), data-career (a career id from GET /api/careers: answer about that career only),
 * data-title (default: "Ask about <the career>"), data-height (CSS length, default 480px),
 * data-layout ("page": fill the screen, with a career picker when there are several).
 *
 * Accessibility (WCAG 2.2 AA; tests/web/test_web_a11y.py): one polite status region says
 * "Looking in the profile…" and then the new answer, once (the conversation itself is not
 * a live region, so the history is never read again); ratings are toggle buttons
 * (aria-pressed) that say "Thanks"; every control is a native button, link, input or
 * select, at least 24×24 px, with a 3 px focus outline; citations open the quoted lines in
 * their profile in a new tab; animation and smooth scrolling only without
 * prefers-reduced-motion.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var src = new URL(script.src, document.baseURI);
  var base = src.href.replace(/\/embed\.js(?:[?#].*)?$/, "");
  function opt(name) { return script.getAttribute("data-" + name) || ""; }
  var page = opt("layout") === "page";
  var career = opt("career");
  var title = opt("title");
  var intro = opt("intro");
  var height = opt("height") || "480px";
  var host = opt("target") ? document.querySelector(opt("target")) : null;
  if (!host) { host = document.createElement("div"); script.parentNode.insertBefore(host, script.nextSibling); }
  var still = window.matchMedia ? window.matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };

  var BLUE = "#0a58ca";  // 6.0:1 on white: text, links, the focus outline and the Ask button
  var css = [
    ":host{all:initial;display:block}",
    "*{box-sizing:border-box}",
    ".w{font:16px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;border:1px solid #d0d7de;border-radius:10px;display:flex;flex-direction:column;max-width:640px;background:#fff;overflow:hidden}",
    ".w.page{max-width:56rem;margin:0 auto;height:100%;border-width:0 1px;border-radius:0}",
    ".h{padding:10px 14px;border-bottom:1px solid #d0d7de}",
    ".h h1,.h h2{margin:0;font-size:1.05em;line-height:1.3}",
    ".page .h h1{font-size:1.35em}",
    ".h p{margin:2px 0 0;color:#57606a;font-size:.9em}",
    ".pick{display:flex;align-items:center;gap:8px;margin-top:6px;flex-wrap:wrap}",
    ".pick label{font-weight:600;font-size:.9em}",
    "select{font:inherit;font-size:16px;min-height:36px;max-width:100%;padding:4px 8px;border:1px solid #6e7781;border-radius:8px;background:#fff;color:#1f2328}",
    ".log{position:relative;overflow-y:auto;overflow-x:hidden;padding:6px 14px 10px;flex:1;min-height:0;overscroll-behavior:contain}",
    ".log:focus-visible{outline:3px solid " + BLUE + ";outline-offset:-3px}",
    ".turn{margin:0}",
    ".q{margin:12px 0 6px auto;background:#ddf4ff;padding:8px 12px;border-radius:12px;max-width:85%;width:fit-content;white-space:pre-wrap;overflow-wrap:anywhere;font-size:1em;font-weight:400;line-height:1.5}",
    ".a{margin:4px 0 10px;background:#f6f8fa;padding:8px 12px;border-radius:12px;max-width:94%;overflow-wrap:anywhere}",
    ".a p{margin:0 0 8px}.a ul{margin:0 0 8px;padding-left:22px}.a li{margin:2px 0}",
    ".a.error{background:#fff1f0;border:1px solid #cf222e}",
    ".note{font-size:.9em;color:#57606a}",
    "a{color:" + BLUE + "}",
    "a.cite{font-size:.85em;white-space:nowrap;text-underline-offset:2px}",
    "details{margin:6px 0 4px}",
    "summary{cursor:pointer;color:" + BLUE + ";font-weight:600;min-height:28px;padding:2px 0;width:fit-content}",
    "ol.src{list-style:none;margin:4px 0 0;padding:0}",
    "ol.src li{margin:6px 0 10px}",
    "ol.src a{display:inline-block;min-height:24px;font-weight:600}",
    "blockquote{margin:4px 0 0;padding:2px 0 2px 10px;border-left:3px solid #6e7781;color:#1f2328;white-space:pre-wrap}",
    ".a ul.sugg{list-style:none;margin:4px 0 0;padding:0}",
    ".s{display:block;width:100%;margin:6px 0;padding:8px 10px;min-height:40px;border:1px solid " + BLUE + ";border-radius:8px;background:#fff;color:" + BLUE + ";font:inherit;cursor:pointer;text-align:left}",
    ".s:hover{background:#ddf4ff}",
    ".rate{display:flex;flex-wrap:wrap;align-items:center;gap:6px 8px;margin-top:8px}",
    ".rate .lbl{font-size:.9em;color:#57606a}",
    ".r{display:inline-flex;align-items:center;gap:4px;min-height:32px;min-width:32px;padding:3px 10px;border:1px solid #6e7781;border-radius:16px;background:#fff;color:#1f2328;font:inherit;font-size:.9em;cursor:pointer}",
    ".r svg{width:16px;height:16px;fill:currentColor}",
    ".r[aria-pressed=true]{background:" + BLUE + ";border-color:" + BLUE + ";color:#fff}",
    ".thanks{font-size:.9em;color:#1a7f37;font-weight:600}",
    ".thanks.bad{color:#cf222e}",
    ".pending{color:#57606a;font-style:italic}",
    "form{display:flex;gap:8px;padding:10px 14px;border-top:1px solid #d0d7de;background:#fff}",
    "input{flex:1;min-width:0;font:inherit;font-size:16px;min-height:44px;padding:8px 10px;border:1px solid #6e7781;border-radius:8px;color:#1f2328;background:#fff}",
    "input::placeholder{color:#5f6b76;opacity:1}",
    "button[type=submit]{font:inherit;font-weight:600;min-height:44px;min-width:64px;padding:8px 16px;border:0;border-radius:8px;background:" + BLUE + ";color:#fff;cursor:pointer}",
    "button[type=submit][aria-disabled=true]{cursor:progress}",
    "button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible,a:focus-visible{outline:3px solid " + BLUE + ";outline-offset:2px}",
    "input:focus-visible{outline-offset:1px}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "@media (prefers-reduced-motion:no-preference){.pending::after{content:'';display:inline-block;width:1.2em;text-align:left;animation:advisor-dots 1.2s steps(4,end) infinite}" +
      "@keyframes advisor-dots{0%{content:''}25%{content:'.'}50%{content:'..'}75%{content:'...'}}}",
    "@media (max-width:480px){.h{padding:8px 12px}.page .h h1{font-size:1.15em}.h p{font-size:.85em}.h .more{display:none}.log{padding:4px 10px 8px}" +
      ".q{max-width:92%}.a{max-width:100%}form{padding:8px 10px;gap:6px}button[type=submit]{padding:8px 12px}}",
    "@media (forced-colors:active){.r[aria-pressed=true]{outline:2px solid CanvasText}}"
  ].join("");
  var THUMB = "M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 0 0-.5-1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2-.5.2-.7v-2z";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function icon(down) {
    var svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    if (down) { svg.setAttribute("transform", "rotate(180)"); }
    var p = document.createElementNS("http://www.w3.org/2000/svg", "path"); p.setAttribute("d", THUMB); svg.appendChild(p);
    return svg;
  }
  var uid = 0;
  function newId(prefix) { uid += 1; return "advisor-" + prefix + "-" + uid; }

  // ---- the frame: header, conversation, status region, question box ------------------
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = el("style", {}, css);
  var w = el("section", { "class": page ? "w page" : "w", "data-testid": "advisor-widget", "aria-labelledby": "advisor-title" });
  if (!page) { w.style.height = height; }
  var head = el("div", { "class": "h" });
  var heading = el(page ? "h1" : "h2", { id: "advisor-title" }, title || "Career Advisor");
  head.appendChild(heading);
  var introLine = el("p", { "data-testid": "advisor-intro" });
  var about = el("span", {}, "");  // "Ask about Imaging Technologists." (from /api/starters)
  var more = el("span", { "class": page ? "more" : "" }, intro || "Every answer is quoted word for word from a career profile.");
  introLine.appendChild(about); introLine.appendChild(more);
  head.appendChild(introLine);
  var picker = null;
  var log = el("div", { "class": "log", role: "region", "aria-label": "Conversation", tabindex: "0", "data-testid": "advisor-log" });
  var status = el("div", { "class": "sr", role: "status", "aria-live": "polite", "aria-atomic": "true", "data-testid": "advisor-status" });
  var form = el("form", { "data-testid": "advisor-form", "aria-label": "Ask a question" });
  var label = el("label", { "class": "sr", "for": "advisor-q" }, "Your question");
  var input = el("input", { id: "advisor-q", type: "text", maxlength: "2000", autocomplete: "off", enterkeyhint: "send",
                            placeholder: "Type your question", "data-testid": "advisor-input" });
  var send = el("button", { type: "submit", "data-testid": "advisor-send" }, "Ask");
  form.appendChild(label); form.appendChild(input); form.appendChild(send);
  w.appendChild(head); w.appendChild(log); w.appendChild(status); w.appendChild(form);
  root.appendChild(style); root.appendChild(w);

  var history = [];  // the questions answered so far, for follow-ups
  var pending = false;

  var saying = null;
  function say(text) {  // the status region: cleared first, so the same words are read again
    clearTimeout(saying);
    status.textContent = "";
    saying = setTimeout(function () { status.textContent = text; }, 60);
  }
  var lastTurn = null;
  function reveal(node, now) {
    lastTurn = node;
    var top = Math.max(0, node.offsetTop - 6);
    if (log.scrollTo) { log.scrollTo({ top: top, behavior: now || still.matches ? "auto" : "smooth" }); } else { log.scrollTop = top; }
  }
  // An on-screen keyboard (or a smaller window) shrinks the conversation: keep the last
  // question and the start of its answer in view, instead of what was at the top.
  var logHeight = 0;
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      var h = log.clientHeight;
      if (lastTurn && lastTurn.parentNode && h < logHeight) { reveal(lastTurn, true); }
      logHeight = h;
    }).observe(log);
  }

  // ---- one answer ----------------------------------------------------------------------
  function citeLink(c, n, cls) {
    var a = el("a", { href: base + (c.url || ""), target: "_blank", rel: "noopener", "class": cls, "data-testid": cls === "cite" ? "advisor-marker" : "advisor-citation" });
    var where = (c.title || c.doc) + (c.section ? " › " + c.section : "");
    if (cls === "cite") {
      a.appendChild(document.createTextNode("[" + n + "]"));
      a.appendChild(el("span", { "class": "sr" }, " source: " + where + " (opens in a new tab)"));
    } else {
      a.appendChild(document.createTextNode(where));
      a.appendChild(el("span", { "class": "sr" }, " (opens in a new tab)"));
    }
    return a;
  }

  function withMarkers(parent, text, byN) {  // "… services. [1]" → the text, then a link for [1]
    var re = /\[(\d+)\]/g, last = 0, m;
    while ((m = re.exec(text)) !== null) {
      var c = byN[m[1]];
      if (!c) { continue; }
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      parent.appendChild(citeLink(c, m[1], "cite"));
      last = m.index + m[0].length;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
    return parent;
  }

  function suggestionList(box, lead, questions) {
    var id = newId("sugg");
    box.appendChild(el("p", { id: id }, lead));
    var ul = el("ul", { "class": "sugg", "aria-labelledby": id });
    questions.forEach(function (q) {
      var li = el("li");
      var b = el("button", { "class": "s", type: "button", "data-testid": "advisor-suggestion" }, q);
      b.addEventListener("click", function () { ask(q); input.focus(); });
      li.appendChild(b); ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function ratingButtons(box, rec) {
    var group = el("div", { "class": "rate", role: "group", "aria-label": "Rate this answer", "data-testid": "advisor-rating" });
    group.appendChild(el("span", { "class": "lbl", "aria-hidden": "true" }, "Was this helpful?"));
    var up = el("button", { type: "button", "class": "r", "aria-pressed": "false", "data-testid": "advisor-like" });
    var down = el("button", { type: "button", "class": "r", "aria-pressed": "false", "data-testid": "advisor-dislike" });
    up.appendChild(icon(false)); up.appendChild(document.createTextNode("Helpful"));
    down.appendChild(icon(true)); down.appendChild(document.createTextNode("Not helpful"));
    var thanks = el("span", { "class": "thanks", role: "status", "data-testid": "advisor-thanks" });
    function rate(liked) {
      fetch(base + "/api/feedback", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ answer_id: rec.answer_id, token: rec.rating_token, liked: liked })
      }).then(function (r) {
        if (r.ok) {
          up.setAttribute("aria-pressed", liked ? "true" : "false");
          down.setAttribute("aria-pressed", liked ? "false" : "true");
          thanks.className = "thanks"; thanks.textContent = "Thanks! Your rating is saved.";
        } else {
          thanks.className = "thanks bad";
          thanks.textContent = r.status === 404 ? "Sorry, this answer can no longer be rated." : "Sorry, the rating could not be saved. Please try again.";
        }
      }).catch(function () { thanks.className = "thanks bad"; thanks.textContent = "Sorry, the rating could not be saved. Please try again."; });
    }
    up.addEventListener("click", function () { rate(true); });
    down.addEventListener("click", function () { rate(false); });
    group.appendChild(up); group.appendChild(down); group.appendChild(thanks);
    box.appendChild(group);
  }

  function render(turn, rec) {
    var box = el("div", { "class": "a" + (rec.kind === "error" || rec.kind === "limit" ? " error" : ""), "data-testid": "advisor-answer", "data-kind": rec.kind || "" });
    var spoken = [];
    var byN = {};
    (rec.citations || []).forEach(function (c) { byN[String(c.n)] = c; });
    (rec.notices || []).forEach(function (n) { box.appendChild(el("p", { "class": "note" }, n)); spoken.push(n); });
    var list = null;
    String(rec.answer || "").split("\n").forEach(function (line) {
      if (!line.trim()) { list = null; return; }
      if (line.indexOf("- ") === 0) {
        if (!list) { list = el("ul"); box.appendChild(list); }
        list.appendChild(withMarkers(el("li"), line.slice(2).replace(/\t/g, " · "), byN));
      } else { list = null; box.appendChild(withMarkers(el("p"), line.replace(/\t/g, " · "), byN)); }
      spoken.push(line.replace(/\s*\[\d+\]/g, "").replace(/^- /, "").replace(/\t/g, ", "));
    });
    if (rec.kind === "answer" && rec.confidence_label === "closest match") {
      var hint = "The profile may not answer this exactly: these are its sentences closest to your question.";
      box.appendChild(el("p", { "class": "note", "data-testid": "advisor-hint" }, hint));
      spoken.push(hint);
    }
    var cites = rec.citations || [];
    if (cites.length) {
      var d = el("details", { "data-testid": "advisor-sources" });
      d.appendChild(el("summary", {}, "Sources (" + cites.length + ")"));
      var ol = el("ol", { "class": "src" });
      cites.forEach(function (c) {
        var li = el("li");
        li.appendChild(document.createTextNode("[" + c.n + "] "));
        li.appendChild(citeLink(c, c.n, "src"));
        li.appendChild(el("blockquote", {}, c.text));
        ol.appendChild(li);
      });
      d.appendChild(ol);
      box.appendChild(d);
    }
    if (rec.abstained && rec.suggestions && rec.suggestions.length) {
      suggestionList(box, "The profile can answer these instead:", rec.suggestions);
    }
    if (rec.answer_id && rec.rating_token && (rec.kind === "answer" || rec.kind === "abstain")) { ratingButtons(box, rec); }
    turn.appendChild(box);
    reveal(turn);  // the question and the start of its answer in view (the answer may be long)
    say(spoken.join(" "));
  }

  // ---- asking ----------------------------------------------------------------------------
  function ask(question) {
    question = String(question || "").trim();
    if (!question) { input.focus(); return; }
    if (pending) { return; }
    pending = true; send.setAttribute("aria-disabled", "true");
    var turn = el("div", { "class": "turn" });
    turn.appendChild(el("h3", { "class": "q", "data-testid": "advisor-question" }, question));
    var wait = el("p", { "class": "pending", "data-testid": "advisor-pending" }, "Looking in the profile");
    turn.appendChild(wait);
    log.appendChild(turn);
    reveal(turn);
    say("Looking in the profile…");
    var earlier = history.slice(-6);
    input.value = "";
    var body = { question: question, history: earlier };
    if (career) { body.career = career; }
    var headers = { "Content-Type": "application/json" };
    if (page) { headers["X-Advisor-Channel"] = "chat"; }  // the question log tells the page from the widget
    fetch(base + "/api/ask", { method: "POST", headers: headers, body: JSON.stringify(body) }).then(function (r) {
      if (r.status === 429) {  // this address asked too often: say so, keep the question to send again
        input.value = question;
        var s = parseInt(r.headers.get("Retry-After") || "5", 10) || 5;
        return { answer: "You're asking very quickly. Please wait " + s + " seconds, then ask again.", abstained: true, kind: "limit" };
      }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json().then(function (rec) { history.push(question); return rec; });
    }).then(function (rec) { wait.remove(); render(turn, rec); }).catch(function (err) {
      wait.remove();
      input.value = question;
      // A refused origin and a stopped server look the same to a page: tell the site owner where to look.
      if (window.console) {
        console.warn("Career advisor: no reply from " + base + "/api/ask (" + (err && err.message) + "). Check that the advisor runs at " +
          base + " and that its ADVISOR_ALLOWED_ORIGINS includes " + location.origin + " (the server log names refused origins).");
      }
      render(turn, { answer: page ? "Sorry, something went wrong and the advisor could not answer. Please try again in a moment." :
        "Sorry, the advisor cannot be reached right now. Please try again later. (Site owner: check that the advisor server at " +
        base + " is running and allows this site, " + location.origin + ", in ADVISOR_ALLOWED_ORIGINS.)", abstained: true, kind: "error" });
    }).then(function () { pending = false; send.removeAttribute("aria-disabled"); });
  }

  form.addEventListener("submit", function (ev) { ev.preventDefault(); ask(input.value); });

  // ---- the start: title, starters, and (page, several careers) the career picker --------
  function start() {
    log.textContent = ""; history = []; lastTurn = null;
    fetch(base + "/api/starters" + (career ? "?career=" + encodeURIComponent(career) : "")).then(function (r) {
      return r.ok ? r.json() : { questions: [] };
    }).then(function (d) {
      if (d.intro && !opt("title")) { heading.textContent = d.intro; }
      else if (d.intro && page) { about.textContent = d.intro + ". "; }
      if (!log.childNodes.length && d.questions && d.questions.length) {
        var box = el("div", { "class": "a", "data-testid": "advisor-starters" });
        suggestionList(box, "Try one of these:", d.questions);
        log.appendChild(box);
      }
    }).catch(function () {});
  }

  if (page) {
    fetch(base + "/api/careers").then(function (r) { return r.ok ? r.json() : { careers: [] }; }).then(function (d) {
      var careers = d.careers || [];
      if (careers.length < 2) { return; }
      picker = el("div", { "class": "pick" });
      picker.appendChild(el("label", { "for": "advisor-career" }, "Career"));
      var select = el("select", { id: "advisor-career", "data-testid": "advisor-career" });
      select.appendChild(el("option", { value: "" }, "All careers"));
      careers.forEach(function (c) { var o = el("option", { value: c.id }, c.title); if (c.id === career) { o.selected = true; } select.appendChild(o); });
      select.addEventListener("change", function () {
        career = select.value;
        start();
        say("New conversation about " + (select.options[select.selectedIndex].text) + ".");
      });
      picker.appendChild(select);
      head.appendChild(picker);
    }).catch(function () {});
  }
  start();
  if (page) { input.focus({ preventScroll: true }); }  // the chat page starts in the question box
})();
