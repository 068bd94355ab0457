/* Cookie choices, our own and vanilla. Without this file the forms post and redirect back and gated
   scripts stay inert; with it, choices save without a page load and allowed scripts run at once.
   Gated scripts are written <script type="text/plain" data-cookie-category="analytics" data-src="...">
   (no src: a script with a src must have a JavaScript type, and an inert one must not fetch anything). */
(function () {
  "use strict";
  var d = document, el = d.getElementById("cc-config");
  if (!el) return;
  var cfg = JSON.parse(el.textContent), allowed = cfg.allowed;
  // Global Privacy Control as a second signal, for browsers that expose it without the header.
  var gpc = navigator.globalPrivacyControl === true;

  function ok(cat) { return allowed.indexOf(cat) > -1; }

  function run() {
    d.querySelectorAll("script[type='text/plain'][data-cookie-category]").forEach(function (old) {
      if (!ok(old.dataset.cookieCategory)) return;
      var s = d.createElement("script");
      for (var i = 0; i < old.attributes.length; i++) {
        var a = old.attributes[i];
        if (a.name !== "type") s.setAttribute(a.name === "data-src" ? "src" : a.name, a.value);
      }
      s.async = false;
      old.replaceWith(s);
    });
  }

  // Delete the declared first-party cookies of every category not allowed ("name" or "prefix*").
  function purge() {
    var names = d.cookie ? d.cookie.split("; ").map(function (c) { return c.split("=")[0]; }) : [];
    Object.keys(cfg.cookies).forEach(function (cat) {
      if (ok(cat)) return;
      cfg.cookies[cat].forEach(function (p) {
        names.forEach(function (n) {
          if (n === p || (p.slice(-1) === "*" && n.indexOf(p.slice(0, -1)) === 0)) {
            d.cookie = n + "=; Max-Age=0; Path=/; SameSite=Lax";
          }
        });
      });
    });
  }

  function post(url, data) {
    if (gpc) data.set("gpc", "1");
    return fetch(url, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    }).then(function (res) {
      allowed = res.allowed;
      purge();
      run();
      return res;
    });
  }

  // A switch's aria-checked says what its box shows.
  d.addEventListener("change", function (e) {
    var c = e.target;
    if (c.matches && c.matches("input[role=switch]")) c.setAttribute("aria-checked", String(c.checked));
  });

  d.addEventListener("submit", function (e) {
    var form = e.target, btn = e.submitter;
    if (!form.matches("[data-cc-form]")) return;
    e.preventDefault();
    var data = new FormData(form);
    data.set("action", btn && btn.value || "save");
    // getAttribute: the buttons are named "action", which shadows form.action.
    post(form.getAttribute("action"), data).then(function (res) {
      form.querySelectorAll("[name=category]").forEach(function (c) {
        c.checked = ok(c.value) || c.disabled;
        c.setAttribute("aria-checked", String(c.checked));
      });
      var status = d.getElementById(form.dataset.ccForm), banner = form.closest("[data-cc-banner]");
      status.textContent = res.message;
      if (banner) {
        // Focus was in the banner, which is gone: continue from the main content, without
        // scrolling the confirmation (where the banner was) out of view.
        var had = banner.contains(d.activeElement), main = d.getElementById("main");
        banner.remove();
        if (had && main) main.focus({ preventScroll: true });
      }
    }, function () {
      // The request failed: fall back to an ordinary post, which saves and redirects back.
      ["action", "gpc"].forEach(function (k) {
        if (!data.has(k)) return;
        var i = d.createElement("input");
        i.type = "hidden";
        i.name = k;
        i.value = data.get(k);
        form.appendChild(i);
      });
      form.submit();
    });
  });

  if (gpc) {
    d.querySelectorAll("[data-cc-gpc]").forEach(function (n) { n.hidden = false; });
    if (cfg.stale.length) {
      // An earlier choice made without GPC: take back what GPC covers, here and on the server.
      allowed = allowed.filter(function (c) { return cfg.stale.indexOf(c) < 0; });
      var body = new FormData();
      body.set("action", "gpc");
      body.set("csrfmiddlewaretoken", cfg.csrf);
      post(cfg.save, body).catch(function () {});
    }
  }
  purge();
  run();
}());
