/*
 * Autosave for the intake interview's draft.
 *
 * Each <form data-autosave> is one section. A change is sent to the server
 * shortly after the typing stops, when a field loses focus, and when the page
 * is left. The post is the same one the form's own submit button makes (so the
 * page works without this script) plus an X-Autosave header; the server
 * replies with JSON that contains the section's new version.
 *
 * When the session has expired, the text stays in the page, a warning with a
 * login link (new tab) appears, and the save is tried again when the page gets
 * focus back. The CSRF token is read from the cookie at each send, because
 * logging in again gives a new token.
 */
(function () {
  "use strict";

  var TYPING_PAUSE_MS = 1500;
  var RETRY_MS = 30000;
  var config = document.getElementById("autosave-config");
  if (!config || !window.fetch || !window.FormData) {
    return;
  }

  function message(name, time) {
    return (config.dataset[name] || "").replace("{time}", time || "");
  }

  function csrfToken(form) {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (match) {
      return decodeURIComponent(match[1]);
    }
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function Section(form) {
    this.form = form;
    this.status = form.querySelector(".autosave-status");
    this.version = form.querySelector("input[name$='loaded_version']");
    this.dirty = false;
    this.sending = null;
    this.timer = null;
    this.stopped = false;
    this.submitting = false;
    form.addEventListener("input", this.changed.bind(this, TYPING_PAUSE_MS));
    form.addEventListener("change", this.changed.bind(this, 0));
    form.addEventListener("submit", this.submitted.bind(this));
  }

  // The section's own save button. Leaving the last field has usually just
  // sent an autosave, which raises the section's version. Posting the form
  // before that reply comes would send the old version, and the server would
  // report the user's own save as a conflict. So the post waits for the reply,
  // which puts the new version into the form.
  // A second click while the first one's post is waiting or on its way posts
  // nothing: it would carry the same version and be refused as a conflict.
  // NOTE: no browser test covers this; the race needs a slow network.
  Section.prototype.submitted = function (event) {
    var form = this.form;
    if (this.submitting) {
      event.preventDefault();
      return;
    }
    this.submitting = true;
    window.clearTimeout(this.timer);
    this.stopped = true;
    this.dirty = false;
    if (this.sending) {
      event.preventDefault();
      this.sending.then(function () {
        form.submit();
      });
    }
  };

  Section.prototype.show = function (text, kind) {
    if (!this.status) {
      return;
    }
    this.status.textContent = "";
    this.status.className = "autosave-status small text-" + (kind || "body-secondary");
    this.status.appendChild(document.createTextNode(text));
    if (kind === "warning") {
      var link = document.createElement("a");
      link.href = config.dataset.loginUrl;
      link.target = "_blank";
      link.rel = "noopener";
      link.className = "ms-1";
      link.textContent = message("msgLogin");
      this.status.appendChild(link);
    }
  };

  Section.prototype.changed = function (delay) {
    if (this.stopped) {
      return;
    }
    this.dirty = true;
    this.show(message("msgUnsaved"));
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(this.save.bind(this, false), delay);
  };

  Section.prototype.save = function (leaving) {
    var self = this;
    window.clearTimeout(this.timer);
    if (!this.dirty || this.stopped) {
      return this.sending || Promise.resolve();
    }
    if (this.sending) {
      // One post at a time per section, so the version sent is always current.
      return this.sending.then(function () {
        return self.save(leaving);
      });
    }

    this.dirty = false;
    this.show(message("msgSaving"));
    // Django reads the token in the body before the header, so both get the
    // current one, because the hidden field still contains the old login's token.
    var token = csrfToken(this.form);
    var body = new FormData(this.form);
    body.set("csrfmiddlewaretoken", token);
    this.sending = window
      .fetch(this.form.action, {
        method: "POST",
        body: body,
        headers: { "X-Autosave": "1", "X-CSRFToken": token },
        credentials: "same-origin",
        redirect: "manual",
        keepalive: Boolean(leaving),
      })
      .then(function (response) {
        return self.handle(response);
      })
      .catch(function () {
        self.failed(message("msgOffline"));
      })
      .then(function () {
        self.sending = null;
      });
    return this.sending;
  };

  Section.prototype.handle = function (response) {
    var self = this;
    var isJson = (response.headers.get("Content-Type") || "").indexOf("json") !== -1;
    if (response.type === "opaqueredirect" || response.status === 403 || !isJson) {
      // A redirect to the login page, or a stale CSRF token after a new login.
      this.failed(message("msgExpired"), "warning");
      return null;
    }
    return response.json().then(function (reply) {
      if (self.version && reply.version !== undefined) {
        self.version.value = reply.version;
      }
      if (reply.status === "saved") {
        self.show(message("msgSaved", reply.saved_at), "success");
      } else if (reply.status === "invalid") {
        self.show(message("msgInvalid") + " " + reply.errors.join(" "), "danger");
      } else {
        self.stopped = true;
        self.show(reply.message, "danger");
      }
    });
  };

  Section.prototype.failed = function (text, kind) {
    this.dirty = true;
    this.show(text, kind || "danger");
  };

  var sections = Array.prototype.map.call(
    document.querySelectorAll("form[data-autosave]"),
    function (form) {
      return new Section(form);
    }
  );

  function saveAll(leaving) {
    return Promise.all(
      sections.map(function (section) {
        return section.save(leaving);
      })
    );
  }

  function retryIfVisible() {
    if (document.visibilityState === "visible") {
      saveAll(false);
    }
  }

  window.addEventListener("focus", retryIfVisible);
  window.addEventListener("online", retryIfVisible);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      saveAll(true);
    } else {
      saveAll(false);
    }
  });
  window.addEventListener("pagehide", function () {
    saveAll(true);
  });
  // A page restored from the back-forward cache must save and submit again.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      sections.forEach(function (section) {
        section.submitting = false;
        section.stopped = false;
      });
    }
  });
  window.setInterval(retryIfVisible, RETRY_MS);

  // Buttons that leave the page (add a row, remove one, finish) first wait
  // for the sections still being saved, so nothing typed is lost on the way.
  // The buttons carry no name or value, so submit() loses nothing.
  document.querySelectorAll("form[data-save-first]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      saveAll(false).then(function () {
        form.submit();
      });
    });
  });
})();
