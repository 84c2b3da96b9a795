// The program board's behaviour: filters kept in the URL fragment, strings drawn as SVG from
// the JSON in #board-data after layout, highlight on hover and keyboard focus. Tracker text
// only ever reaches the page through textContent/attributes, never as markup.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("board-data").textContent);
  var wrap = document.getElementById("board-wrap");
  var layer = document.getElementById("strings-layer");
  var controls = {
    team: document.getElementById("f-team"),
    "hide-done": document.getElementById("f-hide-done"),
    "hide-same": document.getElementById("f-hide-same"),
    problems: document.getElementById("f-problems"),
    "done-strings": document.getElementById("f-done-strings"),
    drift: document.getElementById("f-drift")
  };
  var TOGGLES = ["hide-done", "hide-same", "problems", "done-strings", "drift"];
  var byEl = {};
  data.cards.forEach(function (c) { byEl[c.el] = c; });
  data.stubs.forEach(function (s) { byEl[s.el] = s; });
  var touching = {};
  data.strings.forEach(function (s) {
    (touching[s.from] = touching[s.from] || []).push(s);
    (touching[s.to] = touching[s.to] || []).push(s);
  });

  function readFragment() {
    var params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    var team = params.get("team") || "";
    var known = Array.prototype.some.call(controls.team.options, function (o) {
      return o.value === team;
    });
    controls.team.value = known ? team : "";
    TOGGLES.forEach(function (name) {
      controls[name].checked = params.get(name) === "1" && !controls[name].disabled;
    });
  }

  function writeFragment() {
    var params = new URLSearchParams();
    if (controls.team.value) { params.set("team", controls.team.value); }
    TOGGLES.forEach(function (name) {
      if (controls[name].checked) { params.set(name, "1"); }
    });
    var text = params.toString();
    var target = text ? "#" + text : window.location.pathname + window.location.search;
    try {
      window.history.replaceState(null, "", target);
    } catch (e) {
      window.location.hash = text;
    }
  }

  function stringShown(s, shownEnds) {
    if (s.done && (!controls["done-strings"].checked || controls["hide-done"].checked)) {
      return false;
    }
    if (controls["hide-same"].checked && !s.cross_team) { return false; }
    if (controls.problems.checked && s.health === "green") { return false; }
    return shownEnds[s.from] !== false && shownEnds[s.to] !== false;
  }

  function apply() {
    var team = controls.team.value;
    var hideDone = controls["hide-done"].checked;
    var shown = {};
    Object.keys(byEl).forEach(function (el) {
      shown[el] = !(hideDone && byEl[el].done);
    });
    var strings = {};
    data.strings.forEach(function (s) { strings[s.id] = stringShown(s, shown); });
    if (team) {
      var keep = {};
      Object.keys(byEl).forEach(function (el) {
        if (byEl[el].team === team && shown[el]) { keep[el] = true; }
      });
      data.strings.forEach(function (s) {
        var mine = byEl[s.from].team === team || byEl[s.to].team === team;
        if (!mine) { strings[s.id] = false; }
        if (strings[s.id]) { keep[s.from] = true; keep[s.to] = true; }
      });
      Object.keys(byEl).forEach(function (el) { shown[el] = !!keep[el]; });
    }
    Object.keys(byEl).forEach(function (el) {
      document.getElementById(el).classList.toggle("hidden", !shown[el]);
    });
    data.strings.forEach(function (s) {
      document.getElementById(s.id + "-item").classList.toggle("hidden", !strings[s.id]);
    });
    document.querySelectorAll("#board tbody tr.row").forEach(function (row) {
      var any = row.querySelector(".card:not(.hidden), .stub:not(.hidden)");
      var own = row.getAttribute("data-row") === team;
      row.classList.toggle("hidden", !!team && !any && !own);
    });
    document.body.classList.toggle("show-drift", controls.drift.checked);
    draw(strings);
  }

  function box(el, origin) {
    var r = el.getBoundingClientRect();
    return {
      left: r.left - origin.left + wrap.scrollLeft,
      top: r.top - origin.top + wrap.scrollTop,
      width: r.width,
      height: r.height
    };
  }

  function ends(a, b) {
    // From the blocker's edge facing the blocked item to the blocked item's facing edge.
    var ax = a.left + a.width / 2, bx = b.left + b.width / 2;
    var ay = a.top + a.height / 2, by = b.top + b.height / 2;
    if (Math.abs(ax - bx) < Math.min(a.width, b.width) / 2) {
      var bend = Math.max(a.width, b.width) / 2 + 30;
      return { x1: a.left + a.width, y1: ay, x2: b.left + b.width, y2: by,
               c1x: a.left + a.width + bend, c2x: b.left + b.width + bend };
    }
    if (bx > ax) {
      return { x1: a.left + a.width, y1: ay, x2: b.left, y2: by,
               c1x: (a.left + a.width + b.left) / 2, c2x: (a.left + a.width + b.left) / 2 };
    }
    return { x1: a.left, y1: ay, x2: b.left + b.width, y2: by,
             c1x: (a.left + b.left + b.width) / 2, c2x: (a.left + b.left + b.width) / 2 };
  }

  function draw(visible) {
    while (layer.firstChild) { layer.removeChild(layer.firstChild); }
    layer.setAttribute("width", wrap.scrollWidth);
    layer.setAttribute("height", wrap.scrollHeight);
    var origin = wrap.getBoundingClientRect();
    data.strings.forEach(function (s) {
      if (!visible[s.id]) { return; }
      var p = ends(box(document.getElementById(s.from), origin),
                   box(document.getElementById(s.to), origin));
      var path = document.createElementNS(SVG, "path");
      path.setAttribute("d", "M" + p.x1 + " " + p.y1 + " C" + p.c1x + " " + p.y1 + " " +
                        p.c2x + " " + p.y2 + " " + p.x2 + " " + p.y2);
      path.setAttribute("class", s.done ? "done" : s.health);
      path.setAttribute("data-string", s.id);
      path.setAttribute("data-from", s.from);
      path.setAttribute("data-to", s.to);
      path.setAttribute("data-style", s.style);
      ["x1", "y1", "x2", "y2"].forEach(function (k) { path.setAttribute("data-" + k, p[k]); });
      var title = document.createElementNS(SVG, "title");
      title.textContent = s.label + (s.done ? " (done)" : " (" + s.health + ", slack " +
        (s.slack === null ? "n/a" : s.slack) + ")");
      path.appendChild(title);
      layer.appendChild(path);
    });
  }

  function highlight(el, on) {
    var ids = {};
    var related = {};
    (touching[el] || []).forEach(function (s) {
      ids[s.id] = true; related[s.from] = true; related[s.to] = true;
    });
    highlightSet(ids, related, on);
  }

  function highlightSet(ids, related, on) {
    document.body.classList.toggle("focusing", on);
    layer.querySelectorAll("path").forEach(function (path) {
      path.classList.toggle("hl", on && !!ids[path.getAttribute("data-string")]);
    });
    Object.keys(byEl).forEach(function (el) {
      document.getElementById(el).classList.toggle("hl", on && !!related[el]);
    });
    data.strings.forEach(function (s) {
      document.getElementById(s.id + "-item").classList.toggle("hl", on && !!ids[s.id]);
    });
  }

  Object.keys(byEl).forEach(function (el) {
    var node = document.getElementById(el);
    node.addEventListener("mouseenter", function () { highlight(el, true); });
    node.addEventListener("mouseleave", function () { highlight(el, false); });
    node.addEventListener("focusin", function () { highlight(el, true); });
    node.addEventListener("focusout", function () { highlight(el, false); });
  });
  data.strings.forEach(function (s) {
    var item = document.getElementById(s.id + "-item");
    var ids = {}; ids[s.id] = true;
    var related = {}; related[s.from] = true; related[s.to] = true;
    item.addEventListener("focus", function () { highlightSet(ids, related, true); });
    item.addEventListener("blur", function () { highlightSet(ids, related, false); });
  });
  Object.keys(controls).forEach(function (name) {
    controls[name].addEventListener("change", function () { writeFragment(); apply(); });
  });
  window.addEventListener("hashchange", function () { readFragment(); apply(); });
  var pending = 0;
  window.addEventListener("resize", function () {
    window.cancelAnimationFrame(pending);
    pending = window.requestAnimationFrame(apply);
  });
  readFragment();
  apply();
  document.body.setAttribute("data-board-ready", "true");
}());
