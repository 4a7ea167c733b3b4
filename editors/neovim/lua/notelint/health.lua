-- :checkhealth notelint
local M = {}

function M.check()
  local health = vim.health
  health.start("notelint")

  if vim.fn.has("nvim-0.11") == 1 then
    health.ok("Neovim " .. tostring(vim.version()) .. " has vim.lsp.config / vim.lsp.enable")
  else
    health.error("Neovim 0.11 or later is needed (vim.lsp.config / vim.lsp.enable)")
    return
  end

  local notelint = require("notelint")
  local config = notelint.config()
  if config == nil then
    health.warn('setup() has not been called', { 'Add require("notelint").setup({}) to your config' })
    config = { cmd = { "notelint", "server" } }
  else
    health.ok("setup() called; filetypes: " .. table.concat(config.filetypes or {}, ", "))
  end

  local cmd = config.cmd
  if type(cmd) ~= "table" or type(cmd[1]) ~= "string" then
    health.info("cmd is a function; cannot check it")
    return
  end
  local exe = vim.fn.exepath(cmd[1])
  if exe == "" then
    health.error(("server command not found: %s"):format(cmd[1]), {
      "pipx install /path/to/notelint (a clone of the repository), or set cmd in setup()",
      'e.g. cmd = { "/path/to/venv/bin/notelint", "server" }',
    })
    return
  end
  health.ok(("server command found: %s (%s)"):format(table.concat(cmd, " "), exe))

  if cmd[1]:match("notelint$") then
    local run = vim.system({ exe, "--version" }, { text = true }):wait(10000)
    if run.code == 0 then
      health.ok("version: " .. vim.trim(run.stdout or ""))
    else
      health.warn(("`%s --version` failed (exit %s): %s"):format(exe, tostring(run.code), vim.trim(run.stderr or "")))
    end
  end

  local clients = vim.lsp.get_clients({ name = notelint.name })
  if #clients > 0 then
    health.ok(("%d notelint client(s) running"):format(#clients))
  else
    health.info("no notelint client running (open a text, markdown or .note file)")
  end
end

return M
