// The web chat: one WebSocket to the helpline, a message log, and a quick exit that leaves at once.
// Nothing is kept but a random session token and the outbox in sessionStorage (gone when the tab closes or on
// quick exit). The outbox holds each message until the server acknowledges it ("ack"), so a message sent as
// the connection broke is sent again after the reconnect (or a reload); its random id lets the server handle
// it once.
(function () {
  "use strict";

  var SESSION_KEY = "chat-session";
  var OUTBOX_KEY = "chat-outbox";
  var DOUBLE_ESCAPE_MS = 1000;
  var FIRST_RETRY_MS = 1000;
  var LONGEST_RETRY_MS = 30000;

  var chat = document.getElementById("chat");
  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("message-input");
  var status = document.getElementById("status");
  var quickExitLink = document.getElementById("quick-exit");
  var quickExitUrl = quickExitLink.getAttribute("data-quick-exit-url") || "about:blank";

  var socket = null;
  var ready = false;
  var leaving = false;
  var retries = 0;
  var retryTimer = null;
  var outbox = readOutbox(); // [{id, text, shown}]: sent, not yet acknowledged; sent again after each "ready"
  var botLocale = null;
  var botDir = null;
  var lastEscape = 0;
  var vanishAfterMs = 0; // vanishing mode: the log is cleared after this long without messages (0: off)
  var vanishTimer = null;

  function readSession() {
    try {
      return window.sessionStorage.getItem(SESSION_KEY);
    } catch (error) {
      return null; // storage can be disabled; the server then starts a new session
    }
  }

  function keepSession(session) {
    try {
      window.sessionStorage.setItem(SESSION_KEY, session);
    } catch (error) {
      /* without storage, a reconnect starts a new conversation */
    }
  }

  function readOutbox() {
    try {
      var kept = JSON.parse(window.sessionStorage.getItem(OUTBOX_KEY) || "[]");
      return Array.isArray(kept)
        ? kept.filter(function (entry) {
            return entry && typeof entry.id === "string" && typeof entry.text === "string";
          })
        : [];
    } catch (error) {
      return [];
    }
  }

  function keepOutbox() {
    try {
      if (outbox.length) {
        window.sessionStorage.setItem(OUTBOX_KEY, JSON.stringify(outbox));
      } else {
        window.sessionStorage.removeItem(OUTBOX_KEY);
      }
    } catch (error) {
      /* without storage the outbox lives as long as the page */
    }
  }

  function acknowledged(id) {
    var before = outbox.length;
    outbox = outbox.filter(function (entry) { return entry.id !== id; });
    if (outbox.length !== before) {
      keepOutbox();
    }
  }

  // Random, not a counter: a counter starts again after a reload, and the server would take a new message
  // for one it already handled.
  function newFrameId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (byte) { return ("0" + byte.toString(16)).slice(-2); }).join("");
  }

  function frameOf(entry) {
    return JSON.stringify({ type: "message", id: entry.id, text: entry.text });
  }

  function setStatus(state) {
    status.textContent = status.getAttribute("data-" + state) || "";
    status.setAttribute("data-state", state);
  }

  function scrollToEnd() {
    log.scrollTop = log.scrollHeight;
  }

  function addMessage(who, text) {
    var message = document.createElement("div");
    message.className = "msg " + who;
    var bubble = document.createElement("p");
    bubble.className = "msg-text";
    bubble.textContent = text; // never innerHTML: replies are shown exactly as text
    message.appendChild(bubble);
    log.appendChild(message);
    scrollToEnd();
    restartVanishing();
    return message;
  }

  function clearLog() {
    log.replaceChildren();
  }

  function restartVanishing() {
    if (vanishTimer !== null) {
      window.clearTimeout(vanishTimer);
      vanishTimer = null;
    }
    if (vanishAfterMs > 0) {
      vanishTimer = window.setTimeout(clearLog, vanishAfterMs);
    }
  }

  // After an erase the server knows nothing of this session: start a new one, with nothing kept.
  function startNewSession() {
    try {
      window.sessionStorage.removeItem(SESSION_KEY);
    } catch (error) {
      /* nothing stored */
    }
    outbox = []; // nothing of the erased conversation is sent into the new one
    keepOutbox();
    vanishAfterMs = 0;
    restartVanishing();
    var old = socket;
    socket = null;
    ready = false;
    if (old) {
      old.close();
    }
    connect();
  }

  // The page's own words in the language the person is answered in (sent on "ready" and on a switch).
  function showInterface(data) {
    if (!data.text || typeof data.text !== "object") {
      return;
    }
    var text = data.text;
    Array.prototype.forEach.call(document.querySelectorAll("[data-text]"), function (element) {
      var value = text[element.getAttribute("data-text")];
      if (typeof value === "string") {
        element.textContent = value;
      }
    });
    [["data-text-placeholder", "placeholder"], ["data-text-aria-label", "aria-label"]].forEach(function (pair) {
      Array.prototype.forEach.call(document.querySelectorAll("[" + pair[0] + "]"), function (element) {
        var value = text[element.getAttribute(pair[0])];
        if (typeof value === "string") {
          element.setAttribute(pair[1], value);
        }
      });
    });
    ["connecting", "connected", "reconnecting"].forEach(function (state) {
      if (typeof text[state] === "string") {
        status.setAttribute("data-" + state, text[state]);
      }
    });
    setStatus(status.getAttribute("data-state") || "connecting");
    if (data.locale) {
      document.documentElement.lang = data.locale;
      document.documentElement.dir = data.dir === "rtl" ? "rtl" : "ltr";
    }
  }

  function addBotMessage(text, buttons, extraClass, locale, dir) {
    var message = addMessage("bot" + (extraClass ? " " + extraClass : ""), text);
    if (locale || botLocale) {
      message.lang = locale || botLocale;
      message.dir = dir || botDir || "auto";
    }
    if (buttons && buttons.length) {
      var group = document.createElement("div");
      group.className = "reply-buttons";
      group.setAttribute("role", "group");
      buttons.forEach(function (choice) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = choice.title;
        button.addEventListener("click", function () {
          send(choice.payload, choice.title);
        });
        group.appendChild(button);
      });
      message.appendChild(group);
    }
    scrollToEnd();
    return message;
  }

  function send(text, shownAs) {
    if (leaving || !text || !text.trim()) {
      return;
    }
    addMessage("me", shownAs || text);
    var entry = { id: newFrameId(), text: text, shown: shownAs || text };
    outbox.push(entry);
    keepOutbox();
    if (ready && socket && socket.readyState === WebSocket.OPEN) {
      socket.send(frameOf(entry));
    } // else: sent after the next "ready"
  }

  function onFrame(event) {
    var data;
    try {
      data = JSON.parse(event.data);
    } catch (error) {
      return;
    }
    if (data.type === "ready") {
      keepSession(data.session);
      botLocale = data.locale;
      botDir = data.dir;
      showInterface(data);
      ready = true;
      retries = 0;
      setStatus("connected");
      outbox.forEach(function (entry) {
        if (socket.readyState === WebSocket.OPEN) {
          socket.send(frameOf(entry));
        }
      });
    } else if (data.type === "ack") {
      acknowledged(data.id);
    } else if (data.type === "interface") {
      botLocale = data.locale;
      botDir = data.dir;
      showInterface(data);
    } else if (data.type === "reply") {
      var buttons = Array.isArray(data.buttons) ? data.buttons : [];
      // A counsellor's words look different from the bot's, so the person knows a human is writing.
      var kind = data.from === "counsellor" ? "counsellor" : data.from === "system" ? "system" : "";
      if (data.clear) {
        clearLog();
      }
      if (typeof data.vanish_after_s === "number") {
        vanishAfterMs = data.vanish_after_s * 1000;
      }
      var shown = addBotMessage(String(data.text || ""), buttons, kind, data.locale, data.dir);
      if (typeof data.disappear_after_s === "number") {
        window.setTimeout(function () { shown.remove(); }, data.disappear_after_s * 1000);
      }
      if (data.forget_session) {
        startNewSession();
      }
    } else if (data.type === "error") {
      addBotMessage(String(data.text || ""), [], "error");
      if (data.reply_to) {
        acknowledged(data.reply_to); // answered with the reason: the person sends it again if they wish
      }
    }
  }

  function connect() {
    retryTimer = null;
    if (leaving) {
      return;
    }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var current = new WebSocket(scheme + window.location.host + chat.getAttribute("data-socket-path"));
    socket = current;
    current.addEventListener("open", function () {
      current.send(
        JSON.stringify({
          type: "hello",
          session: readSession(),
          languages: Array.prototype.slice.call(navigator.languages || [navigator.language]),
        })
      );
    });
    current.addEventListener("message", onFrame);
    current.addEventListener("close", function () {
      if (socket !== current) {
        return;
      }
      ready = false;
      socket = null;
      if (!leaving) {
        reconnectLater();
      }
    });
  }

  function reconnectLater() {
    setStatus("reconnecting");
    // Exponential backoff with jitter, so a restarted server is not hit by every browser at once.
    var delay = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, retries));
    retries += 1;
    retryTimer = window.setTimeout(connect, delay / 2 + Math.random() * (delay / 2));
  }

  function quickExit(event) {
    if (event) {
      event.preventDefault();
    }
    leaving = true;
    try {
      window.sessionStorage.clear();
    } catch (error) {
      /* nothing stored */
    }
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
    }
    if (socket) {
      socket.close();
      socket = null;
    }
    outbox = [];
    log.replaceChildren();
    input.value = "";
    // replace(), not assign(): the back button must not lead here again.
    window.location.replace(quickExitUrl);
  }

  quickExitLink.addEventListener("click", quickExit);

  Array.prototype.forEach.call(document.querySelectorAll(".privacy-action"), function (button) {
    button.addEventListener("click", function () {
      send(button.getAttribute("data-payload"), button.textContent);
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.isComposing) {
      return;
    }
    var now = Date.now();
    if (now - lastEscape <= DOUBLE_ESCAPE_MS) {
      quickExit(event);
    } else {
      lastEscape = now;
    }
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    send(input.value);
    input.value = "";
    input.focus();
  });

  window.addEventListener("online", function () {
    if (retryTimer !== null) {
      window.clearTimeout(retryTimer);
      connect();
    }
  });

  // After a reload: what was typed and not yet acknowledged shows again, and goes after "ready".
  outbox.forEach(function (entry) {
    addMessage("me", String(entry.shown || entry.text || ""));
  });
  setStatus("connecting");
  connect();
})();
