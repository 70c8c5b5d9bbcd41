/**
 * The dashboard's two static files, served from memory: the stylesheet and the one script (live
 * progress of a run over server-sent events). No inline script or style: the Content-Security-Policy
 * allows only these.
 */

export const DASHBOARD_CSS = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #fff; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { background: #24292f; padding: 8px 16px; }
header nav a, header nav span { color: #fff; margin-right: 16px; text-decoration: none; }
header nav .brand { font-weight: 700; }
header nav .repo { color: #d0d7de; }
main { padding: 16px; max-width: 1400px; }
h1 { font-size: 20px; margin: 8px 0 12px; }
h2 { font-size: 16px; margin: 20px 0 8px; }
table { border-collapse: collapse; width: 100%; margin-bottom: 12px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); font-weight: 600; }
code, .sha, .diff { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
a { color: #0550ae; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600; border: 1px solid transparent; }
.s-in-sync, .s-succeeded, .s-ok, .s-no-changes, .s-passed { background: #dafbe1; color: #116329; }
.s-drifted, .s-held, .s-waiting, .s-partial, .s-interrupted, .s-queued, .s-pending, .s-refused, .s-warned, .s-overridden { background: #fff8c5; color: #6c4a00; }
.s-applying, .s-running, .s-sending { background: #ddf4ff; color: #0a3069; }
.s-failed, .s-invalid { background: #ffebe9; color: #82071e; }
.diff { list-style: none; margin: 4px 0; padding: 0; white-space: pre-wrap; word-break: break-all; }
.diff li.da { color: #116329; }
.diff li.dr { color: #82071e; }
.diff li.dc { color: #6c4a00; }
.reason { white-space: pre-wrap; margin: 4px 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
#live-status { font-weight: 600; }
`;

export const LIVE_JS = `'use strict';
(function () {
  var table = document.getElementById('steps');
  if (!table || !table.dataset.events) return;
  var body = table.querySelector('tbody');
  var status = document.getElementById('live-status');
  var say = function (t) { if (status) status.textContent = t; };
  var es = new EventSource(table.dataset.events);
  es.addEventListener('step', function (ev) {
    var s = JSON.parse(ev.data);
    var row = document.getElementById('step-' + s.id);
    if (!row) {
      row = document.createElement('tr');
      row.id = 'step-' + s.id;
      for (var i = 0; i < 4; i++) row.appendChild(document.createElement('td'));
      body.appendChild(row);
    }
    row.dataset.outcome = s.outcome || 'running';
    row.children[0].textContent = s.resourceId;
    row.children[1].textContent = s.operation;
    row.children[2].textContent = s.outcome || 'running';
    row.children[3].textContent = s.error || '';
  });
  es.addEventListener('end', function (ev) {
    var r = JSON.parse(ev.data);
    say('Run ' + r.outcome);
    table.dataset.outcome = r.outcome;
    es.close();
  });
  es.addEventListener('open', function () { say('Live'); });
  es.addEventListener('error', function () { if (es.readyState !== 2) say('Reconnecting…'); });
})();
`;
