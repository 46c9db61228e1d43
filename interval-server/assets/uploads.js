// File uploads (`UPLOAD_FILE`). A chosen file is shown at once by name;
// then it goes up with its progress shown, and the field says when it is
// uploaded or why it could not be. Files go to this server: to URLs it
// hosts, or, when the action provides its own URLs (`fileUrls`, e.g.
// presigned S3 URLs), to URLs of this server that relay them there (the
// page may connect to this server only; see src/dashboard/relay.rs). The
// host's URLs come in a new render after a state change naming the files.
// Requests go over the dashboard socket, through dashboard.js
// ('interval:request' events).
(() => {
  'use strict'

  const $ = (selector, root = document) => root.querySelector(selector)
  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector))

  function request(body) {
    return new Promise((resolve, reject) => {
      document.dispatchEvent(new CustomEvent('interval:request', { detail: { body, resolve, reject } }))
    })
  }

  const index = input => Number(input.dataset.upload)

  // A field by its form's input group and its position. A new render of
  // the same form (the host's, after a state change) replaces the
  // elements while a file goes up: what is shown is written to the
  // current ones.
  const fieldOf = input => ({ group: input.closest('form').dataset.group, index: index(input) })
  function current(field) {
    const form = $(`form.io-form[data-group="${CSS.escape(field.group)}"]`)
    const input = form && $(`input[data-upload="${field.index}"]`, form)
    return input && { form, input, component: input.closest('.component') }
  }

  // Each field's upload error, shown again after a new render of its form.
  const errors = new Map()
  const errorKey = field => `${field.group}:${field.index}`

  function showError(field, message) {
    errors.set(errorKey(field), message)
    const now = current(field)
    if (!now) return
    const slot = $(`[data-error-for="${field.index}"]`, now.form)
    if (slot) slot.textContent = message
    now.input.setAttribute('aria-invalid', 'true')
  }

  function clearError(field) {
    errors.delete(errorKey(field))
    const now = current(field)
    if (!now) return
    const slot = $(`[data-error-for="${field.index}"]`, now.form)
    if (slot) slot.textContent = ''
    now.input.removeAttribute('aria-invalid')
  }

  const size = file => `${Math.max(1, Math.ceil(file.size / 1024))} KB`

  // One line per chosen file: its name, a progress bar while it goes up,
  // and what happened to it.
  function showFiles(field, files, states, progress = []) {
    const now = current(field)
    if (!now) return
    $('[data-upload-list]', now.component).replaceChildren(...files.map((file, i) => {
      const item = document.createElement('li')
      const name = document.createElement('span')
      name.textContent = file.name
      const state = document.createElement('span')
      state.textContent = states[i]
      item.append(name, ' ', state)
      if (states[i] === FAILED) item.classList.add('failed')
      if (progress[i] !== undefined) {
        const bar = document.createElement('progress')
        bar.max = 100
        bar.value = progress[i]
        bar.setAttribute('aria-label', `Uploading ${file.name}`)
        item.append(bar)
      }
      return item
    }))
  }
  const FAILED = 'could not be uploaded'

  function put(url, file, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest()
      xhr.open('PUT', url)
      if (file.type) xhr.setRequestHeader('Content-Type', file.type)
      xhr.upload.addEventListener('progress', e => { if (e.lengthComputable) onProgress(e.loaded / e.total) })
      xhr.addEventListener('load', () => {
        if (xhr.status >= 200 && xhr.status < 300) return resolve()
        reject(new Error(xhr.responseText || `The upload failed (HTTP ${xhr.status}).`))
      })
      xhr.addEventListener('error', () => reject(new Error('The upload failed: the connection was lost.')))
      xhr.send(file)
    })
  }

  async function putFiles(field, files, urls) {
    const states = files.map(() => 'waiting…')
    const progress = []
    const done = []
    for (const [i, file] of files.entries()) {
      states[i] = 'uploading…'
      progress[i] = 0
      showFiles(field, files, states, progress)
      try {
        await put(urls[i].upload_url, file, share => {
          progress[i] = Math.round(share * 100)
          const item = current(field)?.component.querySelectorAll('[data-upload-list] li')[i]
          const bar = item?.querySelector('progress')
          if (bar) bar.value = progress[i]
          // Sent; the server may still be passing it on to the storage.
          if (share === 1 && item) item.children[1].textContent = states[i] = 'storing…'
        })
      } catch (error) {
        states[i] = FAILED
        delete progress[i]
        showFiles(field, files, states, progress)
        throw new Error(`${file.name} could not be uploaded: ${error.message}`)
      }
      states[i] = `(${size(file)}) uploaded`
      delete progress[i]
      showFiles(field, files, states, progress)
      done.push({ name: file.name, type: file.type, size: file.size, lastModified: file.lastModified, url: urls[i].download_url })
    }
    const now = current(field)
    if (now) $('[data-uploaded]', now.component).value = JSON.stringify(done)
  }

  // Files waiting for the host's URLs, by input group and component.
  const waiting = new Map()
  const keyOf = input => `${input.closest('form').dataset.group}:${input.dataset.upload}`

  // What each field's picker holds, given back to the new picker of a
  // new render (which would say "No file chosen").
  const chosen = new Map()

  async function choose(input) {
    const form = input.closest('form.io-form')
    const field = fieldOf(input)
    const files = Array.from(input.files)
    chosen.set(errorKey(field), input.files)
    $('[data-uploaded]', input.closest('.component')).value = ''
    clearError(field)
    showFiles(field, files, files.map(() => 'preparing the upload…'))
    if (!files.length) return
    try {
      if (input.hasAttribute('data-host-urls')) {
        waiting.set(keyOf(input), files)
        const described = files.map(f => ({ name: f.name, type: f.type }))
        await request({
          type: 'set_state',
          transaction_id: form.dataset.key,
          input_group_key: form.dataset.group,
          index: index(input),
          state: { files: described, name: described[0].name, type: described[0].type },
        })
        return
      }
      const reply = await request({
        type: 'upload_urls',
        transaction_id: form.dataset.key,
        files: files.map(f => ({ name: f.name, type: f.type, size: f.size })),
      })
      await putFiles(field, files, reply.urls)
    } catch (error) {
      showError(field, error.message)
    }
  }

  document.addEventListener('change', event => {
    if (event.target.matches('input[type=file][data-upload]')) choose(event.target)
  })

  // The host's URLs arrived (a render whose file input names how many):
  // upload through the server's relay.
  document.addEventListener('interval:render', event => {
    for (const input of $$('input[data-upload]', event.detail.root)) {
      if (!event.detail.restored) continue
      const key = errorKey(fieldOf(input))
      if (chosen.has(key)) input.files = chosen.get(key)
      if (errors.has(key)) showError(fieldOf(input), errors.get(key))
    }
    for (const input of $$('input[data-file-urls]', event.detail.root)) {
      const files = waiting.get(keyOf(input))
      if (!files || Number(input.dataset.fileUrls) !== files.length) continue
      waiting.delete(keyOf(input))
      const form = input.closest('form.io-form')
      request({
        type: 'upload_urls',
        transaction_id: form.dataset.key,
        files: files.map(f => ({ name: f.name, type: f.type, size: f.size })),
        input_group_key: form.dataset.group,
        index: index(input),
      })
        .then(reply => putFiles(fieldOf(input), files, reply.urls))
        .catch(error => showError(fieldOf(input), error.message))
    }
  })
})()
