/* Liaison's page behaviour, in one static file.

   The Content-Security-Policy allows scripts from this site only (script-src 'self'): no inline <script>, no
   onclick= or other event-handler attributes, no eval (htmx's `js:` values and hx-on are off: allowEval false in
   base.html). Templates declare behaviour with data- attributes and this file wires it up, mostly by listening
   on the document so that rows and results swapped in later by htmx work too.

     data-autosubmit              a <select> that submits its form when changed
     data-select-on-focus         an <input> whose text is selected when it gets focus (a token to copy)
     data-print                   a button that prints the page
     data-focus-on-load           an element focused when the page loads (the error summary of a refused form)
     data-add-row / data-remove-row / data-row   repeatable rows (engagement/_rows.html)
     data-picker                  the HCP picker (engagement/_hcp_picker.html)
     data-priority-filter         offers only the listening priorities of the chosen therapeutic area
     data-pick-param="name"       a results list whose picked button[data-uuid] opens ?name=<uuid>
     data-text-from="sel"         an htmx live check (compliance flags, AE terms) that posts `text`: the value of
                                  the field `sel`, of the element itself ("this"), or of `sel` inside the
                                  enclosing .repeat-row ("row:sel")
*/
(function () {
  'use strict';

  // --- small page helpers -----------------------------------------------------------------------------------
  document.addEventListener('change', function (e) {
    var select = e.target.closest && e.target.closest('[data-autosubmit]');
    if (select && select.form) select.form.submit();
  });
  document.addEventListener('focusin', function (e) {
    if (e.target.matches && e.target.matches('[data-select-on-focus]')) e.target.select();
  });
  document.addEventListener('click', function (e) {
    if (e.target.closest && e.target.closest('[data-print]')) window.print();
  });
  var focusFirst = document.querySelector('[data-focus-on-load]');
  if (focusFirst) focusFirst.focus();

  // --- repeatable rows: "Add another" clones a <template> row; "Remove" drops a row (or clears the last) -------
  var counter = 1000;
  document.addEventListener('click', function (e) {
    var button = e.target.closest && e.target.closest('[data-add-row]');
    if (!button) return;
    var container = document.getElementById(button.dataset.target);
    var template = document.getElementById(button.dataset.template);
    var holder = document.createElement('div');
    holder.innerHTML = template.innerHTML.replace(/__i__/g, String(counter++));
    var row = holder.firstElementChild;
    container.appendChild(row);
    if (window.htmx) window.htmx.process(row);
    document.dispatchEvent(new CustomEvent('rows:added'));
    var first = row.querySelector('textarea, input:not([type=hidden]), select');
    if (first) first.focus();
  });
  document.addEventListener('click', function (e) {
    var remove = e.target.closest && e.target.closest('[data-remove-row]');
    if (!remove) return;
    var row = remove.closest('[data-row]');
    var container = row.parentElement;
    if (container.querySelectorAll('[data-row]').length > 1) {
      var next = row.nextElementSibling || row.previousElementSibling;
      row.remove();
      var focus = next && next.querySelector('textarea, input:not([type=hidden])');
      if (focus) focus.focus();
    } else {
      row.querySelectorAll('textarea, input:not([type=hidden])').forEach(function (f) { f.value = ''; });
      row.querySelectorAll('select').forEach(function (s) { s.value = ''; });
      row.querySelectorAll('.ae-live').forEach(function (a) { a.innerHTML = ''; });
    }
  });

  // --- HCP picker: htmx search results become removable chips, each a hidden input --------------------------
  function pickerSearch(p) { return p.querySelector('input[type=search]'); }
  function pickerResults(p) { return p.querySelector('.picker-results'); }
  function addChip(p, uuid, name) {
    var chips = p.querySelector('[data-chips]');
    if (!p.hasAttribute('data-multiple')) chips.innerHTML = '';
    var exists = Array.prototype.some.call(chips.querySelectorAll('input'), function (i) { return i.value === uuid; });
    if (exists) return;
    var li = document.createElement('li'); li.className = 'chip';
    var label = document.createElement('span'); label.textContent = name; li.appendChild(label);
    var remove = document.createElement('button'); remove.type = 'button'; remove.className = 'chip-remove';
    remove.setAttribute('data-remove', ''); remove.setAttribute('aria-label', 'Remove ' + name); remove.textContent = '×';
    li.appendChild(remove);
    var input = document.createElement('input'); input.type = 'hidden'; input.name = p.dataset.name; input.value = uuid;
    li.appendChild(input);
    chips.appendChild(li);
  }
  document.addEventListener('click', function (e) {
    if (!e.target.closest) return;
    var pick = e.target.closest('[data-picker] .picker-results button[data-uuid]');
    if (pick) {
      var p = pick.closest('[data-picker]');
      addChip(p, pick.dataset.uuid, pick.dataset.name);
      pickerSearch(p).value = ''; pickerResults(p).innerHTML = ''; pickerSearch(p).focus();
      return;
    }
    var remove = e.target.closest('[data-picker] [data-remove]');
    if (remove) {
      var p2 = remove.closest('[data-picker]');
      remove.closest('.chip').remove(); pickerSearch(p2).focus();
    }
  });
  document.addEventListener('keydown', function (e) {
    var p = e.target.closest && e.target.closest('[data-picker]');
    if (!p) return;
    var buttons = Array.prototype.slice.call(p.querySelectorAll('.picker-results button[data-uuid]'));
    var at = buttons.indexOf(e.target);
    if (e.key === 'ArrowDown' && buttons.length) {
      e.preventDefault(); buttons[Math.min(at + 1, buttons.length - 1)].focus();
    } else if (e.key === 'ArrowUp' && at >= 0) {
      e.preventDefault(); (at === 0 ? pickerSearch(p) : buttons[at - 1]).focus();
    } else if (e.key === 'Escape') {
      pickerResults(p).innerHTML = ''; pickerSearch(p).focus();
    } else if (e.key === 'Enter' && e.target === pickerSearch(p)) {
      // Enter in the search box picks the only match; it never submits the surrounding form.
      e.preventDefault();
      if (buttons.length === 1) buttons[0].click();
    }
  });

  // --- inline insights and follow-ups name an attendee: their selects follow the attendee picker's chips ---------
  function syncAttendeeSelects() {
    var picker = document.querySelector('[data-picker][data-name="attendees"]');
    if (!picker) return;
    var people = Array.prototype.map.call(picker.querySelectorAll('.chip'), function (chip) {
      return { uuid: chip.querySelector('input').value, name: chip.querySelector('span').textContent };
    });
    document.querySelectorAll('select[data-attendee-select]').forEach(function (select) {
      var chosen = select.value;
      select.innerHTML = '';
      var blank = document.createElement('option'); blank.value = ''; blank.textContent = select.dataset.blank || '';
      select.appendChild(blank);
      people.forEach(function (p) {
        var option = document.createElement('option'); option.value = p.uuid; option.textContent = p.name;
        select.appendChild(option);
      });
      select.value = people.some(function (p) { return p.uuid === chosen; }) ? chosen : '';
    });
  }
  document.querySelectorAll('[data-picker][data-name="attendees"] [data-chips]').forEach(function (chips) {
    new MutationObserver(syncAttendeeSelects).observe(chips, { childList: true });
  });
  document.addEventListener('rows:added', syncAttendeeSelects);

  // --- listening priorities follow the chosen therapeutic area (all of them when none is chosen) ----------------
  document.querySelectorAll('[data-priority-filter]').forEach(function (marker) {
    var area = document.getElementById(marker.dataset.areaSelect || 'id_therapeutic_area');
    function filter() {
      var chosen = area ? area.value : '';
      document.querySelectorAll('select[data-priority-select]').forEach(function (select) {
        Array.prototype.forEach.call(select.options, function (option) {
          if (!option.dataset.area) return;
          var hide = chosen && option.dataset.area !== chosen;
          option.hidden = hide; option.disabled = hide;
          if (hide && option.selected) select.value = '';
        });
      });
    }
    if (area) area.addEventListener('change', filter);
    document.addEventListener('rows:added', filter);
    filter();
  });

  // --- a picked search result opens a page for it (the merge page's "find the duplicate") -----------------------
  document.addEventListener('click', function (e) {
    var list = e.target.closest && e.target.closest('[data-pick-param]');
    var button = list && e.target.closest('button[data-uuid]');
    if (button) {
      window.location.search = '?' + encodeURIComponent(list.dataset.pickParam) + '=' + encodeURIComponent(button.dataset.uuid);
    }
  });

  // --- live checks (compliance flags, AE terms) post the text of the field they watch -------------------------
  document.addEventListener('htmx:configRequest', function (e) {
    var elt = e.detail.elt;
    var from = elt && elt.getAttribute && elt.getAttribute('data-text-from');
    if (!from) return;
    var field = from === 'this' ? elt
      : from.indexOf('row:') === 0 ? elt.closest('.repeat-row').querySelector(from.slice(4))
      : document.querySelector(from);
    e.detail.parameters.text = field ? field.value : '';
  });
})();
