// The web chat: sends what the resident types or taps to /chat/api and shows the answers.
// A file, so the page's CSP allows no inline script.
(function () {
  "use strict";
  var log = document.getElementById("log");
  var form = document.getElementById("form");
  var input = document.getElementById("text");
  // The server keeps who this is in an HttpOnly cookie; an id kept here by older versions
  // of this page is no longer used.
  try { localStorage.removeItem("chiiki-user"); } catch (ignored) { /* storage disabled */ }

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
      button.addEventListener("click", function () { send({data: choice.data}, choice.label); });
      row.appendChild(button);
    });
    return row;
  }

  function showReplies(replies) {
    replies.forEach(function (reply) {
      var item = add("bot", reply.text);
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
        picture.src = reply.image.url;
        picture.alt = reply.image.alt;
        item.appendChild(picture);
      }
      if (reply.choices.length) { item.appendChild(buttons(reply.choices)); }
    });
    window.scrollTo(0, document.body.scrollHeight);
  }

  function send(payload, shown) {
    if (shown) { add("me", shown); }
    payload.language = navigator.language;
    fetch("/chat/api", {method: "POST", credentials: "same-origin",
                        headers: {"Content-Type": "application/json"},
                        body: JSON.stringify(payload)})
      .then(function (response) { return response.json(); })
      .then(function (body) {
        if (body.replies) { showReplies(body.replies); }
        else { add("bot error", body.error || "エラーが起きました / Something went wrong"); }
      })
      .catch(function () { add("bot error", "つながりませんでした。もう一度お試しください / Could not connect"); });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (!text) { return; }
    input.value = "";
    send({text: text}, text);
  });

  send({text: "/start"});
})();
