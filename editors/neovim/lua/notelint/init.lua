-- notelint for Neovim 0.11+: registers `notelint server` with vim.lsp.config / vim.lsp.enable.
--
--   require("notelint").setup({
--     profile = "cpt",                 -- "cpt" | "ash"
--     select = { "NL1", "NL401" },     -- or "NL1,NL401" as on the command line
--     ignore = { "NL7" },
--     severity = { NL202 = "hint" },
--     rules = { "policies/" },         -- extra rule folders, from the project root
--     run = "onType",                  -- "onType" | "onSave"
--     debounceMs = 150,
--     cmd = { "notelint", "server" },
--     codelens = true,                 -- the summary lens (supported codes, gaps), kept fresh
--     inline = "lines",                -- "lines": every finding below its line; "text": Neovim's
--                                      -- virtual text (one message a line); false: leave as is
--   })
--
-- Options left out come from the project's notelint.toml / pyproject.toml, as on the CLI.

local M = {}

M.name = "notelint"

--- The server's settings (server/notelint/lsp/options.py), in the server's spelling.
M.setting_keys = { "profile", "select", "ignore", "severity", "rules", "run", "debounceMs" }

local defaults = {
  cmd = { "notelint", "server" },
  filetypes = { "text", "markdown", "note" },
  root_markers = { "notelint.toml", "pyproject.toml", ".git" },
}

local other_keys = {
  cmd = "table",
  filetypes = "table",
  root_markers = "table",
  enable = "boolean",
  codelens = "boolean",
  inline = "any", -- "lines" | "text" | false, checked below
  lsp = "table", -- passed to vim.lsp.config as is (on_attach, capabilities, ...)
}

local setting_types = {
  profile = { "string" },
  select = { "table", "string" },
  ignore = { "table", "string" },
  severity = { "table" },
  rules = { "table", "string" },
  run = { "string" },
  debounceMs = { "number" },
}

local current = nil

local function check(opts)
  for key, value in pairs(opts) do
    local want = setting_types[key] or (other_keys[key] and { other_keys[key] })
    if not want then
      local known = vim.list_extend(vim.deepcopy(M.setting_keys), vim.tbl_keys(other_keys))
      table.sort(known)
      error(("notelint: unknown option %q (known: %s)"):format(key, table.concat(known, ", ")), 3)
    end
    if want[1] ~= "any" and not vim.tbl_contains(want, type(value)) then
      error(("notelint: option %s: expected %s, got %s"):format(key, table.concat(want, " or "), type(value)), 3)
    end
  end
  if opts.profile and opts.profile ~= "cpt" and opts.profile ~= "ash" then
    error('notelint: option profile: expected "cpt" or "ash"', 3)
  end
  if opts.run and opts.run ~= "onType" and opts.run ~= "onSave" then
    error('notelint: option run: expected "onType" or "onSave"', 3)
  end
  if opts.inline ~= nil and opts.inline ~= "lines" and opts.inline ~= "text" and opts.inline ~= false then
    error('notelint: option inline: expected "lines", "text" or false', 3)
  end
end

local group = vim.api.nvim_create_augroup("notelint", { clear = true })

--- Several findings share the coding line; Neovim's virtual text shows only one message a line,
--- so by default notelint's diagnostics are shown as virtual lines: every finding, one a line.
local function show_inline(client, inline)
  if inline ~= "lines" then
    return
  end
  for _, pull in ipairs({ false, true }) do -- pushed and pulled diagnostics have a namespace each
    local ns = vim.lsp.diagnostic.get_namespace(client.id, pull)
    vim.diagnostic.config({ virtual_text = false, virtual_lines = true }, ns)
  end
end

--- The server's code lens (supported codes, documentation gaps) follows its diagnostics.
local function keep_lens_fresh(client, buf)
  if not client:supports_method("textDocument/codeLens") then
    return
  end
  local function refresh()
    if vim.api.nvim_buf_is_valid(buf) then
      vim.lsp.codelens.refresh({ bufnr = buf })
    end
  end
  vim.api.nvim_clear_autocmds({ group = group, buffer = buf })
  vim.api.nvim_create_autocmd({ "DiagnosticChanged", "BufEnter" }, { group = group, buffer = buf, callback = refresh })
  refresh()
end

local function on_attach(opts)
  return function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client == nil or client.name ~= M.name then
      return
    end
    show_inline(client, opts.inline == nil and "lines" or opts.inline)
    if opts.codelens ~= false then
      keep_lens_fresh(client, args.buf)
    end
  end
end

--- The settings the server receives: only the options given, so the project's file keeps the rest.
function M.settings(opts)
  local settings = {}
  for _, key in ipairs(M.setting_keys) do
    if opts[key] ~= nil then
      settings[key] = opts[key]
    end
  end
  return settings
end

--- Register the `note` filetype for *.note, configure and (unless enable = false) enable the server.
function M.setup(opts)
  opts = opts or {}
  check(opts)
  if vim.lsp.config == nil or vim.lsp.enable == nil then
    vim.notify("notelint: needs Neovim 0.11 or later (vim.lsp.config)", vim.log.levels.ERROR)
    return
  end
  vim.filetype.add({ extension = { note = "note" } })

  local settings = M.settings(opts)
  local has_settings = next(settings) ~= nil
  local config = vim.tbl_deep_extend("force", opts.lsp or {}, {
    cmd = opts.cmd or defaults.cmd,
    filetypes = opts.filetypes or defaults.filetypes,
    root_markers = opts.root_markers or defaults.root_markers,
    -- initializationOptions at start; workspace/configuration (section "notelint") afterwards,
    -- so that `vim.lsp.config("notelint", {settings = ...})` changes reach a running server.
    init_options = has_settings and settings or vim.empty_dict(),
    settings = has_settings and { notelint = settings } or vim.empty_dict(),
  })
  vim.lsp.config(M.name, config)
  current = vim.lsp.config[M.name]
  vim.api.nvim_clear_autocmds({ group = group, event = "LspAttach" })
  vim.api.nvim_create_autocmd("LspAttach", { group = group, callback = on_attach(opts) })
  if opts.enable ~= false then
    vim.lsp.enable(M.name)
  end
  return current
end

--- The resolved configuration after setup(), or nil.
function M.config()
  return current
end

return M
