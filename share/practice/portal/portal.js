// Autosave, upload progress and extra reasons. Every page works without it.
(function () {
  'use strict';
  var root = document.documentElement;
  root.classList.add('js');
  // The words this script shows, in the page's language (the catalogue's portal.js texts).
  var texts = {};
  try { texts = JSON.parse(document.body.getAttribute('data-texts') || '{}'); } catch (err) { texts = {}; }
  function t(key) { return texts[key] || key; }

  // When the browser refuses this script's requests (a Content-Security-Policy
  // without connect-src, a filtering proxy), the page goes back to plain form
  // posts: the Save and Upload buttons show again and nothing typed is lost.
  var plain = false;
  function usePlainForms() {
    if (plain) { return; }
    plain = true;
    root.classList.remove('js');
    document.querySelectorAll('[data-status]').forEach(function (s) {
      if (s.classList.contains('bad') || s.textContent === t('saving') || s.textContent === t('uploading')) {
        s.textContent = t('press_button');
        s.classList.add('bad');
      }
    });
    document.querySelectorAll('progress.upload').forEach(function (b) { b.hidden = true; });
  }
  document.addEventListener('securitypolicyviolation', function (e) {
    var d = e.effectiveDirective || e.violatedDirective || '';
    if (d.indexOf('connect-src') === 0) { usePlainForms(); }
  });

  function setStatus(form, text, bad) {
    var s = form.querySelector('[data-status]');
    if (s) {
      s.textContent = text;
      s.classList.toggle('bad', !!bad);
    }
  }
  // The control an error is about: a fieldset of options, or the one field.
  function described(form) {
    return form.querySelector('fieldset') || form.querySelector('input:not([type=hidden]), textarea');
  }
  function tokens(el, add, id) {
    var list = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(function (t) { return t && t !== id; });
    if (add) { list.push(id); }
    if (list.length) { el.setAttribute('aria-describedby', list.join(' ')); } else { el.removeAttribute('aria-describedby'); }
  }
  // The message next to the question, where the server puts it too.
  function setError(form, message) {
    var section = form.closest('.question');
    if (!section) { return; }
    var box = section.querySelector('.error');
    var control = described(form);
    if (message) {
      if (!box) {
        box = document.createElement('p');
        box.className = 'error';
        box.id = 'e' + section.id.replace(/^q/, '');
        box.setAttribute('role', 'alert');
        var anchor = section.querySelector('legend, label.prompt, h2.prompt');
        anchor.parentNode.insertBefore(box, anchor.nextSibling);
      }
      box.textContent = message;
      section.classList.add('has-error');
      if (control) {
        if (control.tagName !== 'FIELDSET') { control.setAttribute('aria-invalid', 'true'); }
        tokens(control, true, box.id);
      }
    } else if (box) {
      section.classList.remove('has-error');
      if (control) {
        control.removeAttribute('aria-invalid');
        tokens(control, false, box.id);
      }
      box.remove();
    }
  }
  function setProgress(j) {
    if (typeof j.answered !== 'number') { return; }
    var a = document.querySelector('[data-answered]');
    var bar = document.getElementById('progress-bar');
    if (a) { a.textContent = j.answered; }
    if (bar) { bar.value = j.answered; }
  }
  function reply(r) {
    return r.json().then(function (j) { return { status: r.status, body: j }; },
      function () { return { status: r.status, body: { error: { message: t('not_saved_retry') } } }; });
  }

  // One saver per answer form: at most one save in flight, and the newest
  // value always goes last, so a slow reply never overwrites a newer answer.
  var savers = [];
  function Saver(form) {
    var timer = null;
    var inflight = null;
    var again = false;
    function send(keepalive) {
      clearTimeout(timer);
      timer = null;
      if (plain) { return Promise.resolve(); }
      // (Leaving the page, the newest value cannot wait for the one in flight.)
      if (inflight && !keepalive) {
        again = true;
        return inflight;
      }
      setStatus(form, t('saving'));
      var body = new URLSearchParams(new FormData(form));
      inflight = fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin', keepalive: !!keepalive,
        headers: { 'Accept': 'application/json' } })
        .then(reply)
        .then(function (x) {
          if (again) { return; }
          if (x.body.ok) {
            setError(form, '');
            setStatus(form, t('saved'));
            setProgress(x.body);
          } else {
            setError(form, x.body.error && x.body.error.message);
            setStatus(form, t('not_saved'), true);
          }
        }, function () {
          if (!plain) { setStatus(form, t('offline'), true); }
        })
        .then(function () {
          inflight = null;
          if (again) {
            again = false;
            return send();
          }
        });
      return inflight;
    }
    var self = {
      later: function () {
        clearTimeout(timer);
        setStatus(form, '');
        timer = setTimeout(function () { send(); }, 700);
      },
      now: function () { return send(); },
      // Whatever is typed and not saved yet, saved now.
      flush: function (keepalive) {
        if (timer) { return send(keepalive); }
        return inflight || Promise.resolve();
      },
      busy: function () { return timer !== null || inflight !== null; }
    };
    savers.push(self);
    return self;
  }
  function flushAll(keepalive) {
    return Promise.all(savers.map(function (s) { return s.flush(keepalive); }));
  }

  document.querySelectorAll('form[data-autosave]').forEach(function (form) {
    var saver = Saver(form);
    form.addEventListener('input', function (e) {
      if (plain || e.target.type === 'radio' || e.target.type === 'checkbox') { return; }
      saver.later();
    });
    form.addEventListener('change', function () {
      if (!plain) { saver.now(); }
    });
    form.addEventListener('submit', function (e) {
      if (plain) { return; }
      e.preventDefault();
      saver.now();
    });
  });

  // Leaving the page: what is still waiting for its pause in typing goes now.
  window.addEventListener('pagehide', function () { flushAll(true); });

  // Submit only once every answer given is saved.
  document.querySelectorAll('form[data-submit]').forEach(function (form) {
    form.addEventListener('submit', function (e) {
      if (plain || !savers.some(function (s) { return s.busy(); })) { return; }
      e.preventDefault();
      var done = function () { form.submit(); };
      flushAll().then(done, done);
    });
  });

  document.querySelectorAll('form[data-upload]').forEach(function (form) {
    var input = form.querySelector('input[type=file]');
    var bar = form.querySelector('progress.upload');
    function upload() {
      if (!input.files.length) { return; }
      var xhr = new XMLHttpRequest();
      xhr.open('POST', form.action);
      xhr.setRequestHeader('Accept', 'application/json');
      bar.hidden = false;
      bar.value = 0;
      setStatus(form, t('uploading'));
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      };
      xhr.onload = function () {
        var j = {};
        try { j = JSON.parse(xhr.responseText); } catch (err) { j = {}; }
        if (xhr.status === 200 && j.ok) {
          bar.value = 100;
          setStatus(form, t('saved'));
          // The page shows the new list of files; answers still being typed are saved first.
          var reload = function () { window.location.reload(); };
          flushAll().then(reload, reload);
        } else {
          bar.hidden = true;
          setError(form, (j.error && j.error.message) || t('upload_failed'));
          setStatus(form, t('not_saved'), true);
        }
      };
      xhr.onerror = function () {
        bar.hidden = true;
        if (!plain) { setStatus(form, t('offline'), true); }
      };
      xhr.send(new FormData(form));
    }
    input.addEventListener('change', function () {
      if (!plain) { upload(); }
    });
    form.addEventListener('submit', function (e) {
      if (plain) { return; }
      e.preventDefault();
      upload();
    });
  });

  document.querySelectorAll('form[data-reasons]').forEach(function (form) {
    var add = form.querySelector('[data-add-reason]');
    if (!add) { return; }
    var inputs = form.querySelectorAll('input[name=reason]');
    // Show the first empty optional field only when asked for.
    for (var i = 1; i < inputs.length; i++) {
      if (!inputs[i].value) {
        inputs[i].hidden = true;
        form.querySelector('label[for=' + inputs[i].id + ']').hidden = true;
      }
    }
    add.hidden = false;
    add.addEventListener('click', function () {
      var n = form.querySelectorAll('input[name=reason]').length + 1;
      var hiddenOne = form.querySelector('input[name=reason][hidden]');
      if (hiddenOne) {
        hiddenOne.hidden = false;
        form.querySelector('label[for=' + hiddenOne.id + ']').hidden = false;
        hiddenOne.focus();
        return;
      }
      var label = document.createElement('label');
      label.htmlFor = 'reason' + n;
      label.textContent = t('reason').replace('{{n}}', n);
      var input = document.createElement('input');
      input.type = 'text';
      input.name = 'reason';
      input.id = 'reason' + n;
      input.maxLength = 2000;
      add.parentNode.insertBefore(label, add);
      add.parentNode.insertBefore(input, add);
      input.focus();
    });
  });
})();
