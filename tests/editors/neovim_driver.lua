-- Headless Neovim with the notelint plugin on the runtimepath: setup() through vim.lsp.config /
-- vim.lsp.enable, open $NOTELINT_NOTE (text) and $NOTELINT_NOTE2 (*.note), wait for diagnostics,
-- run :checkhealth notelint, and write what Neovim received to $NOTELINT_OUT as JSON.
-- Each diagnostic is also printed to stdout, as "file:line:col: CODE [severity] message".

local result = {}
local severities = { "error", "warning", "info", "hint" }

local function collect(buf)
  local out = {}
  local name = vim.fs.basename(vim.api.nvim_buf_get_name(buf))
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local severity = severities[d.severity]
    table.insert(out, { code = d.code, source = d.source, severity = severity, lnum = d.lnum, col = d.col, message = d.message })
    io.stdout:write(("%s:%d:%d: %s [%s] %s\n"):format(name, d.lnum + 1, d.col + 1, d.code, severity, d.message))
  end
  return out
end

--- The text of every virtual line in the buffer (how notelint shows findings inline), by line.
local function shown_below(buf)
  local out = {}
  for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, 0, -1, { details = true })) do
    for _, virt_line in ipairs(mark[4].virt_lines or {}) do
      local text = table.concat(vim.tbl_map(function(chunk)
        return chunk[1]
      end, virt_line))
      table.insert(out, { line = mark[2], text = text })
    end
  end
  return out
end

local function open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  local ok = vim.wait(15000, function()
    return #vim.diagnostic.get(buf) > 0
  end, 20)
  local lensed = vim.wait(15000, function()
    local lenses = vim.lsp.codelens.get(buf)
    return #lenses > 0 and lenses[1].command ~= nil
  end, 20)
  return {
    lenses = lensed and vim.tbl_map(function(l)
      return { line = l.range.start.line, title = l.command.title }
    end, vim.lsp.codelens.get(buf)) or {},
    inline = shown_below(buf),
    filetype = vim.bo[buf].filetype,
    attached = vim.tbl_map(function(c)
      return c.name
    end, vim.lsp.get_clients({ bufnr = buf })),
    timed_out = not ok,
    diagnostics = collect(buf),
  }
end

local function health()
  vim.cmd("checkhealth notelint")
  local lines = vim.api.nvim_buf_get_lines(0, 0, -1, false)
  vim.cmd("bwipeout!")
  return lines
end

local function drive()
  vim.opt.runtimepath:prepend(vim.env.NOTELINT_PLUGIN)
  local notelint = require("notelint")
  local config = notelint.setup({
    cmd = vim.json.decode(vim.env.NOTELINT_CMD),
    debounceMs = 0,
    severity = { NL202 = "hint" },
  })
  result.config = { cmd = config.cmd, filetypes = config.filetypes, init_options = config.init_options, settings = config.settings }
  result.text = open(vim.env.NOTELINT_NOTE)
  result.note = open(vim.env.NOTELINT_NOTE2)
  result.health = health()
  -- The same check with a server that is not installed.
  notelint.setup({ cmd = { "no-such-notelint-server", "server" }, enable = false })
  result.health_missing = health()
  local bad = pcall(notelint.setup, { profil = "cpt" })
  result.rejects_unknown_option = not bad
  for _, client in ipairs(vim.lsp.get_clients({ name = "notelint" })) do
    client:stop(true)
  end
end

local ok, err = pcall(drive)
if not ok then
  result.error = tostring(err)
end
vim.fn.writefile({ vim.json.encode(result) }, vim.env.NOTELINT_OUT)
vim.cmd("qall!")
