// Autosave, upload progress and extra reasons. Every page works without it.
(function () {
  'use strict';
  document.documentElement.classList.add('js');

  function setStatus(form, text, bad) {
    var s = form.querySelector('[data-status]');
    if (s) {
      s.textContent = text;
      s.classList.toggle('bad', !!bad);
    }
  }
  function setError(form, message) {
    var section = form.closest('.question');
    if (!section) { return; }
    var box = section.querySelector('.error');
    if (message) {
      if (!box) {
        box = document.createElement('p');
        box.className = 'error';
        box.setAttribute('role', 'alert');
        form.insertBefore(box, form.firstChild.nextSibling);
      }
      box.textContent = message;
      section.classList.add('has-error');
    } else if (box) {
      box.remove();
      section.classList.remove('has-error');
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
      function () { return { status: r.status, body: { error: { message: 'Not saved: please try again.' } } }; });
  }
  function save(form) {
    setStatus(form, 'Saving…');
    var body = new URLSearchParams(new FormData(form));
    fetch(form.action, { method: 'POST', body: body, credentials: 'same-origin',
      headers: { 'Accept': 'application/json' } })
      .then(reply)
      .then(function (x) {
        if (x.body.ok) {
          setError(form, '');
          setStatus(form, 'Saved');
          setProgress(x.body);
        } else {
          setError(form, x.body.error && x.body.error.message);
          setStatus(form, 'Not saved', true);
        }
      }, function () { setStatus(form, 'Not saved: check your connection', true); });
  }

  document.querySelectorAll('form[data-autosave]').forEach(function (form) {
    var timer = null;
    form.addEventListener('input', function (e) {
      if (e.target.type === 'radio' || e.target.type === 'checkbox') { return; }
      clearTimeout(timer);
      setStatus(form, '');
      timer = setTimeout(function () { save(form); }, 700);
    });
    form.addEventListener('change', function () { clearTimeout(timer); save(form); });
    form.addEventListener('submit', function (e) { e.preventDefault(); clearTimeout(timer); save(form); });
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
      setStatus(form, 'Uploading…');
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
      };
      xhr.onload = function () {
        var j = {};
        try { j = JSON.parse(xhr.responseText); } catch (err) { j = {}; }
        if (xhr.status === 200 && j.ok) {
          setStatus(form, 'Saved');
          window.location.reload();
        } else {
          bar.hidden = true;
          setError(form, (j.error && j.error.message) || 'The upload did not go through: please try again.');
          setStatus(form, 'Not saved', true);
        }
      };
      xhr.onerror = function () {
        bar.hidden = true;
        setStatus(form, 'Not saved: check your connection', true);
      };
      xhr.send(new FormData(form));
    }
    input.addEventListener('change', upload);
    form.addEventListener('submit', function (e) { e.preventDefault(); upload(); });
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
      label.textContent = 'Reason ' + n + ' (optional)';
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
