// The comboboxes of the dashboard (a searchable select, `io.search`), after
// the WAI-ARIA 1.2 combobox pattern with list autocomplete and automatic
// selection, as Interval's dashboard has it: once the person has typed,
// the first option shown is the active one, so that Enter picks it (the
// one result of a search, say); opened without text, the option chosen
// is. The server renders the input (role=combobox), its popup
// listbox of options and, for a multiple search, the chips of what is
// chosen; this script opens and closes the popup, moves through it with
// the arrow keys (aria-activedescendant), picks with Enter or a click and
// closes with Escape. A searchable select filters its options here; a
// search sends each query to the host (dashboard.js does, for any input
// with data-search) and the server renders the new results, which the
// chosen values outlive (dashboard.js carries the chips over). It builds
// no markup from an action's data but a chip from an option's own label,
// as text.
(() => {
  'use strict'

  const $ = (selector, root = document) => root.querySelector(selector)
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector))

  // The comboboxes whose popup is open, by input id: a new render of the
  // same form (new results) opens them again.
  const expanded = new Set()
  // The value of the active option, by input id: a new render of the same
  // form (a host renders twice after a query) keeps it active.
  const activeValues = new Map()

  /** The parts of the combobox `el` is in, or null. */
  function parts(el) {
    const root = el && el.closest && el.closest('[data-combobox]')
    if (!root) return null
    const input = $('input[role=combobox]', root)
    return {
      root,
      input,
      listbox: document.getElementById(input.getAttribute('aria-controls')),
      search: root.dataset.combobox === 'search',
      multiple: 'multiple' in root.dataset,
    }
  }

  const shown = c => $$('[role=option]', c.listbox).filter(o => !o.hidden)
  const active = c => $('[role=option].active', c.listbox)

  function announce(c, message) {
    const live = $('[data-announce]', c.root)
    if (live) live.textContent = message
  }

  function count(c) {
    const n = shown(c).length
    return n === 1 ? '1 option' : `${n} options`
  }

  function open(c) {
    if (c.input.disabled) return
    if (!c.search) filter(c)
    const options = shown(c)
    const note = $('[data-note]', c.root)
    if (note) note.hidden = options.length > 0
    if (!options.length) return close(c)
    const was = !c.listbox.hidden
    c.listbox.hidden = false
    c.input.setAttribute('aria-expanded', 'true')
    expanded.add(c.input.id)
    if (!active(c)) activate(c, firstActive(c, options))
    if (!was) announce(c, `${count(c)} available; use the arrow keys to move, Enter to pick.`)
  }

  // The option active when the popup opens or its options change: the
  // first shown once the person has typed (automatic selection), else the
  // one chosen of a single combobox, else none.
  function firstActive(c, options) {
    const before = activeValues.get(c.input.id)
    const kept = before !== undefined && options.find(o => o.dataset.value === before)
    if (kept) return kept
    const picked = options.find(o => o.getAttribute('aria-selected') === 'true')
    const typed = c.input.value.trim() !== '' && !(picked && picked.dataset.label === c.input.value)
    if (typed) return options[0]
    return c.multiple ? null : picked || null
  }

  function close(c) {
    c.listbox.hidden = true
    c.input.setAttribute('aria-expanded', 'false')
    activate(c, null)
    expanded.delete(c.input.id)
  }

  function activate(c, option) {
    for (const o of $$('[role=option].active', c.listbox)) o.classList.remove('active')
    if (!option) {
      activeValues.delete(c.input.id)
      return c.input.removeAttribute('aria-activedescendant')
    }
    activeValues.set(c.input.id, option.dataset.value)
    option.classList.add('active')
    c.input.setAttribute('aria-activedescendant', option.id)
    option.scrollIntoView({ block: 'nearest' })
  }

  function move(c, delta) {
    const options = shown(c)
    if (!options.length) return
    const at = options.indexOf(active(c))
    const next = at === -1 ? (delta > 0 ? 0 : options.length - 1) : (at + delta + options.length) % options.length
    activate(c, options[next])
  }

  // What is chosen: one hidden field, or one per chip.
  function chosen(c) {
    if (c.multiple) return $$('[data-chips] input[type=hidden]', c.root).map(i => i.value)
    const value = $('[data-chosen]', c.root).value
    return value ? [value] : []
  }

  function syncSelected(c) {
    const values = new Set(chosen(c))
    for (const o of $$('[role=option]', c.listbox)) o.setAttribute('aria-selected', String(values.has(o.dataset.value)))
  }

  function chip(c, value, label) {
    const item = document.createElement('li')
    item.className = 'chip'
    const text = document.createElement('span')
    text.className = 'chip-label'
    text.textContent = label
    const hidden = document.createElement('input')
    hidden.type = 'hidden'
    hidden.name = c.input.id
    hidden.setAttribute('value', value)
    const remove = document.createElement('button')
    remove.type = 'button'
    remove.className = 'chip-remove'
    remove.dataset.remove = ''
    remove.setAttribute('aria-label', `Remove ${label}`)
    remove.textContent = '×'
    item.append(text, hidden, remove)
    return item
  }

  // Picking an option: a single combobox shows its label and closes; a
  // multiple one adds a chip (or removes it, if chosen) and stays open.
  function pick(c, option) {
    const { value, label } = option.dataset
    if (c.multiple) {
      const chips = $('[data-chips]', c.root)
      const existing = $$('.chip', chips).find(item => $('input[type=hidden]', item).value === value)
      if (existing) existing.remove()
      else chips.append(chip(c, value, label))
      syncSelected(c)
      announce(c, existing ? `${label} removed.` : `${label} chosen.`)
      return
    }
    $('[data-chosen]', c.root).value = value
    c.input.value = label
    syncSelected(c)
    close(c)
    announce(c, `${label} chosen.`)
  }

  // A searchable select: the options whose label or description has the
  // text typed.
  function filter(c) {
    const picked = $$('[role=option]', c.listbox).find(o => o.getAttribute('aria-selected') === 'true')
    // The text is the label of what was picked: every option is shown.
    const text = picked && picked.dataset.label === c.input.value ? '' : c.input.value.trim().toLowerCase()
    for (const o of $$('[role=option]', c.listbox)) {
      o.hidden = text !== '' && !o.textContent.toLowerCase().includes(text)
    }
    const current = active(c)
    if (current && current.hidden) activate(c, null)
    if (!active(c) && !c.listbox.hidden) activate(c, firstActive(c, shown(c)))
  }

  // Typing changes what a single combobox names: what was picked no
  // longer holds unless the text is still its label.
  function typed(c) {
    if (!c.multiple) {
      const hidden = $('[data-chosen]', c.root)
      const picked = $$('[role=option]', c.listbox).find(o => o.dataset.value === hidden.value)
      if (hidden.value && (!picked || picked.dataset.label !== c.input.value)) hidden.value = ''
      syncSelected(c)
    }
    if (!c.search) open(c) // a search's results come in a new render
  }

  document.addEventListener('input', event => {
    const c = parts(event.target)
    if (c && event.target === c.input) typed(c)
  })

  document.addEventListener('keydown', event => {
    const c = parts(event.target)
    if (!c || event.target !== c.input || event.isComposing) return
    const isOpen = !c.listbox.hidden
    switch (event.key) {
      case 'ArrowDown':
        event.preventDefault()
        if (!isOpen) open(c)
        if (!event.altKey) move(c, 1)
        return
      case 'ArrowUp':
        event.preventDefault()
        if (!isOpen) open(c)
        move(c, -1)
        return
      case 'Enter': {
        if (!isOpen) return // the form's own Enter: submit
        event.preventDefault()
        const option = active(c)
        if (option) pick(c, option)
        else close(c)
        return
      }
      case 'Escape':
        if (isOpen) {
          event.preventDefault()
          event.stopPropagation()
          close(c)
        }
    }
  })

  // A click on the input opens the popup; on an option, picks it (the
  // input keeps the focus, as it does on the popup's scroll bar); on a
  // chip's button, removes the chip.
  document.addEventListener('mousedown', event => {
    if (event.target.closest('[role=listbox]') && parts(event.target)) event.preventDefault()
  })
  document.addEventListener('click', event => {
    const c = parts(event.target)
    if (!c) return
    const option = event.target.closest('[role=option]')
    const remove = event.target.closest('[data-remove]')
    if (option) {
      pick(c, option)
      c.input.focus()
    } else if (remove) {
      const label = $('.chip-label', remove.closest('.chip')).textContent
      c.input.focus() // first: a focused button taken out would close the popup
      remove.closest('.chip').remove()
      syncSelected(c)
      announce(c, `${label} removed.`)
    } else if (event.target === c.input) {
      if (c.listbox.hidden) open(c)
      else close(c)
    }
  })

  // Leaving the combobox closes it; a searchable select whose text is
  // exactly an option's label picks that option.
  document.addEventListener('focusout', event => {
    const c = parts(event.target)
    if (!c || (event.relatedTarget && c.root.contains(event.relatedTarget))) return
    if (!c.search && !c.multiple && !$('[data-chosen]', c.root).value) {
      const text = c.input.value.trim().toLowerCase()
      const match = text && $$('[role=option]', c.listbox).find(o => o.dataset.label.toLowerCase() === text)
      if (match) pick(c, match)
    }
    close(c)
  })

  // A new render (dashboard.js): the options show what is chosen; when it
  // is the same form again (new search results), a popup that was open
  // opens again with them.
  document.addEventListener('interval:render', event => {
    const { root, restored } = event.detail
    for (const input of $$('[data-combobox] input[role=combobox]', root)) {
      const c = parts(input)
      syncSelected(c)
      if (!c.search) filter(c)
      const focused = document.activeElement === input
      if (restored && focused && expanded.has(input.id)) {
        c.listbox.hidden = true // announce the new results
        open(c)
      } else if (restored && focused && c.search && input.value) {
        open(c)
      } else {
        expanded.delete(input.id)
        activeValues.delete(input.id)
      }
    }
  })
})()
