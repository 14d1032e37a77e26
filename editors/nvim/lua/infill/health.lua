--- :checkhealth infill: Neovim version, the server executable, its version, and whether the
--- configured model loads (`infill-lsp --check --settings JSON`, the settings setup() passes).
local M = {}

local INSTALL = "install the server: pip install -e . in the diffusion-infill repository, "
  .. "or point setup{ cmd = { '/path/to/.venv/bin/infill-lsp' } } at it"

local function run(cmd, timeout_ms)
  local ok, proc = pcall(vim.system, cmd, { text = true })
  if not ok then
    return { code = -1, stdout = "", stderr = tostring(proc) }
  end
  local result = proc:wait(timeout_ms)
  return { code = result.code, stdout = result.stdout or "", stderr = result.stderr or "" }
end

local function first_line(text)
  return vim.trim(text):match("[^\n]*") or ""
end

function M.check()
  local health = vim.health
  health.start("infill")
  local v = vim.version()
  if vim.fn.has("nvim-0.11") == 1 then
    health.ok(("Neovim %d.%d.%d (%s)"):format(v.major, v.minor, v.patch,
      vim.fn.has("nvim-0.12") == 1 and "inline completion" or "completion fallback; 0.12+ shows ghost text"))
  else
    health.error("Neovim 0.11 or newer is required (vim.lsp.config / vim.lsp.enable)")
  end

  local infill = require("infill")
  local cfg = infill._state.config
  if not cfg then
    health.warn("require('infill').setup{} has not been called; checking the defaults")
    cfg = infill.resolve({})
  end
  local exe = vim.fn.exepath(cfg.cmd[1])
  if exe == "" then
    health.error(("server executable %q not found"):format(cfg.cmd[1]), { INSTALL })
    return
  end
  health.ok("server executable: " .. exe)

  local version = run(vim.list_extend(vim.deepcopy(cfg.cmd), { "--version" }), 30000)
  if version.code ~= 0 then
    health.error("the server does not run: " .. first_line(version.stderr .. version.stdout),
      { "its Python environment may be broken or wrong: " .. INSTALL })
    return
  end
  health.ok("version: " .. first_line(version.stdout))

  local check = run(vim.list_extend(vim.deepcopy(cfg.cmd), { "--check", "--settings", vim.json.encode(cfg.settings) }),
    120000)
  if check.code == 0 then
    local lines = vim.split(vim.trim(check.stdout), "\n")
    health.ok("model loads: " .. table.concat(vim.list_slice(lines, 2), ", "))
  else
    health.error("the model does not load: " .. vim.trim(check.stderr),
      { "check settings.model in setup{}", "run: " .. table.concat(cfg.cmd, " ") .. " --check" })
  end

  local clients = vim.lsp.get_clients({ name = "infill" })
  local restarts = infill._state.restarts
  if #clients > 0 then
    health.ok(("server running (client %d), restarts: %d"):format(clients[1].id, restarts))
  elseif restarts >= cfg.max_restarts then
    health.error(("the server crashed %d times and was not restarted again"):format(restarts), { "see :InfillLog" })
  else
    health.info("no server running now; it starts with the first " .. table.concat(cfg.filetypes, "/") .. " buffer")
  end
end

return M
