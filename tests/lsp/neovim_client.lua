-- Drives notelint from a real editor: headless Neovim opens $NOTELINT_NOTE, waits for
-- diagnostics, asks for hover and code actions, applies the documentation template, waits for
-- the note to be linted again, and writes everything it received to $NOTELINT_OUT as JSON.

local result = {}

local function diagnostics(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(out, {
      code = d.code,
      source = d.source,
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      message = d.message,
    })
  end
  return out
end

local function find(buf, needle)
  for row, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return row, col - 1
    end
  end
  error('not in the note: ' .. needle)
end

local function drive()
  vim.cmd.edit(vim.env.NOTELINT_NOTE)
  local buf = vim.api.nvim_get_current_buf()
  local changes = 0
  vim.api.nvim_create_autocmd('DiagnosticChanged', {
    callback = function()
      changes = changes + 1
    end,
  })
  local id = vim.lsp.start({
    name = 'notelint',
    cmd = vim.json.decode(vim.env.NOTELINT_CMD),
    root_dir = vim.fs.dirname(vim.env.NOTELINT_NOTE),
    init_options = { debounceMs = 0 },
  })
  local client = assert(vim.lsp.get_client_by_id(id))
  assert(vim.wait(20000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20), 'no diagnostics arrived')
  result.encoding = client.offset_encoding
  result.diagnostics = diagnostics(buf)

  local row, col = find(buf, '76942')
  vim.api.nvim_win_set_cursor(0, { row, col + 2 })
  local hover = client:request_sync(
    'textDocument/hover',
    vim.lsp.util.make_position_params(0, client.offset_encoding),
    5000,
    buf
  )
  result.hover = hover and hover.result and hover.result.contents.value

  local images
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.code == 'NL102' then
      images = d.user_data.lsp
    end
  end
  local actions = client:request_sync('textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = images.range,
    context = { diagnostics = { images } },
  }, 5000, buf)
  result.actions = {}
  local template
  for _, action in ipairs(actions.result or {}) do
    table.insert(result.actions, action.title)
    if action.title:find('Insert a placeholder', 1, true) then
      template = action
    end
  end

  local before = changes
  vim.lsp.util.apply_workspace_edit(template.edit, client.offset_encoding)
  assert(vim.wait(10000, function()
    return changes > before
  end, 20), 'not linted again after the edit')
  result.text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n') .. '\n'
  result.after = diagnostics(buf)
  client:stop()
end

local ok, err = pcall(drive)
if not ok then
  result.error = tostring(err)
end
vim.fn.writefile({ vim.json.encode(result) }, vim.env.NOTELINT_OUT)
vim.cmd('qall!')
