// The counsellor console: the inbox and a chat kept current over WebSockets, without reloading.
// Every page works without this script (plain forms); this only adds live updates and sending in place.
// Text from the server is always set with textContent, never as HTML. Every word it shows comes from the
// page (body's data-words, translated by the server into the staff member's language).
(function () {
  "use strict";

  var FIRST_RETRY_MS = 1000;
  var LONGEST_RETRY_MS = 30000;
  var TICK_MS = 10000;
  var NO_SESSION = 4401;
  var REFUSED = 4403;

  var body = document.body;
  var base = body.getAttribute("data-base") || "";
  var csrf = body.getAttribute("data-csrf") || "";
  var liveStatus = document.getElementById("live-status");
  var words = {};
  try {
    words = JSON.parse(body.getAttribute("data-words") || "{}");
  } catch (error) {
    words = {};
  }
  var ALERT_KEY = "helpline.console.urgentAlert"; // "on" in localStorage: sound and title flash

  function word(key) {
    return words[key] || key;
  }

  // "%(minutes)s min" with {minutes: 12} → "12 min"
  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)s/g, function (_match, name) {
      return String(values[name]);
    });
  }

  function setLive(state, text) {
    if (!liveStatus) return;
    liveStatus.setAttribute("data-state", state);
    liveStatus.textContent = text;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function badge(kind, text) {
    return el("span", "badge" + (kind ? " " + kind : ""), text);
  }

  function socketUrl(path) {
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + path;
  }

  // One socket that says hello (with the CSRF token) and reconnects with a growing pause.
  function live(path, hello, onFrame, onEnd) {
    var retries = 0;
    var socket = null;
    var stopped = false;

    function connect() {
      setLive("connecting", word("connecting"));
      socket = new WebSocket(socketUrl(path));
      socket.addEventListener("open", function () {
        socket.send(JSON.stringify(hello()));
        retries = 0;
        setLive("online", word("live"));
      });
      socket.addEventListener("message", function (event) {
        var frame;
        try {
          frame = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        onFrame(frame);
      });
      socket.addEventListener("close", function (event) {
        socket = null;
        if (event.code === NO_SESSION) {
          window.location.assign(base + "/login");
          return;
        }
        if (event.code === REFUSED || stopped) {
          setLive("offline", word("stopped"));
          if (onEnd) onEnd();
          return;
        }
        setLive("offline", word("lost"));
        var wait = Math.min(LONGEST_RETRY_MS, FIRST_RETRY_MS * Math.pow(2, retries));
        retries += 1;
        window.setTimeout(connect, wait);
      });
    }

    connect();
    return {
      send: function (frame) {
        if (!socket || socket.readyState !== WebSocket.OPEN) return false;
        socket.send(JSON.stringify(frame));
        return true;
      },
      stop: function () {
        stopped = true;
        if (socket) socket.close();
      },
    };
  }

  function waited(createdMs, offsetMs) {
    var seconds = Math.max(0, Math.floor((Date.now() + offsetMs - createdMs) / 1000));
    if (seconds < 60) return fill(word("seconds"), { seconds: seconds });
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return fill(word("minutes"), { minutes: minutes });
    return fill(word("hours"), { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
  }

  // ---- The inbox ----
  function inbox(table) {
    var tbody = table.querySelector("tbody");
    var offeredEmpty = document.getElementById("offered-empty");
    var mine = document.getElementById("mine");
    var mineEmpty = document.getElementById("mine-empty");
    var offsetMs = Number(table.getAttribute("data-now-ms")) - Date.now();

    function claimForm(ticket) {
      var form = el("form");
      form.method = "post";
      form.action = base + "/tickets/" + encodeURIComponent(ticket.id) + "/claim";
      var token = el("input");
      token.type = "hidden";
      token.name = "csrf";
      token.value = csrf;
      var button = el("button", "primary", word("claim"));
      button.type = "submit";
      form.appendChild(token);
      form.appendChild(button);
      return form;
    }

    function offeredRow(ticket) {
      var row = el("tr", "ticket" + (ticket.urgent ? " urgent" : ""));
      row.setAttribute("data-ticket", ticket.id);
      var cells = [el("td"), el("td", "nickname"), el("td", null, ticket.language),
        el("td", null, ticket.country), el("td", "waited", ticket.waited), el("td", null, ticket.topic), el("td")];
      cells[0].appendChild(ticket.urgent ? badge("urgent", word("urgent")) : badge("", word("normal")));
      cells[1].appendChild(el("bdi", null, ticket.nickname));
      if (ticket.mismatch) {
        cells[2].appendChild(document.createTextNode(" "));
        cells[2].appendChild(badge("mismatch", word("mismatch")));
      }
      if (ticket.local_time) {
        cells[3].appendChild(document.createTextNode(" "));
        cells[3].appendChild(el("span", "local-time", ticket.local_time));
      }
      cells[4].setAttribute("data-created-ms", String(ticket.created_ms));
      cells[6].appendChild(claimForm(ticket));
      cells.forEach(function (cell) { row.appendChild(cell); });
      return row;
    }

    function mineItem(ticket) {
      var item = el("li");
      item.setAttribute("data-ticket", ticket.id);
      var link = el("a");
      link.appendChild(el("bdi", null, ticket.nickname));
      link.href = base + "/chats/" + encodeURIComponent(ticket.id);
      item.appendChild(link);
      var place = ticket.country + (ticket.local_time ? " · " + ticket.local_time : "");
      var meta = el("span", "meta", " " + ticket.language + " · " + place);
      if (ticket.urgent) meta.appendChild(badge("urgent", word("urgent")));
      if (ticket.mismatch) meta.appendChild(badge("mismatch", word("mismatch")));
      item.appendChild(meta);
      return item;
    }

    // Urgent tickets already on the page when it opened are not new; the alert is for later ones.
    var urgentSeen = {};
    table.querySelectorAll("tr.ticket.urgent[data-ticket]").forEach(function (row) {
      urgentSeen[row.getAttribute("data-ticket")] = true;
    });

    function render(snapshot) {
      offsetMs = snapshot.now_ms - Date.now();
      var fresh = snapshot.offered.filter(function (ticket) {
        return ticket.urgent && !urgentSeen[ticket.id];
      });
      fresh.forEach(function (ticket) { urgentSeen[ticket.id] = true; });
      if (fresh.length) urgentAlert();
      tbody.replaceChildren.apply(tbody, snapshot.offered.map(offeredRow));
      offeredEmpty.hidden = snapshot.offered.length > 0;
      mine.replaceChildren.apply(mine, snapshot.mine.map(mineItem));
      mineEmpty.hidden = snapshot.mine.length > 0;
      document.getElementById("holding").textContent = String(snapshot.holding);
      document.getElementById("capacity").textContent = String(snapshot.capacity);
    }

    window.setInterval(function () {
      table.querySelectorAll("[data-created-ms]").forEach(function (cell) {
        cell.textContent = waited(Number(cell.getAttribute("data-created-ms")), offsetMs);
      });
    }, TICK_MS);

    live(table.getAttribute("data-live-path"), function () {
      return { type: "hello", csrf: csrf };
    }, function (frame) {
      if (frame.type === "queue") render(frame);
    });
  }

  // ---- A chat ----
  var WHO = { survivor: word("survivor"), counsellor: word("counsellor"), system: word("system") };

  function chat(logList) {
    var after = logList.getAttribute("data-after") || "0-0";
    var seen = {};
    var composer = document.getElementById("composer");
    var noteForm = document.getElementById("note-form");
    var notes = document.getElementById("notes");

    function scrollToEnd() {
      logList.scrollTop = logList.scrollHeight;
    }

    function addMessage(frame) {
      if (seen[frame.entry_id]) return;
      seen[frame.entry_id] = true;
      after = frame.entry_id;
      var item = el("li", "msg " + frame.sender);
      item.appendChild(el("span", "who", WHO[frame.sender] || frame.sender));
      var text = el("p", "msg-text", frame.text);
      text.setAttribute("dir", "auto");
      item.appendChild(text);
      if (frame.untranslated) {
        item.appendChild(el("p", "msg-translation untranslated", logList.getAttribute("data-mt-failed")));
      } else if (typeof frame.translation === "string") {
        // Machine translation, beside the original and marked as such.
        var shown = el("p", "msg-translation");
        shown.appendChild(badge("mt", logList.getAttribute("data-mt-label")));
        shown.appendChild(document.createTextNode(" "));
        var translated = el("span", "mt-text", frame.translation);
        translated.setAttribute("dir", "auto");
        shown.appendChild(translated);
        item.appendChild(shown);
      }
      logList.appendChild(item);
      scrollToEnd();
    }

    function ended(status) {
      setLive("offline", word("ended"));
      if (status === "erased") {
        var note = el("li", "msg system erased", word("erased"));
        logList.appendChild(note);
        scrollToEnd();
      }
      // An ended chat is read only: no messages, no notes.
      [composer, noteForm].forEach(function (form) {
        if (!form) return;
        form.querySelectorAll("textarea, button").forEach(function (control) { control.disabled = true; });
      });
    }

    var socket = live(logList.getAttribute("data-live-path"), function () {
      return { type: "hello", csrf: csrf, after: after };
    }, function (frame) {
      if (frame.type === "message") addMessage(frame);
      else if (frame.type === "note") {
        var note = el("li", null, frame.text);
        note.setAttribute("dir", "auto");
        notes.appendChild(note);
      } else if (frame.type === "ended") {
        socket.stop();
        ended(frame.status);
      } else if (frame.type === "error") setLive("error", frame.message);
    });

    // With the socket open, a message or note goes through it (no reload); otherwise the form posts.
    function sendInPlace(form, kind) {
      if (!form) return;
      var input = form.querySelector("textarea");
      form.addEventListener("submit", function (event) {
        // A button with its own action (translate and preview) posts the form as it is.
        if (event.submitter && event.submitter.hasAttribute("formaction")) return;
        var text = input.value.trim();
        if (!text) return;
        if (socket.send({ type: kind, text: text })) {
          event.preventDefault();
          input.value = "";
          input.focus();
        }
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }

    sendInPlace(composer, "send");
    sendInPlace(noteForm, "note");
    scrollToEnd();

    var insert = document.getElementById("canned-insert");
    if (insert && composer) {
      insert.addEventListener("click", function () {
        var select = document.getElementById("canned");
        var option = select.options[select.selectedIndex];
        var input = composer.querySelector("textarea");
        input.value = option ? option.getAttribute("data-body") : input.value;
        input.focus();
      });
    }
  }

  // ---- The alert for a new urgent ticket: off unless the counsellor turns it on (Settings) ----
  function alertOn() {
    try {
      return window.localStorage.getItem(ALERT_KEY) === "on";
    } catch (error) {
      return false; // storage refused (private mode): no alert
    }
  }

  var audio = null;

  // A tiny beep made here (WebAudio), never a sound file fetched from anywhere.
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      if (audio.state === "suspended") {
        var resumed = audio.resume(); // refused until the page is used once: the title still flashes
        if (resumed && resumed.catch) resumed.catch(function () {});
      }
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      var now = audio.currentTime;
      tone.type = "sine";
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.2, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.25);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.3);
    } catch (error) {
      audio = null; // no sound where the browser forbids it; the title still flashes
    }
  }

  var flashing = null;
  var calmTitle = document.title;

  function stopFlash() {
    if (flashing === null) return;
    window.clearInterval(flashing);
    flashing = null;
    document.title = calmTitle;
  }

  function flashTitle() {
    stopFlash();
    calmTitle = document.title;
    var loud = "(!) " + word("new_urgent");
    var turns = 0;
    document.title = loud;
    flashing = window.setInterval(function () {
      turns += 1;
      document.title = turns % 2 ? calmTitle : loud;
      // Until the counsellor looks (the page visible and focused, after a few flashes).
      if (turns >= 6 && !document.hidden && document.hasFocus()) stopFlash();
    }, 1000);
  }

  function urgentAlert() {
    if (!alertOn()) return;
    beep();
    flashTitle();
  }

  window.addEventListener("focus", function () {
    if (flashing !== null) window.setTimeout(stopFlash, 3000);
  });
  // Browsers let a page play sound only after someone used it: the first click or key readies the beep.
  ["pointerdown", "keydown"].forEach(function (kind) {
    document.addEventListener(kind, function ready() {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (alertOn() && Context && !audio) {
        try {
          audio = new Context();
        } catch (error) {
          audio = null;
        }
      }
    }, { once: true });
  });

  function alertSetting() {
    var box = document.getElementById("urgent-alert");
    if (!box) return;
    document.getElementById("urgent-alert-setting").hidden = false;
    document.getElementById("urgent-alert-nojs").hidden = true;
    box.checked = alertOn();
    box.addEventListener("change", function () {
      try {
        if (box.checked) window.localStorage.setItem(ALERT_KEY, "on");
        else window.localStorage.removeItem(ALERT_KEY);
      } catch (error) {
        box.checked = false;
        return;
      }
      if (box.checked) beep(); // what it will sound like
    });
  }

  // ---- Keyboard shortcuts (listed under "Shortcuts" on every page) ----
  // Letters act only outside text fields, without Ctrl/Cmd/Alt; Ctrl/Cmd+Enter sends from the text fields.
  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function shortcuts() {
    var help = document.getElementById("shortcuts");
    document.addEventListener("keydown", function (event) {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
      if (typing(event.target)) return;
      var key = event.key;
      if (key === "Escape" && help && help.open) {
        help.open = false;
        return;
      }
      var act = {
        "?": function () {
          if (help) help.open = !help.open;
        },
        c: function () {
          var claim = document.querySelector("#offered tbody tr.ticket button[type=submit]");
          if (claim) claim.click();
        },
        w: function () {
          var input = document.getElementById("message-text");
          if (input && !input.disabled) input.focus();
        },
        r: function () {
          var outcome = document.getElementById("outcome");
          if (outcome) {
            outcome.scrollIntoView({ block: "center" });
            outcome.focus();
          }
        },
      }[key];
      if (!act) return;
      event.preventDefault();
      act();
    });
  }

  var offered = document.getElementById("offered");
  if (offered) inbox(offered);
  var chatLog = document.getElementById("chat-log");
  if (chatLog) chat(chatLog);
  var alertState = document.getElementById("urgent-alert-state");
  if (alertState) alertState.hidden = !alertOn();
  alertSetting();
  shortcuts();
})();
