// The web chat: sends what the resident types or taps to /chat/api (a photo, when a reply
// asks for one, to /chat/photo) and shows the answers.
// A file, so the page's CSP allows no inline script.
(function () {
  "use strict";
  var root = document.documentElement;
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  var SIZES = ["normal", "large", "larger"];
  // The server keeps who this is in an HttpOnly cookie; an id kept here by older versions
  // of this page is no longer used.
  try { localStorage.removeItem("chiiki-user"); } catch (ignored) { /* storage disabled */ }

  function remembered(key) {
    try { return localStorage.getItem(key); } catch (ignored) { return null; }
  }
  function remember(key, value) {
    try { localStorage.setItem(key, value); } catch (ignored) { /* storage disabled */ }
  }

  // 文字サイズ (標準・大・特大) and the high-contrast colours, as municipal sites offer them;
  // kept in this browser for the next visit.
  function showSize(size) {
    if (SIZES.indexOf(size) < 0) { size = "normal"; }
    SIZES.forEach(function (name) { root.classList.toggle("size-" + name, name === size); });
    document.querySelectorAll("[data-size]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.size === size));
    });
  }
  function showContrast(on) {
    root.classList.toggle("contrast", on);
    document.getElementById("contrast").setAttribute("aria-pressed", String(on));
  }
  document.querySelectorAll("[data-size]").forEach(function (button) {
    button.addEventListener("click", function () {
      showSize(button.dataset.size);
      remember("chiiki-text-size", button.dataset.size);
    });
  });
  document.getElementById("contrast").addEventListener("click", function () {
    var on = !root.classList.contains("contrast");
    showContrast(on);
    remember("chiiki-contrast", on ? "on" : "off");
  });
  showSize(remembered("chiiki-text-size"));
  showContrast(remembered("chiiki-contrast") === "on");

  // The page's own words follow the language the resident reads (the server says which).
  function showLanguage(language, words) {
    if (!language || !words) { return; }
    shownLanguage = {language: language, page: words};
    root.lang = language === "en" ? "en" : "ja";
    document.querySelectorAll("[data-words]").forEach(function (node) {
      if (words[node.dataset.words]) { node.textContent = words[node.dataset.words]; }
    });
    document.querySelectorAll("[data-words-label]").forEach(function (node) {
      if (words[node.dataset.wordsLabel]) { node.setAttribute("aria-label", words[node.dataset.wordsLabel]); }
    });
    if (words.placeholder) { input.placeholder = words.placeholder; }
    if (words.title) { document.title = words.title + " chiiki"; }
  }

  // The recent conversation survives a reload of this tab (sessionStorage: gone when the tab
  // is closed, so a shared computer does not keep it), and is drawn again without asking.
  var HISTORY_KEY = "chiiki-history";
  var HISTORY_LENGTH = 40;
  var history = [];
  var shownLanguage = null;
  function loadHistory() {
    try { return JSON.parse(sessionStorage.getItem(HISTORY_KEY) || "null"); }
    catch (ignored) { return null; }
  }
  function keep(entry) {
    history.push(entry);
    history = history.slice(-HISTORY_LENGTH);
    try { sessionStorage.setItem(HISTORY_KEY, JSON.stringify({entries: history, language: shownLanguage})); }
    catch (ignored) { /* storage full or disabled: the page still works */ }
  }
  function add(cls, text) {
    var item = document.createElement("li");
    item.className = cls;
    var bubble = document.createElement("div");
    bubble.className = "text";
    bubble.textContent = text;
    item.appendChild(bubble);
    log.appendChild(item);
    return item;
  }

  function buttons(choices) {
    var row = document.createElement("div");
    row.className = "choices";
    choices.forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = choice.label;
      button.addEventListener("click", function () {
        send({data: choice.data}, choice.label, true);
      });
      row.appendChild(button);
    });
    return row;
  }

  // A reply that asks for a photo gets a button that opens the device's picker (or camera);
  // the file goes as the request's body, and the server checks what it is by its bytes.
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  function askButtons(asks) {
    var row = document.createElement("div");
    row.className = "choices";
    asks.forEach(function (ask) {
      if (ask.kind !== "photo") { return; }  // a place is typed in the web chat
      var picker = document.createElement("input");
      picker.type = "file";
      picker.accept = PHOTO_TYPES.join(",");
      picker.hidden = true;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ask";
      button.textContent = ask.label;
      button.addEventListener("click", function () { picker.click(); });
      picker.addEventListener("change", function () {
        if (picker.files && picker.files.length) { sendPhoto(picker.files[0], button); }
        picker.value = "";  // the same file picked again is a new try
      });
      row.appendChild(button);
      row.appendChild(picker);
    });
    return row;
  }

  // Bring the start of the answer into view; a chart is only placed once its picture has loaded
  // (before that it has no height), and scroll-padding keeps it clear of the input bar.
  function reveal(first, focus) {
    if (!first) { return; }
    if (focus) {
      // After a button press the pressed button is gone from view: the answer takes focus,
      // so a screen reader reads it and Tab continues with its buttons.
      first.tabIndex = -1;
      first.focus({preventScroll: true});
    }
    first.scrollIntoView({block: "start"});
  }

  function showReplies(replies, focus) {
    var first = null;
    replies.forEach(function (reply) {
      var item = add("bot", reply.text);
      first = first || item;
      (reply.cards || []).forEach(function (card) {
        var box = document.createElement("article");
        box.className = "card";
        var title = document.createElement("h2");
        title.textContent = card.title;
        box.appendChild(title);
        card.lines.forEach(function (line) {
          var text = document.createElement("p");
          text.textContent = line;
          box.appendChild(text);
        });
        box.appendChild(buttons(card.choices));
        item.appendChild(box);
      });
      if (reply.image) {
        // The words of the chart are its alt text, so a screen reader reads the results.
        var picture = document.createElement("img");
        picture.className = "chart";
        picture.alt = reply.image.alt;
        picture.addEventListener("error", function () {
          // A chart lapses after a while (one drawn before a reload): its words stay.
          var words = document.createElement("p");
          words.textContent = reply.image.alt;
          picture.replaceWith(words);
        });
        picture.addEventListener("load", function () {
          picture.scrollIntoView({block: "nearest"});
        });
        picture.src = reply.image.url;
        item.appendChild(picture);
      }
      if (reply.asks && reply.asks.length) { item.appendChild(askButtons(reply.asks)); }
      if (reply.choices.length) { item.appendChild(buttons(reply.choices)); }
    });
    reveal(first, focus);
  }

  function send(payload, shown, fromButton) {
    if (shown) { add("me", shown); keep({me: shown}); }
    payload.language = navigator.language;
    answer(fetch("/chat/api", {method: "POST", credentials: "same-origin",
                               headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(payload)}), fromButton);
  }

  // A photo's refusal (too large, not a picture) describes the button that picked it, so a
  // screen reader says why when the resident comes back to try another.
  var refusals = 0;
  function describeRefusal(button) {
    return function (item) {
      refusals += 1;
      item.id = "photo-refusal-" + refusals;
      button.setAttribute("aria-describedby", item.id);
    };
  }

  function sendPhoto(file, button) {
    var shown = "📷 " + file.name;
    add("me", shown);
    keep({me: shown});
    // Another type (a HEIC photo) goes labelled JPEG: the server reads the bytes, not the label,
    // and answers that it cannot read it.
    var type = PHOTO_TYPES.indexOf(file.type) >= 0 ? file.type : "image/jpeg";
    answer(fetch("/chat/photo?language=" + encodeURIComponent(navigator.language),
                 {method: "POST", credentials: "same-origin",
                  headers: {"Content-Type": type}, body: file}), true, describeRefusal(button));
  }

  // Words for a failure, in the language of the last answer (both languages before the first).
  function failure(name, fallback) {
    var words = shownLanguage && shownLanguage.page;
    return (words && words[name]) || fallback;
  }

  function answer(request, fromButton, onRefusal) {
    request
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.replies) {
          showLanguage(body.language, body.page);
          showReplies(body.replies, fromButton);
          keep({replies: body.replies});
          return;
        }
        var item = add("bot error", body.error ||
          failure("error", "うまくいきませんでした。もう一度ためしてください / Something went wrong. Please try again."));
        if (onRefusal) { onRefusal(item); }
      })
      .catch(function () {
        add("bot error", failure("offline",
          "つながりませんでした。もう一度ためしてください / Could not connect. Please try again."));
      });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({text: text}, text, false);
  });

  var kept = loadHistory();
  if (kept && kept.entries && kept.entries.length) {
    if (kept.language) { showLanguage(kept.language.language, kept.language.page); }
    kept.entries.forEach(function (entry) {
      if (entry.me) { add("me", entry.me); }
      if (entry.replies) { showReplies(entry.replies, false); }
      history.push(entry);
    });
    window.scrollTo(0, document.body.scrollHeight);
  } else {
    send({text: "/start"}, null, false);
  }
})();
