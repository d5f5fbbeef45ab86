// Search as you type: each form marked `data-search` shows, in the element that attribute names,
// the results the server draws for its text (/search/results). Without this script the form is a
// plain GET of /search. Every word shown comes from the server, in the reader's language.
(function () {
  "use strict";
  var WAIT_MS = 150;

  function alertOf(html) {
    var found = new DOMParser().parseFromString(html, "text/html").querySelector("[role=alert]");
    var p = document.createElement("p");
    p.className = "error";
    p.textContent = found ? found.textContent : "";
    return p;
  }

  function enhance(form) {
    var input = form.querySelector("input[name=q]");
    var panel = document.getElementById(form.getAttribute("data-search"));
    var header = panel.hasAttribute("hidden");
    var timer = null;
    var asked = 0;
    if (!input) {
      return;
    }
    function show(text) {
      var ask = ++asked;
      fetch("/search/results?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (answer) {
          return answer.text().then(function (html) {
            if (ask !== asked) {
              return; // a later keystroke's answer is on its way
            }
            if (answer.ok) {
              panel.innerHTML = html;
            } else {
              panel.replaceChildren(alertOf(html));
            }
            panel.hidden = header && !text.trim();
          });
        })
        .catch(function () {
          if (ask === asked) {
            panel.hidden = header; // offline: the form still submits
          }
        });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { show(input.value); }, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header) {
        panel.hidden = true;
      }
    });
    document.addEventListener("click", function (event) {
      if (header && !form.contains(event.target)) {
        panel.hidden = true;
      }
    });
  }

  document.querySelectorAll("form[data-search]").forEach(enhance);
})();
