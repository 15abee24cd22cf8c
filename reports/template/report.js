// SPDX-License-Identifier: Apache-2.0
// cuconform report enhancements: drill-down panel, filters, keyboard navigation, deep links, fingerprint diffs.
// The page is complete without this script; it only reads the JSON block and the server-rendered grid.
// Every string from the data reaches the DOM through textContent, never through innerHTML.
(function () {
  'use strict';
  var dataEl = document.getElementById('report-data');
  if (!dataEl) return;
  var D = JSON.parse(dataEl.textContent);
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  var DEC = {};
  for (var k = 0; k < 64; k++) DEC[B64.charAt(k)] = k;
  var SYM = ['\u2713', '\u2717', '\u25CB', 'W', '~', '\u2620', '\u25F7'];
  var LET = 'PFUWKCT';
  var FAILURE = [false, true, false, false, true, true, true];
  var CHANGE = ['new failure', 'fixed', 'flip'];
  var table = document.getElementById('gridtable');
  var panel = document.getElementById('panel');
  var rowEls = [];
  Array.prototype.forEach.call(document.querySelectorAll('#gridtable tr[data-r]'), function (tr) {
    rowEls[+tr.getAttribute('data-r')] = tr;
  });
  var changeAt = {};
  D.changes.forEach(function (c) { changeAt[c[0] + ':' + c[1]] = c; });

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function decode(s, at, w) {
    var v = 0;
    for (var i = 0; i < w; i++) v = v * 64 + DEC[s.charAt(at + i)];
    return v;
  }
  /** The result at (row, column), or null where the cell has none. */
  function entry(r, c) {
    var row = D.rows[r];
    if (!row || c < 0 || c >= D.cells.length) return null;
    var w = row.w;
    if (row.s.charAt(c * w) === '.') return null;
    var sig = D.sigs[row.g[decode(row.s, c * w, w)]];
    var q = decode(row.d, c * 2, 2);
    return { row: row, cell: D.cells[c], sig: sig, verdict: sig[0], ms: Math.pow(2, q / 180) - 1 };
  }
  function fmtMs(ms) {
    if (ms < 1) return ms.toFixed(2) + ' ms';
    if (ms < 1000) return ms.toPrecision(3) + ' ms';
    return (ms / 1000).toPrecision(3) + ' s';
  }
  function reproduce(e) {
    return e.sig[12].split('\u0003').join(e.row.v).split('\u0002').join(e.row.c).split('\u0001').join(e.cell[0]);
  }

  // ---- per-row facts for the filters ----
  var rowMask = [], rowText = [];
  D.rows.forEach(function (row, r) {
    var mask = 0, seen = {}, text = [row.c, row.v, row.t, D.families[row.f]];
    for (var c = 0; c < D.cells.length; c++) {
      if (row.s.charAt(c * row.w) === '.') continue;
      var g = decode(row.s, c * row.w, row.w);
      if (seen[g]) continue;
      seen[g] = 1;
      var sig = D.sigs[row.g[g]];
      mask |= 1 << sig[0];
    }
    row.g.forEach(function (s) { var sig = D.sigs[s]; text.push(sig[4], sig[6], sig[2], sig[10]); });
    rowMask[r] = mask;
    rowText[r] = text.join('\n').toLowerCase();
  });

  // ---- filters ----
  var toolbar = document.getElementById('toolbar');
  var famSel = document.getElementById('f-family');
  var textIn = document.getElementById('f-text');
  var boxes = Array.prototype.slice.call(document.querySelectorAll('#f-verdicts input'));
  var countEl = document.getElementById('f-count');
  var emptyEl = document.createElement('p');
  emptyEl.id = 'f-empty'; emptyEl.className = 'notice'; emptyEl.hidden = true;
  if (toolbar) { toolbar.hidden = false; toolbar.parentNode.insertBefore(emptyEl, toolbar.nextSibling); }
  function applyFilters() {
    var fam = famSel.value, text = textIn.value.trim().toLowerCase(), want = 0, shown = 0;
    boxes.forEach(function (b) { if (b.checked) want |= 1 << +b.value; });
    var famShown = {};
    rowEls.forEach(function (tr, r) {
      var row = D.rows[r];
      var ok = (!fam || D.families[row.f] === fam) && (rowMask[r] & want) && (!text || rowText[r].indexOf(text) >= 0);
      tr.hidden = !ok;
      if (ok) { shown++; famShown[row.f] = 1; }
    });
    Array.prototype.forEach.call(table.tBodies, function (tb) {
      tb.hidden = !famShown[+tb.getAttribute('data-f')];
    });
    countEl.textContent = shown + ' of ' + D.rows.length + ' rows shown';
    // Nothing to show: say why, instead of an empty grid under its header.
    table.hidden = shown === 0;
    emptyEl.hidden = shown !== 0;
    if (shown === 0) {
      var onlyFailures = boxes.every(function (b) { return b.checked === !!FAILURE[+b.value]; });
      var anyFailure = rowMask.some(function (m) { return FAILURE.some(function (f, v) { return f && (m & (1 << v)); }); });
      emptyEl.textContent = onlyFailures && !anyFailure
        ? 'No failures: every result is PASS, UNSUPPORTED or WAIVED.'
        : 'No row matches these filters.';
    }
    saveView(fam, text);
  }
  // The filters live in the address (#view&verdicts=FAIL,CRASH&family=loader&q=cudnn), so a view can be shared.
  function saveView(fam, text) {
    if (restoring) return;
    var all = boxes.every(function (b) { return b.checked; });
    if (all && !fam && !text) {
      if (location.hash.indexOf('#view') === 0) history.replaceState(null, '', location.pathname + location.search);
      return;
    }
    var p = new URLSearchParams();
    p.set('verdicts', boxes.filter(function (b) { return b.checked; })
      .map(function (b) { return D.verdicts[+b.value]; }).join(','));
    if (fam) p.set('family', fam);
    if (text) p.set('q', text);
    history.replaceState(null, '', '#view&' + p.toString());
  }
  var restoring = false;
  function restoreView() {
    if (location.hash.indexOf('#view') !== 0) return false;
    var p = new URLSearchParams(location.hash.slice(5));
    restoring = true;
    if (p.has('verdicts')) {
      var want = p.get('verdicts').split(',');
      boxes.forEach(function (b) { b.checked = want.indexOf(D.verdicts[+b.value]) >= 0; });
    }
    if (p.has('family')) famSel.value = p.get('family');
    if (p.has('q')) textIn.value = p.get('q');
    restoring = false;
    return true;
  }
  function resetFilters() {
    famSel.value = ''; textIn.value = '';
    boxes.forEach(function (b) { b.checked = true; });
    applyFilters();
  }
  if (toolbar) {
    famSel.addEventListener('change', applyFilters);
    textIn.addEventListener('input', applyFilters);
    boxes.forEach(function (b) { b.addEventListener('change', applyFilters); });
    document.getElementById('f-reset').addEventListener('click', resetFilters);
    window.addEventListener('hashchange', function () { if (restoreView()) applyFilters(); });
    document.getElementById('f-failing').addEventListener('click', function () {
      boxes.forEach(function (b) { b.checked = FAILURE[+b.value]; });
      applyFilters();
    });
    var collapseBtn = document.getElementById('f-collapse');
    collapseBtn.addEventListener('click', function () {
      var collapse = collapseBtn.textContent === 'Collapse all';
      Array.prototype.forEach.call(table.tBodies, function (tb) { fold(tb, collapse); });
      collapseBtn.textContent = collapse ? 'Expand all' : 'Collapse all';
    });
    restoreView();
    applyFilters();
  }
  function fold(tb, collapse) {
    tb.classList.toggle('collapsed', collapse);
    var b = tb.querySelector('button.fold');
    if (b) b.setAttribute('aria-expanded', String(!collapse));
  }
  table.addEventListener('click', function (ev) {
    var b = ev.target.closest('button.fold');
    if (b) fold(b.closest('tbody'), b.getAttribute('aria-expanded') === 'true');
  });

  // ---- locating entries in the grid ----
  var cur = null;
  function tdAt(r, c) { return D.full && rowEls[r] ? rowEls[r].cells[c + 1] : null; }
  /** Column under a point inside a compact strip (symbols may differ in width, so ask the layout). */
  function stripColumn(strip, x, y) {
    var range = document.caretRangeFromPoint ? document.caretRangeFromPoint(x, y) : null;
    if (!range || !strip.contains(range.startContainer)) return -1;
    var node = range.startContainer, off = range.startOffset;
    // The unit whose earlier siblings hold the columns before it: a coloured run (<b>) or the uncoloured text.
    var b = node.nodeType === 3 && node.parentNode !== strip ? node.parentNode : node;
    if (node.nodeType === 3 && off > 0) {
      var probe = document.createRange();
      probe.setStart(node, off - 1); probe.setEnd(node, off);
      var rect = probe.getBoundingClientRect();
      if (x >= rect.left && x < rect.right) off -= 1;
    }
    if (node.nodeType === 3 && off >= node.length) off = node.length - 1;
    var col = off;
    for (var p = b.previousSibling; p; p = p.previousSibling) col += p.textContent.length;
    return col;
  }
  function stripRect(r, c) {
    var strip = rowEls[r] && rowEls[r].cells[1];
    if (!strip) return null;
    for (var b = strip.firstChild; b; b = b.nextSibling) {
      var n = b.textContent.length;
      if (c < n) {
        var text = b.nodeType === 3 ? b : b.firstChild, range = document.createRange();
        range.setStart(text, c); range.setEnd(text, c + 1);
        return range.getBoundingClientRect();
      }
      c -= n;
    }
    return null;
  }
  var tip = el('div'); tip.id = 'tip'; tip.hidden = true; document.body.appendChild(tip);
  var marker = el('div'); marker.style.cssText = 'position:fixed;pointer-events:none;outline:3px solid #0b5cad;z-index:5';
  marker.hidden = true; document.body.appendChild(marker);
  function describe(e) {
    return e.cell[0] + ' \u00B7 ' + D.verdicts[e.verdict] + ' \u00B7 ' + e.sig[4];
  }
  function select(r, c, focus) {
    var prev = cur && tdAt(cur.r, cur.c);
    if (prev) { prev.tabIndex = -1; prev.classList.remove('sel'); }
    cur = { r: r, c: c };
    var td = tdAt(r, c);
    if (td) {
      td.tabIndex = 0; td.classList.add('sel');
      if (focus) td.focus({ preventScroll: false });
    } else if (!D.full) {
      var strip = rowEls[r].cells[1];
      strip.tabIndex = 0;
      if (focus) strip.focus({ preventScroll: true });
      var rect = stripRect(r, c);
      if (rect) {
        if (rect.left < 0 || rect.right > window.innerWidth) rowEls[r].scrollIntoView({ block: 'nearest', inline: 'nearest' });
        rect = stripRect(r, c);
        marker.hidden = false;
        marker.style.left = rect.left + 'px'; marker.style.top = rect.top + 'px';
        marker.style.width = rect.width + 'px'; marker.style.height = rect.height + 'px';
      }
    }
  }
  function visibleRows() {
    var out = [];
    rowEls.forEach(function (tr, r) {
      if (!tr.hidden && !tr.parentNode.hidden && !tr.parentNode.classList.contains('collapsed')) out.push(r);
    });
    return out;
  }
  function move(dr, dc) {
    if (!cur) return;
    var rows = visibleRows(), at = rows.indexOf(cur.r);
    var r = dr ? rows[Math.max(0, Math.min(rows.length - 1, (at < 0 ? 0 : at) + dr))] : cur.r;
    var c = Math.max(0, Math.min(D.cells.length - 1, cur.c + dc));
    if (r === undefined) return;
    select(r, c, true);
    if (!panel.hidden) openPanel(r, c, false);
  }
  function locate(target, ev) {
    var tr = target.closest('tr[data-r]');
    if (!tr) return null;
    var r = +tr.getAttribute('data-r');
    if (D.full) {
      var td = target.closest('td');
      return td ? { r: r, c: td.cellIndex - 1 } : null;
    }
    var strip = target.closest('td.strip');
    if (!strip) return null;
    var c = stripColumn(strip, ev.clientX, ev.clientY);
    return c >= 0 ? { r: r, c: c } : null;
  }
  table.addEventListener('click', function (ev) {
    var at = locate(ev.target, ev);
    if (!at) return;
    ev.preventDefault();
    select(at.r, at.c, true);
    openPanel(at.r, at.c, true);
  });
  table.addEventListener('mouseover', function (ev) {
    if (!D.full) return;
    var at = locate(ev.target, ev), td = ev.target.closest('td');
    if (!at || !td || td.title) return;
    var e = entry(at.r, at.c);
    td.title = e ? describe(e) : D.cells[at.c][0] + ' \u00B7 no result';
  });
  table.addEventListener('mousemove', function (ev) {
    if (D.full) return;
    var at = locate(ev.target, ev);
    if (!at) { tip.hidden = true; return; }
    var e = entry(at.r, at.c);
    tip.textContent = e ? describe(e) : D.cells[at.c][0] + ' \u00B7 no result';
    tip.hidden = false;
    tip.style.left = Math.min(ev.clientX + 12, window.innerWidth - tip.offsetWidth - 4) + 'px';
    tip.style.top = (ev.clientY + 16) + 'px';
  });
  table.addEventListener('mouseleave', function () { tip.hidden = true; });
  table.addEventListener('keydown', function (ev) {
    if (ev.target.closest('button')) return;
    var keys = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    if (keys[ev.key]) { ev.preventDefault(); move(keys[ev.key][0], keys[ev.key][1]); return; }
    if (ev.key === 'Home' && cur) { ev.preventDefault(); select(cur.r, 0, true); return; }
    if (ev.key === 'End' && cur) { ev.preventDefault(); select(cur.r, D.cells.length - 1, true); return; }
    if ((ev.key === 'Enter' || ev.key === ' ') && cur && !ev.target.closest('th')) {
      ev.preventDefault(); openPanel(cur.r, cur.c, true);
    }
  });
  table.addEventListener('focusin', function (ev) {
    var at = null;
    if (D.full) { var td = ev.target.closest('td'); if (td) at = locate(td, ev); }
    if (at && (!cur || cur.r !== at.r || cur.c !== at.c)) select(at.r, at.c, false);
  });
  // The first entry is the grid's single tab stop; arrows move from there (roving tabindex).
  if (D.full) {
    Array.prototype.forEach.call(table.querySelectorAll('td'), function (td) { td.tabIndex = -1; });
    var firstRow = visibleRows()[0];
    if (firstRow !== undefined) select(firstRow, 0, false);
  } else {
    rowEls.forEach(function (tr) { tr.cells[1].tabIndex = 0; });
    // Strips arrive as plain text (one node per row, so 10^6 results stay a small DOM): colour the rows that
    // come near the screen, one <b> per run of equal verdicts. The text, and so every column, stays the same.
    var colour = function (r) {
      var tr = rowEls[r], strip = tr && tr.cells[1];
      if (!strip || tr.hasAttribute('data-coloured')) return;
      tr.setAttribute('data-coloured', '');
      var row = D.rows[r], text = strip.textContent, w = row.w, runs = document.createDocumentFragment();
      var start = 0, letter = null;
      for (var c = 0; c <= D.cells.length; c++) {
        var l = c === D.cells.length ? null : row.s.charAt(c * w) === '.' ? 'N' :
          LET.charAt(D.sigs[row.g[decode(row.s, c * w, w)]][0]);
        if (l === letter) continue;
        if (letter !== null) runs.appendChild(el('b', 'v' + letter, text.slice(start, c)));
        start = c; letter = l;
      }
      strip.textContent = '';
      strip.appendChild(runs);
    };
    if (window.IntersectionObserver) {
      var seen = new IntersectionObserver(function (list) {
        list.forEach(function (e) {
          if (!e.isIntersecting) return;
          seen.unobserve(e.target);
          colour(+e.target.getAttribute('data-r'));
        });
      }, { rootMargin: '400px 0px' });
      rowEls.forEach(function (tr) { seen.observe(tr); });
    } else {
      rowEls.forEach(function (tr, r) { colour(r); });
    }
    table.addEventListener('focusin', function (ev) {
      var tr = ev.target.closest('tr[data-r]');
      if (tr && ev.target.classList.contains('strip') && (!cur || cur.r !== +tr.getAttribute('data-r'))) {
        select(+tr.getAttribute('data-r'), 0, false);
      }
    });
  }

  // ---- drill-down panel ----
  var lastFocus = null;
  function closePanel() {
    panel.hidden = true;
    marker.hidden = true;
    if (lastFocus) lastFocus.focus();
  }
  document.addEventListener('keydown', function (ev) {
    if (ev.key === 'Escape' && !panel.hidden) { ev.preventDefault(); closePanel(); }
    if (ev.key === '/' && textIn && document.activeElement !== textIn && !ev.target.closest('input,select,textarea')) {
      ev.preventDefault(); textIn.focus();
    }
  });
  function kv(dl, label, value, pre) {
    if (value === undefined || value === null || value === '') return;
    dl.appendChild(el('dt', null, label));
    var dd = el('dd');
    dd.appendChild(el(pre ? 'pre' : 'code', null, value));
    dl.appendChild(dd);
  }
  function fingerprintDiff(box, c) {
    var mine = D.fps[D.cells[c][4]];
    var other = -1;
    for (var i = 0; i < D.cells.length && other < 0; i++) if (i !== c && D.cells[i][4] !== D.cells[c][4]) other = i;
    if (other < 0) other = c === 0 ? (D.cells.length > 1 ? 1 : -1) : 0;
    var head = el('p');
    head.appendChild(document.createTextNode('Compare with '));
    var sel = el('select'); sel.setAttribute('aria-label', 'cell to compare the fingerprint with');
    D.cells.forEach(function (cell, i) {
      if (i === c) return;
      var o = el('option', null, cell[0] + (cell[4] === D.cells[c][4] ? ' (same fingerprint)' : ''));
      o.value = i; if (i === other) o.selected = true;
      sel.appendChild(o);
    });
    var only = el('input'); only.type = 'checkbox'; only.checked = true; only.id = 'fp-only';
    var onlyLabel = el('label', null, ' only differences'); onlyLabel.prepend(only);
    head.appendChild(sel); head.appendChild(document.createTextNode(' ')); head.appendChild(onlyLabel);
    if (other < 0) { box.appendChild(el('p', null, 'This is the only cell.')); }
    else box.appendChild(head);
    var tbl = el('table', 'kvt');
    box.appendChild(tbl);
    function render() {
      tbl.textContent = '';
      var o = other >= 0 ? D.fps[D.cells[+sel.value][4]] : [];
      var theirs = {}, keys = [], seen = {};
      o.forEach(function (p) { theirs[p[0]] = p[1]; });
      mine.forEach(function (p) { keys.push(p[0]); seen[p[0]] = 1; });
      o.forEach(function (p) { if (!seen[p[0]]) keys.push(p[0]); });
      var mineMap = {}; mine.forEach(function (p) { mineMap[p[0]] = p[1]; });
      var hr = el('tr'); hr.appendChild(el('th', null, 'Field')); hr.appendChild(el('th', null, 'This cell'));
      if (other >= 0) hr.appendChild(el('th', null, D.cells[+sel.value][0]));
      tbl.appendChild(hr);
      var differences = 0;
      keys.forEach(function (key) {
        var a = key in mineMap ? mineMap[key] : '(absent)', b = key in theirs ? theirs[key] : '(absent)';
        var diff = other >= 0 && a !== b;
        if (diff) differences++;
        if (other >= 0 && only.checked && !diff) return;
        var tr = el('tr', diff ? 'diff' : null);
        tr.appendChild(el('th', null, key)); tr.appendChild(el('td', null, a));
        if (other >= 0) tr.appendChild(el('td', null, b));
        tbl.appendChild(tr);
      });
      if (other >= 0 && only.checked && differences === 0) {
        var tr = el('tr'); var td = el('td', null, 'No differences.'); td.colSpan = 3; tr.appendChild(td); tbl.appendChild(tr);
      }
    }
    if (other >= 0) { sel.addEventListener('change', render); only.addEventListener('change', render); }
    render();
  }
  function openPanel(r, c, takeFocus) {
    var e = entry(r, c), row = D.rows[r], cell = D.cells[c];
    if (takeFocus) lastFocus = document.activeElement;
    panel.textContent = '';
    var close = el('button', 'close', '\u00D7'); close.type = 'button'; close.setAttribute('aria-label', 'Close details');
    close.addEventListener('click', closePanel);
    panel.appendChild(close);
    var h = el('h2', null, row.c + (row.v !== 'default' ? ' [' + row.v + ']' : '')); h.id = 'panel-title';
    panel.appendChild(h);
    if (row.t) panel.appendChild(el('p', null, row.t));
    var on = el('p'); on.appendChild(document.createTextNode('Cell ')); on.appendChild(el('code', null, cell[0]));
    on.appendChild(document.createTextNode(' \u2014 ' + cell[1] + ' \u00B7 GPU ' + cell[2] + (cell[3] ? ' \u00B7 ' + cell[3] : '')));
    panel.appendChild(on);
    if (!e) {
      panel.appendChild(el('p', 'notice', 'No result for this case in this cell: it was not run here (not in this shard or not planned).'));
    } else {
      var v = el('div', 'verdict v' + LET.charAt(e.verdict), SYM[e.verdict] + ' ' + D.verdicts[e.verdict] +
        (e.sig[1] !== 'none' ? ' (' + e.sig[1].replace(/_/g, ' ') + ')' : ''));
      panel.appendChild(v);
      var ch = changeAt[r + ':' + c];
      if (ch) panel.appendChild(el('p', 'notice', 'Against the baseline: ' + CHANGE[ch[2]] + ' \u2014 was ' +
        D.verdicts[ch[3]] + ', observed ' + ch[4] + '.'));
      var dl = el('dl', 'kv');
      kv(dl, 'Expected', e.sig[2]);
      kv(dl, 'Observed', e.sig[3]);
      kv(dl, 'Native code', e.sig[5]);
      kv(dl, 'Message', e.sig[6], true);
      kv(dl, 'Rule', 'rule ' + (e.sig[7] + 1) + ': ' + e.sig[8]);
      kv(dl, 'Why', e.sig[9]);
      kv(dl, 'Reason', e.sig[10]);
      if (e.sig[13] > 1) kv(dl, 'Attempts', e.sig[13]);
      // One measurement, as recorded (stored log-scaled to within 0.2 %); a result that never ran has none.
      kv(dl, 'Duration', e.ms > 0.005 ? fmtMs(e.ms) : 'not measured: no case process ran');
      kv(dl, 'Output tail', e.sig[11], true);
      var rep = reproduce(e);
      kv(dl, 'Reproduce', rep, true);
      panel.appendChild(dl);
      if (rep && navigator.clipboard) {
        var copy = el('button', 'copy', 'Copy the reproduction command'); copy.type = 'button';
        copy.addEventListener('click', function () { navigator.clipboard.writeText(rep); copy.textContent = 'Copied'; });
        panel.appendChild(copy);
      }
    }
    var link = el('p'); var a = el('a', null, 'Link to this result');
    a.href = '#case=' + encodeURIComponent(row.c) + (row.v !== 'default' ? '&variant=' + encodeURIComponent(row.v) : '') +
      '&cell=' + encodeURIComponent(cell[0]);
    link.appendChild(a); panel.appendChild(link);
    panel.appendChild(el('h3', null, 'Fingerprint of this cell'));
    var box = el('div'); panel.appendChild(box);
    fingerprintDiff(box, c);
    panel.appendChild(el('p', 'meta', 'Arrow keys move between results; Escape closes.'));
    panel.hidden = false;
    if (takeFocus) close.focus();
  }

  // ---- deep links: #case=<id>[&variant=<v>][&cell=<cell>] ----
  function openFromHash() {
    if (location.hash.indexOf('#case=') !== 0) return;
    var p = new URLSearchParams(location.hash.slice(1));
    var id = p.get('case'), variant = p.get('variant'), cellId = p.get('cell');
    var r = -1;
    for (var i = 0; i < D.rows.length && r < 0; i++) {
      if (D.rows[i].c === id && (!variant || D.rows[i].v === variant)) r = i;
    }
    if (r < 0) { countEl && (countEl.textContent = 'No case ' + id + ' in this report.'); return; }
    var c = -1;
    if (cellId) for (var j = 0; j < D.cells.length && c < 0; j++) if (D.cells[j][0] === cellId) c = j;
    if (c < 0) {  // the first result that is not PASS, else the first result
      for (var k = 0; k < D.cells.length; k++) {
        var e = entry(r, k);
        if (e && c < 0) c = k;
        if (e && e.verdict !== 0) { c = k; break; }
      }
    }
    if (c < 0) c = 0;
    var tr = rowEls[r];
    if (tr.hidden || tr.parentNode.hidden) resetFilters();
    fold(tr.parentNode, false);
    Array.prototype.forEach.call(document.querySelectorAll('tr.hit'), function (t) { t.classList.remove('hit'); });
    tr.classList.add('hit');
    var target = tdAt(r, c) || tr;
    target.scrollIntoView({ block: 'center', inline: 'center' });
    select(r, c, true);
    openPanel(r, c, false);
  }
  window.addEventListener('hashchange', openFromHash);
  openFromHash();
  document.documentElement.setAttribute('data-ready', '1');
})();
