// The spreadsheet input (`io.experimental.spreadsheet`): the server renders
// a table of labelled cells, a row template and "Add row" / "Remove row N"
// buttons; this script adds and removes rows (from the server's template),
// renumbers the cells' names ("Row 2 Amount"), moves between rows with the
// up and down arrows, fills cells from a block pasted from a spreadsheet
// (tab-separated lines) starting at the focused cell, and keeps every cell's text in the grid's hidden field (JSON rows),
// which the form submits and the server reads and checks. It builds no
// markup from an action's data.
(() => {
  'use strict'

  const $ = (selector, root = document) => root.querySelector(selector)
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector))

  const rowsOf = sheet => $$('tbody [data-sheet-row]', sheet)
  const cellsOf = row => $$('[data-column]', row)

  function read(cell) {
    return cell.type === 'checkbox' ? String(cell.checked) : cell.value
  }

  function write(cell, text) {
    if (cell.type === 'checkbox') {
      cell.checked = /^(true|yes|y|1|x|✓)$/i.test(text.trim())
    } else if (cell.tagName === 'SELECT') {
      const t = text.trim().toLowerCase()
      cell.value = /^(true|yes|y|1|x)$/.test(t) ? 'true' : /^(false|no|n|0)$/.test(t) ? 'false' : ''
    } else {
      cell.value = text
    }
  }

  // The hidden field from the cells, and every row's number and names.
  function sync(sheet) {
    rowsOf(sheet).forEach((row, i) => {
      const n = i + 1
      $('[data-row-number]', row).textContent = String(n)
      $('[data-row-name]', row).textContent = ` row ${n}`
      for (const cell of cellsOf(row)) cell.setAttribute('aria-label', `Row ${n} ${cell.dataset.column}`)
    })
    $('[data-sheet-value]', sheet).value = JSON.stringify(rowsOf(sheet).map(row => cellsOf(row).map(read)))
  }

  function addRow(sheet) {
    const template = $('template[data-sheet-template]', sheet)
    const row = template.content.firstElementChild.cloneNode(true)
    $('tbody', sheet).append(row)
    return row
  }

  // The cells from the hidden field (a new render of the same form, after
  // the host's validation message, carries what was typed over).
  function restore(sheet) {
    let rows
    try {
      rows = JSON.parse($('[data-sheet-value]', sheet).value || '[]')
    } catch {
      return
    }
    rowsOf(sheet).forEach(row => row.remove())
    for (const cells of rows) {
      const row = addRow(sheet)
      cellsOf(row).forEach((cell, i) => write(cell, String(cells[i] ?? '')))
    }
    sync(sheet)
  }

  document.addEventListener('interval:render', event => {
    if (!event.detail.restored) return
    $$('[data-sheet]', event.detail.root).forEach(restore)
  })

  document.addEventListener('input', event => {
    const sheet = event.target.closest('[data-sheet]')
    if (sheet && event.target.matches('[data-column]')) sync(sheet)
  })
  document.addEventListener('change', event => {
    const sheet = event.target.closest('[data-sheet]')
    if (sheet && event.target.matches('[data-column]')) sync(sheet)
  })

  document.addEventListener('click', event => {
    const sheet = event.target.closest('[data-sheet]')
    if (!sheet) return
    if (event.target.closest('[data-sheet-add]')) {
      const row = addRow(sheet)
      sync(sheet)
      cellsOf(row)[0]?.focus()
      return
    }
    const remove = event.target.closest('[data-sheet-remove]')
    if (remove) {
      const row = remove.closest('[data-sheet-row]')
      const next = row.nextElementSibling || row.previousElementSibling
      row.remove()
      sync(sheet)
      // The focus stays in the grid: on the row that took its place.
      const focus = next ? $('[data-sheet-remove]', next) : $('[data-sheet-add]', sheet)
      focus.focus()
    }
  })

  // Up and down arrows move to the same column of the row above or below
  // (a one-line cell has no use for them; a yes/no select keeps them).
  document.addEventListener('keydown', event => {
    if (event.key !== 'ArrowUp' && event.key !== 'ArrowDown') return
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return
    const cell = event.target.closest && event.target.closest('input[data-column]')
    const sheet = cell && cell.closest('[data-sheet]')
    if (!sheet) return
    const row = cell.closest('[data-sheet-row]')
    const column = cellsOf(row).indexOf(cell)
    const next = event.key === 'ArrowUp' ? row.previousElementSibling : row.nextElementSibling
    if (!next) return
    event.preventDefault()
    cellsOf(next)[column]?.focus()
  })

  // A block copied from a spreadsheet: tab-separated cells, one row per
  // line. It fills the grid from the focused cell, adding rows as needed;
  // cells past the last column are dropped. A single value pastes as usual.
  document.addEventListener('paste', event => {
    const target = event.target.closest && event.target.closest('[data-column]')
    const sheet = target && target.closest('[data-sheet]')
    if (!sheet) return
    const text = (event.clipboardData || window.clipboardData).getData('text/plain')
    if (!/[\t\n]/.test(text)) return
    event.preventDefault()
    const lines = text.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n').map(line => line.split('\t'))
    const startRow = rowsOf(sheet).indexOf(target.closest('[data-sheet-row]'))
    const startColumn = cellsOf(target.closest('[data-sheet-row]')).indexOf(target)
    lines.forEach((values, r) => {
      const row = rowsOf(sheet)[startRow + r] || addRow(sheet)
      const cells = cellsOf(row)
      values.forEach((value, c) => {
        const cell = cells[startColumn + c]
        if (cell) write(cell, value)
      })
    })
    sync(sheet)
  })
})()
