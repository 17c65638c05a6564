(function () {
  "use strict";
  var body = document.body;
  var state = document.getElementById("live-state");
  var url = body.getAttribute("data-events") || "events";
  var since = body.getAttribute("data-since");
  if (since) { url += "?since=" + encodeURIComponent(since); }
  var es = new EventSource(url);

  // morph puts html in el's place, replacing only the children that
  // changed, so that the parts of a long page that stayed the same keep
  // their place and state.
  function morph(el, html) {
    var t = document.createElement("template");
    t.innerHTML = html;
    var next = Array.prototype.slice.call(t.content.children);
    var old = el.children;
    if (next.length !== old.length) { el.replaceChildren(t.content); return; }
    for (var i = 0; i < next.length; i++) {
      if (old[i].outerHTML !== next[i].outerHTML) { el.replaceChild(next[i], old[i]); }
    }
  }
  function part(id) { return function (e) { var el = document.getElementById(id); if (el) { morph(el, e.data); } tick(); }; }
  es.addEventListener("plan", part("live-plan"));
  es.addEventListener("current", part("live-current"));
  es.addEventListener("report", part("live-report"));
  es.addEventListener("header", function (e) { var el = document.getElementById("live-header"); if (el) { el.innerHTML = e.data; } });
  // The run has ended: the finished report takes the page's place.
  es.addEventListener("final", function (e) {
    es.close();
    document.open();
    document.write(e.data);
    document.close();
  });
  es.onopen = function () { body.classList.add("connected"); state.textContent = "live: updates as the run measures"; };
  es.onerror = function () {
    body.classList.remove("connected");
    state.textContent = es.readyState === EventSource.CLOSED ? "disconnected: reload the page to try again" : "reconnecting…";
  };

  // The clocks count on between updates.
  function clock(ms) {
    var s = Math.max(0, Math.round(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60;
    var ss = ("0" + (s % 60)).slice(-2);
    return h > 0 ? h + ":" + ("0" + m).slice(-2) + ":" + ss : m + ":" + ss;
  }
  function tick() {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll(".clock[data-from]"), function (c) {
      c.textContent = clock(now - Number(c.getAttribute("data-from")));
    });
    Array.prototype.forEach.call(document.querySelectorAll(".clock[data-until]"), function (c) {
      c.textContent = clock(Number(c.getAttribute("data-until")) - now);
    });
  }
  setInterval(tick, 1000);
})();
