// Operations screens: buttons and forms call the JSON API with the session's CSRF token, then
// the page reloads so what it shows is always what the server computed (clocks included).
(function () {
  "use strict";
  var configNode = document.getElementById("desk-config");
  var config = configNode ? JSON.parse(configNode.textContent) : {};
  var errorBox = document.getElementById("ops-error");

  function showError(text) {
    if (!errorBox) { return; }
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  function call(method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": config.csrf || "" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) { throw new Error(data.detail || data.title || String(response.status)); }
        return data;
      });
    });
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name) { return; }
      if (field.hasAttribute("data-bool")) { body[field.name] = field.checked; return; }
      if (field.value === "") { return; }
      body[field.name] = field.hasAttribute("data-number") ? Number(field.value) : field.value;
    });
    return body;
  }

  document.querySelectorAll("[data-post]").forEach(function (button) {
    button.addEventListener("click", function () {
      button.disabled = true;
      call("POST", button.getAttribute("data-post"), {})
        .then(function () { window.location.reload(); })
        .catch(function (error) { button.disabled = false; showError(error.message); });
    });
  });

  document.querySelectorAll("form[data-api]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var method = form.getAttribute("data-method") || "POST";
      call(method, form.getAttribute("data-api"), formBody(form))
        .then(function (data) {
          var go = form.getAttribute("data-go");
          if (go && data.sid) { window.location.assign(go + data.sid); } else { window.location.reload(); }
        })
        .catch(function (error) { showError(error.message); });
    });
  });

  var impact = document.getElementById("impact");
  if (impact) {
    var propose = function () {
      var body = formBody(document.getElementById("new-incident"));
      var query = new URLSearchParams();
      ["affected_users_pct", "total_outage", "emergency", "partial_interruption", "degraded"]
        .forEach(function (name) { if (body[name] !== undefined) { query.set(name, body[name]); } });
      fetch("/ops/severity-proposal?" + query.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          var words = config.messages || {};
          document.getElementById("proposed-severity").textContent =
            words["ops.sev." + data.severity] || data.severity;
          document.getElementById("proposed-reason").textContent = "(" + data.reason + ")";
        });
    };
    impact.addEventListener("input", propose);
    impact.addEventListener("change", propose);
    propose();
  }
})();
