/*
 * Atende web chat widget. Embed with one tag:
 *   <script src="https://ATENDE_HOST/webchat/widget.js" defer></script>
 * Plain JavaScript, no dependencies. The visitor's token is kept in localStorage, so a page
 * reload (or another tab) continues the same conversation; messages typed while offline are
 * kept and sent again, with the same id, when the socket is back (the server ignores repeats).
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__atendeWebchat) {
    return;
  }
  window.__atendeWebchat = true;

  var base = new URL(script.src, window.location.href);
  var socketUrl = (base.protocol === "https:" ? "wss://" : "ws://") + base.host + "/webchat/ws";
  var TOKEN_KEY = "atende.webchat.token";
  var OPEN_KEY = "atende.webchat.open";
  var PENDING_KEY = "atende.webchat.pending";

  var english = (navigator.language || "").toLowerCase().indexOf("en") === 0;
  var words = english
    ? {
        launcher: "Chat with us",
        title: "Customer service",
        start: "Start a conversation",
        placeholder: "Type your message",
        send: "Send",
        protocol: "Protocol",
        assigned: "An agent joined the conversation.",
        closed: "Conversation closed.",
        offline: "Reconnecting…",
        unavailable: "The chat is not available on this site.",
        close: "Close"
      }
    : {
        launcher: "Fale conosco",
        title: "Atendimento",
        start: "Iniciar conversa",
        placeholder: "Digite sua mensagem",
        send: "Enviar",
        protocol: "Protocolo",
        assigned: "Um atendente entrou na conversa.",
        closed: "Conversa encerrada.",
        offline: "Reconectando…",
        unavailable: "O chat não está disponível neste site.",
        close: "Fechar"
      };

  function storage(kind) {
    try {
      return window[kind];
    } catch (error) {
      return null;
    }
  }
  var local = storage("localStorage");
  var session = storage("sessionStorage");

  function read(store, key) {
    return store ? store.getItem(key) : null;
  }
  function write(store, key, value) {
    if (store) {
      if (value === null) {
        store.removeItem(key);
      } else {
        store.setItem(key, value);
      }
    }
  }

  // --- the interface, in a shadow root so the site's styles and ours never mix -------------

  var host = document.createElement("div");
  host.id = "atende-webchat";
  document.body.appendChild(host);
  var root = host.attachShadow({ mode: "open" });

  var style = document.createElement("style");
  style.textContent = [
    ":host{all:initial;font-family:system-ui,sans-serif;font-size:15px}",
    "[hidden]{display:none !important}",
    ".launcher{position:fixed;right:20px;bottom:20px;border:0;border-radius:24px;",
    "padding:12px 18px;background:#0b6e4f;color:#fff;cursor:pointer;font-size:15px;",
    "box-shadow:0 2px 8px rgba(0,0,0,.3);z-index:2147483000}",
    ".panel{position:fixed;right:20px;bottom:80px;width:340px;max-width:calc(100vw - 40px);",
    "height:480px;max-height:calc(100vh - 120px);display:flex;flex-direction:column;",
    "background:#fff;border-radius:12px;box-shadow:0 4px 16px rgba(0,0,0,.3);",
    "overflow:hidden;z-index:2147483000}",
    "header{background:#0b6e4f;color:#fff;padding:10px 14px;display:flex;",
    "justify-content:space-between;align-items:center}",
    "header small{display:block;opacity:.85}",
    "header button{background:none;border:0;color:#fff;font-size:18px;cursor:pointer}",
    ".log{flex:1;overflow-y:auto;padding:10px;background:#f4f6f5}",
    ".msg{max-width:80%;margin:6px 0;padding:8px 10px;border-radius:10px;",
    "white-space:pre-wrap;word-wrap:break-word}",
    ".in{background:#fff;margin-right:auto}",
    ".out{background:#d7f3e6;margin-left:auto}",
    ".notice{text-align:center;color:#555;font-size:13px;margin:8px 0}",
    ".options{display:flex;flex-wrap:wrap;gap:6px;margin:4px 0 8px}",
    ".options button{border:1px solid #0b6e4f;background:#fff;color:#0b6e4f;",
    "border-radius:14px;padding:6px 10px;cursor:pointer}",
    "form{display:flex;border-top:1px solid #ddd}",
    "input{flex:1;border:0;padding:12px;font-size:15px}",
    "form button,.start{border:0;background:#0b6e4f;color:#fff;padding:0 16px;cursor:pointer}",
    ".start{margin:12px auto;display:block;padding:10px 16px;border-radius:18px}",
    ".status{font-size:12px;color:#a33;text-align:center}"
  ].join("");
  root.appendChild(style);

  function element(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text) {
      node.textContent = text;
    }
    return node;
  }

  var launcher = element("button", { class: "launcher", type: "button" }, words.launcher);
  var panel = element("section", { class: "panel", role: "dialog", "aria-label": words.title });
  panel.hidden = true;
  var header = element("header");
  var heading = element("div");
  heading.appendChild(element("strong", {}, words.title));
  var protocolLine = element("small", { class: "protocol" });
  heading.appendChild(protocolLine);
  var closeButton = element("button", { type: "button", "aria-label": words.close }, "×");
  header.appendChild(heading);
  header.appendChild(closeButton);
  var status = element("div", { class: "status", role: "status" });
  var log = element("div", { class: "log", role: "log", "aria-live": "polite" });
  var startButton = element("button", { class: "start", type: "button" }, words.start);
  startButton.hidden = true;
  var form = element("form");
  var input = element("input", { type: "text", "aria-label": words.placeholder });
  input.placeholder = words.placeholder;
  input.maxLength = 4096;
  var sendButton = element("button", { type: "submit" }, words.send);
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(status);
  panel.appendChild(log);
  panel.appendChild(startButton);
  panel.appendChild(form);
  root.appendChild(launcher);
  root.appendChild(panel);

  // --- state -----------------------------------------------------------------------------

  var socket = null;
  var retryDelay = 500;
  var conversationSid = null;
  var rendered = {};
  var pending = JSON.parse(read(local, PENDING_KEY) || "[]");

  function savePending() {
    write(local, PENDING_KEY, pending.length ? JSON.stringify(pending) : null);
  }

  function newId() {
    return Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function notice(text) {
    log.appendChild(element("p", { class: "notice" }, text));
    scrollDown();
  }

  function removeOptions() {
    Array.prototype.forEach.call(log.querySelectorAll(".options"), function (node) {
      node.remove();
    });
  }

  function renderMessage(message) {
    var existing = rendered[message.sid];
    if (existing) {
      existing.dataset.status = message.status;
      return;
    }
    var bubble = element("div", {
      class: "msg " + (message.direction === "inbound" ? "out" : "in"),
      "data-author": message.author,
      "data-status": message.status
    });
    bubble.textContent = message.text || "[" + message.type + "]";
    rendered[message.sid] = bubble;
    log.appendChild(bubble);
    if (message.direction === "outbound") {
      removeOptions();
    }
    if (message.options && message.options.length) {
      var options = element("div", { class: "options" });
      message.options.forEach(function (option) {
        var button = element("button", { type: "button" }, option.title);
        button.addEventListener("click", function () {
          removeOptions();
          send({ choice: { id: option.id, title: option.title } });
        });
        options.appendChild(button);
      });
      log.appendChild(options);
    }
    scrollDown();
  }

  function showConversation(data) {
    conversationSid = data.sid;
    protocolLine.textContent = words.protocol + ": " + data.protocol;
    startButton.hidden = true;
    form.hidden = false;
  }

  function showIdle() {
    conversationSid = null;
    startButton.hidden = false;
    form.hidden = true;
  }

  // --- the socket --------------------------------------------------------------------------

  function transmit(payload) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(payload));
      return true;
    }
    return false;
  }

  function send(body) {
    var message = Object.assign({ type: "message", id: newId() }, body);
    pending.push(message);
    savePending();
    transmit(message);
  }

  function connect() {
    socket = new WebSocket(socketUrl);
    socket.addEventListener("open", function () {
      retryDelay = 500;
      status.textContent = "";
      socket.send(JSON.stringify({ type: "hello", token: read(local, TOKEN_KEY) }));
    });
    socket.addEventListener("message", function (event) {
      var data = JSON.parse(event.data);
      if (data.type === "welcome") {
        write(local, TOKEN_KEY, data.token);
        pending.forEach(transmit);
      } else if (data.type === "conversation") {
        showConversation(data);
      } else if (data.type === "idle") {
        showIdle();
      } else if (data.type === "message") {
        renderMessage(data.message);
      } else if (data.type === "ack") {
        pending = pending.filter(function (message) {
          return message.id !== data.id;
        });
        savePending();
      } else if (data.type === "state" && data.state === "assigned") {
        notice(words.assigned);
      } else if (data.type === "closed" && data.conversation_sid === conversationSid) {
        notice(words.closed + " " + protocolLine.textContent);
        removeOptions();
        showIdle();
      }
    });
    socket.addEventListener("close", function (event) {
      if (event.code === 1008) {
        // This site is not among those allowed to embed the chat: retrying cannot help.
        status.textContent = words.unavailable;
        startButton.hidden = true;
        form.hidden = true;
        return;
      }
      status.textContent = words.offline;
      window.setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 10000);
    });
  }

  // --- wiring ------------------------------------------------------------------------------

  function setOpen(open) {
    panel.hidden = !open;
    write(session, OPEN_KEY, open ? "1" : null);
    if (open) {
      input.focus();
    }
  }

  launcher.addEventListener("click", function () {
    setOpen(panel.hidden);
  });
  closeButton.addEventListener("click", function () {
    setOpen(false);
  });
  startButton.addEventListener("click", function () {
    startButton.hidden = true;
    transmit({ type: "start" });
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) {
      return;
    }
    input.value = "";
    send({ text: text });
  });

  form.hidden = true;
  if (read(session, OPEN_KEY)) {
    setOpen(true);
  }
  connect();
})();
