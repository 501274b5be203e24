(function () {
  var input = document.getElementById('token');
  if (input && window.sessionStorage) { input.value = sessionStorage.getItem('qw-token') || ''; }
  document.querySelectorAll('tr.deadletter button').forEach(function (b) {
    b.addEventListener('click', function () {
      var row = b.closest('tr');
      var token = input ? input.value : '';
      if (window.sessionStorage) { sessionStorage.setItem('qw-token', token); }
      var url = '/api/v1/deadletters/' + encodeURIComponent(row.dataset.notifier) + '/' + row.dataset.seq + '/' + b.dataset.action;
      var out = document.getElementById('action-result');
      b.disabled = true;
      fetch(url, {method: 'POST', headers: {'Authorization': 'Bearer ' + token}}).then(function (r) {
        return r.text().then(function (t) {
          out.textContent = r.status + ' ' + t;
          if (r.ok) { row.remove(); } else { b.disabled = false; }
        });
      }).catch(function (e) { out.textContent = String(e); b.disabled = false; });
    });
  });
})();
