// The dashboard's main script (combobox.js drives the comboboxes, sheet.js
// the spreadsheet input, uploads.js file uploads). The server renders all
// HTML; this script opens the dashboard socket, swaps in the fragments the server sends, and
// sends back what the person typed or clicked. It never builds markup from
// an action's data and never interprets values: the server does.
(() => {
  'use strict'

  const $ = (selector, root = document) => root.querySelector(selector)
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector))

  // Timestamps in the viewer's locale and time zone. Dates from an
  // action's values (data-date) also name the zone, as the server's
  // fallback text names UTC.
  const withZone = { year: 'numeric', month: 'short', day: 'numeric', hour: 'numeric', minute: 'numeric', timeZoneName: 'short' }
  function localizeTimes(root) {
    for (const el of $$('time[datetime]', root)) {
      const date = new Date(el.dateTime)
      if (isNaN(date)) continue
      if ('date' in el.dataset) {
        el.textContent = date.toLocaleString(undefined, withZone)
        el.title = el.dateTime
      } else {
        const timeStyle = 'seconds' in el.dataset ? 'medium' : 'short'
        el.textContent = date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle })
      }
    }
  }
  localizeTimes(document)

  const view = $('[data-action], [data-page][data-live]')
  if (!view) return

  // Opened from another site: nothing runs until the person says so. The
  // click is caught from the first moment, while the socket may still be
  // opening (a click before start() listened was lost).
  const runConfirmed = 'confirm' in view.dataset
    ? new Promise(resolve => $('[data-run]')?.addEventListener('click', resolve, { once: true }))
    : null

  let socket
  let nextId = 1
  let transactionId = null
  let redirected = false
  const waiting = new Map()

  function showStatus(message) {
    const status = $('#status')
    if (!status) return
    status.replaceChildren()
    if (message) {
      const p = document.createElement('p')
      p.className = 'banner'
      p.setAttribute('role', 'alert')
      p.textContent = message
      status.append(p)
    }
  }

  function request(body) {
    const id = nextId++
    socket.send(JSON.stringify({ id, request: body }))
    return new Promise((resolve, reject) => waiting.set(id, { resolve, reject }))
  }

  function receive(message) {
    switch (message.kind) {
      case 'reply':
      case 'failed': {
        const waiter = waiting.get(message.id)
        waiting.delete(message.id)
        if (!waiter) return showStatus(message.message || '')
        return message.kind === 'reply' ? waiter.resolve(message.result) : waiter.reject(new Error(message.message))
      }
      case 'patch':
        message.patches.forEach(apply)
        return showRunAgain()
      case 'navigate':
        redirected = true
        return message.replace ? location.replace(message.href) : location.assign(message.href)
    }
  }

  // What the person entered in a form, to carry over when the server sends
  // a new render of the same input group (a validation error, a new page of
  // a table): values, checks, the focused element and its caret.
  function snapshot(form) {
    const active = document.activeElement
    return {
      group: form.dataset.group,
      focus: active && form.contains(active) ? active.id : null,
      caret: active && 'selectionStart' in active ? [active.selectionStart, active.selectionEnd] : null,
      fields: $$('input, textarea, select', form).map(el => ({
        key: fieldKey(el),
        type: el.type,
        value: el.value,
        checked: el.checked,
      })),
      rich: $$('[data-sync]', form).map(el => [el.id, el.innerHTML]),
      uploads: $$('[data-upload-list]', form).map(el => el.innerHTML),
      // What a multiple search has chosen, whatever its new results.
      chips: $$('[data-chips]', form).map(el => [el.id, el.innerHTML]),
    }
  }

  // How a field is found again in the new render: by id, hidden fields
  // (rich text, uploads, table selections) by name, checkboxes and radios
  // by name and value.
  function fieldKey(el) {
    if (el.type === 'hidden') return `hidden:${el.name}`
    return el.id || `${el.name}=${el.value}`
  }

  function restore(form, saved) {
    const byKey = new Map(saved.fields.map(f => [f.key, f]))
    for (const el of $$('input, textarea, select', form)) {
      const old = byKey.get(fieldKey(el))
      if (!old || old.type !== el.type) continue
      if (el.type === 'checkbox' || el.type === 'radio') el.checked = old.checked
      else if (el.type !== 'file') el.value = old.value
    }
    for (const [id, html] of saved.rich) {
      const el = document.getElementById(id)
      if (el && form.contains(el)) el.innerHTML = html
    }
    $$('[data-upload-list]', form).forEach((el, i) => { el.innerHTML = saved.uploads[i] || '' })
    for (const [id, html] of saved.chips) {
      const el = document.getElementById(id)
      if (el && form.contains(el)) el.innerHTML = html
    }
    $$('input[type=range]', form).forEach(showSlider)
    if (saved.focus) {
      const el = document.getElementById(saved.focus)
      if (el) {
        el.focus()
        if (saved.caret && 'setSelectionRange' in el) {
          try { el.setSelectionRange(...saved.caret) } catch { /* not a text input */ }
        }
      }
    }
  }

  function apply(patch) {
    const target = document.getElementById(patch.target)
    if (!target) return
    if (patch.mode === 'append') {
      target.insertAdjacentHTML('beforeend', patch.html)
      // A new step of an append-UI transaction (PROTOCOL §6.6).
      const added = target.lastElementChild
      const form = added && $('form.io-form', added)
      if (form) {
        focusFirst(form)
        prepare(form)
      }
      document.dispatchEvent(new CustomEvent('interval:render', { detail: { root: target, restored: false } }))
    } else {
      const old = $('form.io-form', target)
      const saved = old ? snapshot(old) : null
      target.innerHTML = patch.html
      const form = $('form.io-form', target)
      const restored = Boolean(saved && form && form.dataset.group === saved.group)
      if (restored) restore(form, saved)
      else if (form && !$('[data-page]')) focusFirst(form)
      if (form) prepare(form)
      // For combobox.js: what is chosen, and whether its popup reopens.
      document.dispatchEvent(new CustomEvent('interval:render', { detail: { root: target, restored } }))
    }
    localizeTimes(target)
    // Grid images: the aspect ratio the host asked for (a number the
    // server checked; the policy allows no inline style attribute).
    for (const img of $$('img[data-aspect-ratio]', target)) img.style.aspectRatio = img.dataset.aspectRatio
  }

  // A new step of a transaction: its first field takes the focus (unless
  // the person is typing somewhere else).
  function focusFirst(form) {
    const active = document.activeElement
    if (active && active !== document.body && active.matches('input, textarea, select, [contenteditable]')) return
    const first = $('input:not([type=hidden]):not([disabled]), textarea, select, [contenteditable=true], button[type=submit]', form)
    if (first) first.focus({ preventScroll: true })
  }

  // After a render: select tables show their selection, tables without
  // data ask for their first page.
  function prepare(form) {
    $$('[data-selection]', form).forEach(syncSelection)
    for (const section of $$('[data-init]', form)) {
      setState(form, Number(section.dataset.index), {})
    }
  }

  function formOf(el) {
    return el.closest('form.io-form')
  }

  function setState(form, index, change) {
    const holder = $(`[data-index="${index}"][data-state]`, form)
    const state = Object.assign(holder ? JSON.parse(holder.dataset.state) : {}, change)
    // A key set to null is dropped: no sort is no sortColumn at all (the
    // SDKs' state schemas take it as absent, not as null).
    for (const key of Object.keys(state)) if (state[key] === null) delete state[key]
    request({
      type: 'set_state',
      transaction_id: form.dataset.key,
      input_group_key: form.dataset.group,
      index,
      state,
    }).catch(error => showStatus(error.message))
  }

  function componentIndex(el) {
    return Number(el.closest('[data-index]').dataset.index)
  }

  function showErrors(form, errors) {
    for (const slot of $$('[data-error-for]', form)) slot.textContent = ''
    for (const control of $$('[aria-invalid]', form)) control.removeAttribute('aria-invalid')
    let first = null
    for (const { index, message } of errors) {
      const slot = $(`[data-error-for="${index}"]`, form)
      if (slot) slot.textContent = message
      const control = document.getElementById(`${form.dataset.prefix || ''}c${index}`)
      if (control) {
        control.setAttribute('aria-invalid', 'true')
        first = first || control
      }
    }
    if (first) first.focus()
  }

  // Submitting: the raw values of every component, by position.
  document.addEventListener('submit', async event => {
    const form = event.target.closest('form.io-form')
    if (!form) return
    event.preventDefault()
    if (form.dataset.busy) return
    const data = new FormData(form, event.submitter)
    const count = $$('.component', form).length
    const fields = Array.from({ length: count }, (_, i) => data.getAll(`c${i}`).map(String))
    const choice = event.submitter && event.submitter.name === '__choice' ? event.submitter.value : undefined
    form.dataset.busy = 'true'
    const buttons = $$('button[type=submit]', form)
    buttons.forEach(b => { b.disabled = true })
    try {
      const result = await request({
        type: 'submit',
        transaction_id: form.dataset.key,
        render_id: form.dataset.render,
        input_group_key: form.dataset.group,
        choice,
        fields,
        password: data.has('__password') ? String(data.get('__password')) : undefined,
      })
      if (result.type === 'invalid') {
        showErrors(form, result.errors)
        throw null
      }
    } catch (error) {
      if (error) showStatus(error.message)
      delete form.dataset.busy
      buttons.forEach(b => { b.disabled = false })
    }
  })

  // Tables, grids and search: ask the host for what to show.
  document.addEventListener('click', event => {
    const button = event.target.closest('button[data-set]')
    if (button) {
      const form = formOf(button)
      if (form) setState(form, componentIndex(button), JSON.parse(button.dataset.set))
      return
    }
    if (event.target.closest('[data-cancel]') && transactionId) {
      request({ type: 'cancel', transaction_id: transactionId }).catch(error => showStatus(error.message))
    }
  })

  // Notifications shown at once (`ctx.notify`): dismissed by their button,
  // or after a while unless the pointer or focus is on them.
  document.addEventListener('click', event => {
    const close = event.target.closest('[data-dismiss]')
    if (close) close.closest('.toast')?.remove()
  })
  const toasts = document.getElementById('toasts')
  if (toasts) {
    new MutationObserver(records => {
      for (const record of records) {
        for (const toast of record.addedNodes) {
          if (!(toast instanceof HTMLElement)) continue
          const dismiss = () => {
            if (toast.matches(':hover, :focus-within')) setTimeout(dismiss, 2000)
            else toast.remove()
          }
          setTimeout(dismiss, 8000)
        }
      }
    }).observe(toasts, { childList: true })
  }

  const timers = new Map()
  function debounce(key, fn) {
    clearTimeout(timers.get(key))
    timers.set(key, setTimeout(fn, 300))
  }

  function showSlider(input) {
    const output = $(`[data-output-of="${input.id}"]`)
    if (output) output.textContent = input.value
  }

  // A select table's boxes from its selection. "Select all" is checked
  // when every row of the page is, mixed when some are, and disabled when
  // checking it would select more than maxSelections.
  function syncSelection(hidden) {
    const selected = new Set(JSON.parse(hidden.value || '[]'))
    const section = hidden.closest('[data-index]')
    const boxes = $$('input[data-select]', section)
    for (const box of boxes) box.checked = selected.has(box.dataset.select)
    const all = $('input[data-select-all]', section)
    if (!all) return
    const unselected = boxes.filter(box => !box.checked).length
    const max = Number(all.dataset.maxSelections || Infinity)
    all.checked = boxes.length > 0 && unselected === 0
    all.indeterminate = unselected > 0 && unselected < boxes.length
    all.disabled = boxes.length === 0 || boxes.some(box => box.disabled) ||
      (!all.checked && selected.size + unselected > max)
  }

  document.addEventListener('input', event => {
    const el = event.target
    const form = formOf(el)
    if (!form) return
    if (el.matches('[data-table-search]')) {
      debounce(el.id, () => setState(form, componentIndex(el), { queryTerm: el.value, offset: 0 }))
    } else if (el.matches('[data-search]')) {
      debounce(el.id, () => setState(form, componentIndex(el), { queryTerm: el.value }))
    } else if (el.matches('[data-sync]')) {
      $(`input[name="${el.dataset.sync}"]`, form).value = el.innerHTML
    } else if (el.matches('input[type=range]')) {
      showSlider(el)
    }
  })

  // Select tables: the hidden field holds the selected row keys, across
  // pages; "select all" (un)checks every row of the page.
  document.addEventListener('change', event => {
    const el = event.target
    if (el.matches('input[data-select], input[data-select-all]')) {
      const section = el.closest('[data-index]')
      const hidden = $('input[data-selection]', section)
      const selected = new Set(JSON.parse(hidden.value || '[]'))
      const rows = el.matches('[data-select-all]') ? $$('input[data-select]', section) : [el]
      for (const row of rows) {
        if (el.checked) selected.add(row.dataset.select)
        else selected.delete(row.dataset.select)
      }
      hidden.value = JSON.stringify(Array.from(selected))
      syncSelection(hidden)
    }
  })

  // Requests of the other scripts (uploads.js) over this socket.
  document.addEventListener('interval:request', event => {
    const { body, resolve, reject } = event.detail
    request(body).then(resolve, reject)
  })

  // A transaction that cannot go on (its host is gone for good) offers to
  // run the action again.
  function showRunAgain() {
    const again = $('#run-again')
    if (again && $('#status [data-ended]')) {
      again.hidden = false
      $('[data-cancel]')?.setAttribute('hidden', '')
    }
  }

  async function start() {
    await request({ type: 'html' })
    const params = JSON.parse(view.dataset.params || '{}')
    if (view.dataset.transaction) {
      // A reload or a return: follow the transaction already running.
      transactionId = view.dataset.transaction
      await request({ type: 'attach', transaction_id: transactionId })
    } else if (view.dataset.action) {
      if ('confirm' in view.dataset) {
        await runConfirmed
        $('#confirm-run')?.remove()
        delete view.dataset.confirm
      }
      const reply = await request({
        type: 'start_transaction',
        slug: view.dataset.action,
        params,
        queued_action_id: view.dataset.queued,
      })
      transactionId = reply.transaction_id
      view.dataset.transaction = transactionId
      const url = new URL(location.href)
      url.searchParams.delete('_queued')
      url.searchParams.set('_transaction', transactionId)
      history.replaceState(null, '', url)
    } else {
      await request({ type: 'open_page', slug: view.dataset.page, params })
    }
  }

  // The socket, reconnected by itself when it drops (a server restart, a
  // network blip): the view then attaches again to its transaction (which
  // goes on if its host replays it) or opens its page again.
  let reconnects = 0
  function connect() {
    socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/dashboard`)
    socket.addEventListener('open', () => {
      const again = reconnects > 0
      if (again) {
        // What the form showed may be gone with the connection: the server
        // sends the question again (now, or when its host replays it).
        showStatus('')
        const io = $('#io')
        if (io && view.dataset.transaction) {
          const wait = document.createElement('p')
          wait.className = 'help'
          wait.textContent = 'Reconnected; waiting for the question…'
          io.replaceChildren(wait)
        }
      }
      start().then(() => {
        reconnects = 0
      }).catch(error => {
        if (again && view.dataset.transaction) {
          // Gone with the server's memory and not resumable.
          showStatus(`This transaction cannot continue: ${error.message}`)
          const status = $('#status p')
          if (status) status.dataset.ended = 'true'
          return showRunAgain()
        }
        const io = $('#io') || $('#page-body')
        if (io) io.replaceChildren()
        showStatus(error.message)
      })
    })
    socket.addEventListener('message', event => receive(JSON.parse(event.data)))
    socket.addEventListener('close', () => {
      for (const waiter of waiting.values()) waiter.reject(new Error('The connection to the server was lost.'))
      waiting.clear()
      if (view.dataset.done || redirected || $('#status [data-ended]')) return
      // Over: nothing to go back to.
      if ($('#result')?.childElementCount) return
      reconnects += 1
      showStatus('The connection to the server was lost; reconnecting…')
      const delay = Math.min(500 * 2 ** Math.min(reconnects - 1, 4), 5000)
      setTimeout(connect, delay)
    })
  }
  connect()
  window.addEventListener('pagehide', () => { view.dataset.done = 'true' })

  // warnOnClose: leaving a transaction still running asks first (every
  // link here loads a new page, so this covers them too). Not once it has
  // a result or its host is gone (the server marks both data-ended), nor
  // when the action itself redirects.
  window.addEventListener('beforeunload', event => {
    if (!('warnOnClose' in view.dataset) || !transactionId || redirected || $('[data-ended]', view)) return
    event.preventDefault()
    event.returnValue = true
  })
})()
