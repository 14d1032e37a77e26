--- infill.nvim: starts `infill-lsp` for the configured filetypes and shows what it returns.
---
--- The plugin knows Neovim's LSP client and nothing about models: completions, the rewrite
--- and the status all come from the server. Neovim 0.12+ shows inline completions (ghost
--- text, `vim.lsp.inline_completion`); 0.11 uses the server's completion fallback (one menu
--- item, through 'omnifunc' and `vim.lsp.completion`), with a buffer-local 'completeopt' that
--- shows the menu for that one item instead of inserting it unasked. :InfillRewrite shows the
--- rewrite as a diff in a floating window and applies it on confirmation (:InfillRewrite! at once).
--- Next-edit suggestions (the edit after the user's last one) are in infill.next_edit.
local M = {}

local NAME = "infill"
local DIAGNOSTICS_METHOD = "infill/diagnostics" -- {uri, diagnostics}: the buffer's vim.diagnostic entries
local STATUS_COMMAND = "infill.status"
local REWRITE_KIND = "refactor.rewrite"
local WARN, ERROR = vim.log.levels.WARN, vim.log.levels.ERROR

M.defaults = {
  cmd = { "infill-lsp" }, -- the server command (a list, or a string naming one executable)
  -- the filetypes the server completes (every language infill-lsp knows); a shorter list attaches to fewer.
  -- The embedded model completes Python only: for the others the server says once that a backend
  -- (settings.endpoint/model) is needed, and stays silent.
  filetypes = { "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java",
    "c", "cpp", "cs", "ruby", "php", "lua", "sh", "bash" },
  settings = {}, -- server settings, camelCase as the server reads them: model, sampler, candidates, ...
  max_file_bytes = 1000000, -- larger buffers do not attach; also sent to the server as maxDocumentBytes
  max_restarts = 3, -- restarts after the server stops unexpectedly, then give up and say so
  -- the workspace root: the nearest folder above the file with any of these (the server finds each file's own
  -- project by its language)
  root_markers = { "pyproject.toml", "setup.py", "setup.cfg", "package.json", "tsconfig.json", "go.mod", "Cargo.toml",
    "pom.xml", "build.gradle", "build.gradle.kts", "CMakeLists.txt", "meson.build", "global.json", "composer.json",
    "Gemfile", ".luarc.json", ".git" },
  forward_diagnostics = true, -- send the buffer's vim.diagnostic entries to the server
  autotrigger = false, -- 0.11 fallback: complete while typing (a model call per trigger) instead of on demand
  -- 0.11 fallback with autotrigger: the characters that trigger (the server names none, so other
  -- clients do not call the model on every key; Neovim completes only on triggerCharacters)
  trigger_characters = { ".", "(", "[", ",", "=", ":", " " },
  -- 0.11 fallback: buffer-local 'completeopt' of attached buffers. With Neovim's default ("menu,popup")
  -- a single item is inserted without a menu. true: the plugin's choice (OPTIONS_ASKED: the item shown
  -- in the menu, selected, nothing inserted until <C-y>; with autotrigger OPTIONS_TYPED: not selected
  -- either, so <CR> typed while a suggestion pops up closes the menu and takes nothing); a string: that;
  -- false: leave it.
  completeopt = true,
  -- next-edit suggestions (textDocument/copilotInlineEdit, infill.next_edit): shown where they apply;
  -- in normal mode <Tab> jumps to one, a second <Tab> applies it, <Esc> dismisses it. false: off
  next_edit = { enabled = true, debounce_ms = 200, keys = { accept = "<Tab>", dismiss = "<Esc>" } },
  keymaps = { -- insert mode, buffer-local; false turns one (or, as keymaps = false, all) off
    accept = "<Tab>", -- 0.12+: accept the shown suggestion, else the key's own meaning
    next = "<M-]>", -- 0.12+: next / previous candidate
    prev = "<M-[>",
    dismiss = "<C-]>", -- 0.12+: hide the suggestion, else the key's own meaning
    trigger = "<M-\\>", -- 0.11: ask for a completion now (same as <C-x><C-o>)
  },
}

local OPTIONS_ASKED = "menu,menuone,noinsert,popup"
local OPTIONS_TYPED = "menu,menuone,noinsert,noselect,popup"

local state = { config = nil, restarts = 0, exiting = false, last_status = nil, pending = {} }
M._state = state

local function notify(msg, level)
  vim.notify("infill: " .. msg, level or vim.log.levels.INFO)
end

--- window/showMessage as one line (Neovim's own handler writes "LSP[infill][Info] ...\n": two
--- lines, so a hit-enter prompt each time), and once more on leaving insert mode when it came in
--- insert mode: there the mode message ("-- INSERT --") wipes a one-line echo at once, and a
--- message the server sends once (the embedded model "completes Python only; configure a
--- backend ...") went unseen. The message already starts with "infill: ". The last one is kept
--- (state.said): a declined rewrite is said by the server, not a second time by the plugin.
local function show_message(_, params, _)
  if not (params and type(params.message) == "string") then
    return params
  end
  local level = ({ ERROR, WARN })[params.type] or vim.log.levels.INFO
  state.said, state.said_count = params.message, (state.said_count or 0) + 1
  vim.notify(params.message, level)
  if vim.api.nvim_get_mode().mode:sub(1, 1) == "i" then
    vim.api.nvim_create_autocmd("InsertLeave", {
      once = true,
      -- scheduled: an error said inside the autocommand would read "Error detected while processing"
      callback = function() vim.schedule(function() vim.notify(params.message, level) end) end,
    })
  end
  return params
end

local function has_inline()
  return vim.fn.has("nvim-0.12") == 1 and vim.lsp.inline_completion ~= nil
end

--- The options of setup() merged over the defaults, with cmd as a list and the settings the
--- server receives (maxDocumentBytes defaults to max_file_bytes).
function M.resolve(opts)
  local cfg = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts or {})
  if opts and opts.keymaps == false then
    cfg.keymaps = false
  end
  if opts and opts.next_edit == false then
    cfg.next_edit = false
  end
  if type(cfg.cmd) == "string" then
    cfg.cmd = { cfg.cmd }
  end
  cfg.settings = vim.deepcopy(cfg.settings or {})
  if cfg.settings.maxDocumentBytes == nil then
    cfg.settings.maxDocumentBytes = cfg.max_file_bytes
  end
  return cfg
end

local function buf_bytes(bufnr)
  return vim.api.nvim_buf_get_offset(bufnr, vim.api.nvim_buf_line_count(bufnr))
end

local function client_for(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr, name = NAME })[1]
end

-- ----------------------------------------------------------------- positions

--- LSP position of (row, byte column), both 0-based, in the client's encoding.
local function lsp_position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ""
  col = math.max(0, math.min(col, #line))
  return { line = row, character = vim.str_utfindex(line, encoding, col, false) }
end

--- The range :InfillRewrite works on: the charwise visual selection when the command came
--- from one, else whole lines line1..line2 (without the last line's newline).
local function command_range(bufnr, cmd, encoding)
  local s, e = vim.api.nvim_buf_get_mark(bufnr, "<"), vim.api.nvim_buf_get_mark(bufnr, ">")
  local line2 = vim.api.nvim_buf_get_lines(bufnr, cmd.line2 - 1, cmd.line2, false)[1] or ""
  if cmd.range > 0 and vim.fn.visualmode() == "v" and s[1] == cmd.line1 and e[1] == cmd.line2 then
    local last = vim.api.nvim_buf_get_lines(bufnr, e[1] - 1, e[1], false)[1] or ""
    local stop = math.min(e[2], math.max(#last - 1, 0)) + 1 -- past the last selected byte ...
    stop = math.min(stop + vim.str_utf_end(last, stop), #last) -- ... and its whole character
    return { start = lsp_position(bufnr, s[1] - 1, s[2], encoding),
             ["end"] = lsp_position(bufnr, e[1] - 1, stop, encoding) }
  end
  return { start = lsp_position(bufnr, cmd.line1 - 1, 0, encoding),
           ["end"] = lsp_position(bufnr, cmd.line2 - 1, #line2, encoding) }
end

-- ----------------------------------------------------------------- diagnostics forwarding

local function lsp_diagnostics(bufnr, encoding)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local code = (type(d.code) == "number" or type(d.code) == "string") and d.code or nil
    out[#out + 1] = {
      range = { start = lsp_position(bufnr, d.lnum, d.col, encoding),
                ["end"] = lsp_position(bufnr, d.end_lnum or d.lnum, d.end_col or d.col, encoding) },
      severity = d.severity, -- vim.diagnostic.severity uses the LSP numbers
      message = d.message, source = d.source, code = code,
    }
  end
  return out
end

--- Send the buffer's diagnostics (debounced: DiagnosticChanged comes in bursts).
local function forward_diagnostics(bufnr)
  if state.pending[bufnr] then
    return
  end
  state.pending[bufnr] = true
  vim.defer_fn(function()
    state.pending[bufnr] = nil
    local client = vim.api.nvim_buf_is_valid(bufnr) and client_for(bufnr)
    if client then
      client:notify(DIAGNOSTICS_METHOD, { uri = vim.uri_from_bufnr(bufnr),
                                          diagnostics = lsp_diagnostics(bufnr, client.offset_encoding) })
    end
  end, 150)
end

-- ----------------------------------------------------------------- progress

--- While a completion request runs, "infill: working..." stands at the end of the cursor's line
--- (virtual text: seen in insert mode, where the mode message wipes an echo); when an asked-for
--- one ends with nothing, "infill: nothing to suggest here" stands there for NOTHING_MS, once.
local PROGRESS_NS = vim.api.nvim_create_namespace("infill.progress")
local WATCHED = { ["textDocument/completion"] = true, ["textDocument/inlineCompletion"] = true }
local NOTHING_MS = 2000
local WORKING, NOTHING = "infill: working...", "infill: nothing to suggest here"
state.inflight, state.watched, state.progress = {}, {}, nil

local function show_progress(bufnr, text)
  state.progress = text
  if not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  vim.api.nvim_buf_clear_namespace(bufnr, PROGRESS_NS, 0, -1)
  if text and bufnr == vim.api.nvim_get_current_buf() then
    local row = vim.api.nvim_win_get_cursor(0)[1] - 1
    vim.api.nvim_buf_set_extmark(bufnr, PROGRESS_NS, row, 0,
      { virt_text = { { text, "Comment" } }, virt_text_pos = "eol", hl_mode = "combine" })
  end
end

local function empty_result(result)
  if result == nil or result == vim.NIL then
    return true
  end
  local items = result.items or result
  return type(items) == "table" and #items == 0
end

--- LspRequest: a watched request of ours started (shown) or ended (cleared when none is left).
local function on_request(args)
  local req = args.data and args.data.request
  local client = args.data and vim.lsp.get_client_by_id(args.data.client_id)
  if not (req and client and client.name == NAME and WATCHED[req.method]) then
    return
  end
  local id = args.data.request_id
  if req.type == "pending" then
    state.inflight[id] = args.buf
    show_progress(args.buf, WORKING)
  else
    state.inflight[id] = nil
    if next(state.inflight) == nil and state.progress == WORKING then
      show_progress(args.buf, nil)
    end
  end
end

--- The answers of the client's watched requests pass here first: an asked-for request (invoked,
--- not a trigger character while typing) that ends with nothing says so once.
local function watch_answers(client)
  if state.watched[client.id] then
    return
  end
  state.watched[client.id] = true
  local request = client.request
  client.request = function(self, method, params, handler, bufnr)
    if not WATCHED[method] or type(handler) ~= "function" then
      return request(self, method, params, handler, bufnr)
    end
    local asked = vim.tbl_get(params or {}, "context", "triggerKind") ~= 2
    local buf = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
    return request(self, method, params, function(err, result, ...)
      if asked and not err and empty_result(result) then
        show_progress(buf, NOTHING)
        vim.defer_fn(function()
          if state.progress == NOTHING then
            show_progress(buf, nil)
          end
        end, NOTHING_MS)
      end
      return handler(err, result, ...)
    end, bufnr)
  end
end

-- ----------------------------------------------------------------- attaching

local function set_keymaps(bufnr, client)
  local keys = state.config.keymaps
  if not keys then
    return
  end
  local function map(lhs, rhs, desc, expr)
    if lhs then
      vim.keymap.set("i", lhs, rhs, { buffer = bufnr, expr = expr, desc = "infill: " .. desc })
    end
  end
  if not has_inline() then
    map(keys.trigger, function() vim.lsp.completion.get() end, "complete")
    return
  end
  local ic = vim.lsp.inline_completion
  local ns = vim.api.nvim_create_namespace("nvim.lsp.inline_completion")
  local function shown()
    return #vim.api.nvim_buf_get_extmarks(bufnr, ns, 0, -1, { limit = 1 }) > 0
  end
  map(keys.accept, function()
    if not ic.get() then
      return keys.accept
    end
  end, "accept the suggestion", true)
  local function cycle(lhs, count)
    return function()
      if not shown() then
        return lhs
      end
      vim.schedule(function() ic.select({ count = count }) end)
    end
  end
  map(keys.next, cycle(keys.next, 1), "next suggestion", true)
  map(keys.prev, cycle(keys.prev, -1), "previous suggestion", true)
  map(keys.dismiss, function()
    if not shown() then
      return keys.dismiss
    end
    vim.schedule(function() -- no public dismiss: turning it off and on clears the shown item
      ic.enable(false, { bufnr = bufnr })
      ic.enable(true, { bufnr = bufnr, client_id = client.id })
    end)
  end, "dismiss the suggestion", true)
end

--- 0.11 fallback: Neovim's completion inserts a plain-text item only up to its first blank (the
--- item's "word": "(a.y" of "(a.y + b.y) / 2;"); once our item is accepted the rest of its text,
--- lines included, goes in after it and the cursor moves to its end.
local function complete_whole_item(bufnr, client_id)
  vim.api.nvim_create_autocmd("CompleteDone", {
    group = vim.api.nvim_create_augroup("infill-complete-" .. bufnr, { clear = true }),
    buffer = bufnr,
    callback = function()
      local done = vim.v.completed_item or {}
      local from = vim.tbl_get(done, "user_data", "nvim", "lsp") or {}
      local item = from.completion_item
      if from.client_id ~= client_id or not item or not item.textEdit or (vim.v.event.complete_word or "") == "" then
        return
      end
      local word, text = done.word or "", item.textEdit.newText or ""
      if #text <= #word or text:sub(1, #word) ~= word then
        return
      end
      local row, col = unpack(vim.api.nvim_win_get_cursor(0))
      local rest = vim.split(text:sub(#word + 1), "\n", { plain = true })
      vim.api.nvim_buf_set_text(bufnr, row - 1, col, row - 1, col, rest)
      local last = row + #rest - 1
      vim.api.nvim_win_set_cursor(0, { last, #rest == 1 and col + #rest[1] or #rest[#rest] })
    end,
  })
end

local function on_attach(client, bufnr)
  if has_inline() then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr, client_id = client.id })
  elseif client:supports_method("textDocument/completion", bufnr) then
    local provider = client.server_capabilities.completionProvider
    if state.config.autotrigger and type(provider) == "table" and vim.tbl_isempty(provider.triggerCharacters or {}) then
      provider.triggerCharacters = state.config.trigger_characters
    end
    vim.lsp.completion.enable(true, client.id, bufnr, { autotrigger = state.config.autotrigger })
    complete_whole_item(bufnr, client.id)
    local opts = state.config.completeopt
    if opts == true then
      opts = state.config.autotrigger and OPTIONS_TYPED or OPTIONS_ASKED
    end
    if opts then
      vim.bo[bufnr].completeopt = opts
    end
  end
  set_keymaps(bufnr, client)
  watch_answers(client)
  if state.config.next_edit then
    require("infill.next_edit").attach(bufnr, client, state.config.next_edit)
  end
  vim.b[bufnr].infill_attached = true
  if state.config.forward_diagnostics then
    forward_diagnostics(bufnr)
  end
end

--- lsp-root_dir(): attach unless the buffer is larger than max_file_bytes.
local function root_dir(bufnr, on_dir)
  local size, limit = buf_bytes(bufnr), state.config.max_file_bytes
  if size > limit then
    if not vim.b[bufnr].infill_too_large then
      vim.b[bufnr].infill_too_large = true
      notify(("%s is %d bytes, more than max_file_bytes (%d): not attached"):format(
        vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ":t"), size, limit), WARN)
    end
    return
  end
  local name = vim.api.nvim_buf_get_name(bufnr)
  on_dir(vim.fs.root(bufnr, { state.config.root_markers }) or  -- one group: the nearest wins
    (name ~= "" and vim.fs.dirname(name)) or vim.uv.cwd())
end

--- The server stopped: restart it (re-enabling attaches the open buffers again) unless it
--- was asked to stop or has already been restarted max_restarts times.
local function on_exit(code, signal)
  if state.exiting or (code == 0 and signal == 0) then
    return
  end
  local how = ("exit code %d%s"):format(code, signal ~= 0 and (", signal " .. signal) or "")
  if state.restarts >= state.config.max_restarts then
    notify(("the server stopped again (%s); gave up after %d restarts. Run :checkhealth infill, see :InfillLog")
      :format(how, state.restarts), ERROR)
    return
  end
  state.restarts = state.restarts + 1
  notify(("the server stopped (%s); restarting (%d/%d)"):format(how, state.restarts, state.config.max_restarts), WARN)
  vim.lsp.enable(NAME)
end

local function create_autocmds()
  local group = vim.api.nvim_create_augroup("infill", { clear = true })
  vim.api.nvim_create_autocmd("LspAttach", { group = group, callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if client and client.name == NAME then
      on_attach(client, args.buf)
    end
  end })
  vim.api.nvim_create_autocmd("LspRequest", { group = group, callback = on_request })
  vim.api.nvim_create_autocmd("DiagnosticChanged", { group = group, callback = function(args)
    if state.config.forward_diagnostics and client_for(args.buf) then
      forward_diagnostics(args.buf)
    end
  end })
  vim.api.nvim_create_autocmd("VimLeavePre", { group = group, callback = function()
    state.exiting = true
  end })
end

--- Start `infill-lsp` for the configured filetypes. Returns false (after saying why) when
--- the server cannot be started.
function M.setup(opts)
  if vim.fn.has("nvim-0.11") == 0 then
    notify("needs Neovim 0.11 or newer", ERROR)
    return false
  end
  local cfg = M.resolve(opts)
  state.config, state.restarts = cfg, 0
  if vim.fn.executable(cfg.cmd[1]) ~= 1 then
    notify(("server %q not found. Install it (pip install -e . in the diffusion-infill repository) "
      .. "or set cmd = { '/path/to/.venv/bin/infill-lsp' } in require('infill').setup{}"):format(cfg.cmd[1]), ERROR)
    return false
  end
  vim.lsp.config(NAME, {
    cmd = cfg.cmd,
    filetypes = cfg.filetypes,
    root_dir = root_dir,
    reuse_client = function(client, config) return client.name == config.name end, -- one model in memory
    init_options = cfg.settings,
    settings = { infill = cfg.settings }, -- answers the server's workspace/configuration
    on_exit = function(code, signal) vim.schedule(function() on_exit(code, signal) end) end,
    handlers = { ["window/showMessage"] = show_message },
  })
  create_autocmds()
  vim.lsp.enable(NAME)
  return true
end

-- ----------------------------------------------------------------- commands

local function apply_edit(client, bufnr, edit, tick)
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.b[bufnr].changedtick ~= tick then
    notify("the buffer changed while rewriting; not applied", WARN)
    return
  end
  vim.lsp.util.apply_workspace_edit(edit, client.offset_encoding)
  notify("rewrite applied")
end

--- The text edits of a workspace edit that touch the buffer `uri`.
local function text_edits(edit, uri)
  local out = {}
  for _, change in ipairs(edit.documentChanges or {}) do
    if change.textDocument and change.textDocument.uri == uri then
      vim.list_extend(out, change.edits or {})
    end
  end
  vim.list_extend(out, (edit.changes or {})[uri] or {})
  return out
end

--- The buffer's text with the edits applied, and the unified diff of the two (in a scratch copy:
--- the buffer itself is not touched).
local function preview_diff(bufnr, edits, encoding)
  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local scratch = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(scratch, 0, -1, false, lines)
  vim.lsp.util.apply_text_edits(edits, scratch, encoding)
  local after = vim.api.nvim_buf_get_lines(scratch, 0, -1, false)
  vim.api.nvim_buf_delete(scratch, { force = true })
  local old, new = table.concat(lines, "\n") .. "\n", table.concat(after, "\n") .. "\n"
  return vim.diff(old, new, { result_type = "unified", ctxlen = 2 })
end

--- Whether the server said something (window/showMessage) since `mark` (a state.said_count).
local function said_since(mark)
  return (state.said_count or 0) > (mark or 0)
end

--- Show the rewrite as a diff in a floating window: <CR> or `a` applies it, `q` or <Esc> discards it.
local function preview(client, bufnr, edit, tick)
  local uri = vim.uri_from_bufnr(bufnr)
  local diff = preview_diff(bufnr, text_edits(edit, uri), client.offset_encoding)
  if diff == "" then
    if not said_since(state.rewrite_asked) then -- the server's "no better rewrite: ..." said why
      notify("no change: the rewrite is the selection as it is")
    end
    return
  end
  local body = vim.split(diff, "\n", { trimempty = true })
  local help = "<CR>/a apply   q/<Esc> discard"
  table.insert(body, 1, help)
  local widest = 0
  for _, line in ipairs(body) do
    widest = math.max(widest, vim.fn.strdisplaywidth(line))
  end
  local width = math.min(vim.o.columns - 4, widest + 2)
  local height = math.min(vim.o.lines - 4, #body)
  local pbuf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_lines(pbuf, 0, -1, false, body)
  vim.bo[pbuf].filetype, vim.bo[pbuf].modifiable, vim.bo[pbuf].bufhidden = "diff", false, "wipe"
  local win = vim.api.nvim_open_win(pbuf, true, {
    relative = "editor", row = math.floor((vim.o.lines - height) / 2), col = math.floor((vim.o.columns - width) / 2),
    width = width, height = height, style = "minimal", border = "rounded", title = " infill: rewrite ",
  })
  state.preview = { win = win, buf = pbuf, diff = body }
  local function close()
    state.preview = nil
    if vim.api.nvim_win_is_valid(win) then
      vim.api.nvim_win_close(win, true)
    end
  end
  local function apply()
    close()
    apply_edit(client, bufnr, edit, tick)
  end
  local function discard()
    close()
    notify("rewrite discarded")
  end
  for _, key in ipairs({ "<CR>", "a" }) do
    vim.keymap.set("n", key, apply, { buffer = pbuf, nowait = true, desc = "infill: apply the rewrite" })
  end
  for _, key in ipairs({ "q", "<Esc>" }) do
    vim.keymap.set("n", key, discard, { buffer = pbuf, nowait = true, desc = "infill: discard the rewrite" })
  end
end

--- :InfillRewrite: ask for the rewrite code action of the range, show it as a diff and apply it on
--- confirmation; with a bang (:InfillRewrite!) apply it at once.
function M.rewrite(cmd)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_for(bufnr)
  if not client then
    notify("no server is attached to this buffer (see :checkhealth infill)", WARN)
    return
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = command_range(bufnr, cmd, client.offset_encoding),
    context = { diagnostics = {}, only = { REWRITE_KIND }, triggerKind = 1 },
  }
  local tick = vim.b[bufnr].changedtick
  local function got(edit)
    if not vim.api.nvim_buf_is_valid(bufnr) then
      return -- the buffer was closed while the server rewrote it
    elseif vim.b[bufnr].changedtick ~= tick then
      notify("the buffer changed while rewriting; not applied", WARN)
    elseif cmd.bang then
      apply_edit(client, bufnr, edit, tick)
    else
      preview(client, bufnr, edit, tick)
    end
  end
  state.rewrite_asked = state.said_count or 0
  notify("rewriting...")
  client:request("textDocument/codeAction", params, function(err, actions)
    local action = not err and actions and actions[1]
    if err or not action then
      notify(err and ("rewrite failed: " .. err.message) or "the server offered no rewrite here", WARN)
    elseif action.edit then
      got(action.edit)
    elseif action.command then -- the server applies the edit itself (workspace/applyEdit): no preview
      client:exec_cmd(action.command, { bufnr = bufnr })
    else
      client:request("codeAction/resolve", action, function(rerr, resolved)
        if rerr or not (resolved and resolved.edit) then
          notify("rewrite failed: " .. (rerr and rerr.message or "no edit"), WARN)
        else
          got(resolved.edit)
        end
      end, bufnr)
    end
  end, bufnr)
end

local function describe_status(s)
  local latency = type(s.last_latency_ms) == "number" and ("%d ms"):format(s.last_latency_ms) or "no request yet"
  local function text(value, default)
    return (value == nil or value == vim.NIL) and default or tostring(value)
  end
  return ("model %s | backend %s%s | last latency %s | %s | restarts %d"):format(
    text(s.model, "embedded (default)"), text(s.backend, "?"),
    s.loaded and "" or " (not loaded)", latency, s.busy and "busy" or "idle", state.restarts)
end

--- :InfillStatus: the server's model, backend and last latency (workspace/executeCommand infill.status).
function M.status()
  local client = vim.lsp.get_clients({ name = NAME })[1]
  if not client then
    notify(state.config and ("the server is not running (restarts: %d); see :checkhealth infill"):format(state.restarts)
      or "not set up: call require('infill').setup{}", WARN)
    return
  end
  client:request("workspace/executeCommand", { command = STATUS_COMMAND, arguments = {} }, function(err, result)
    if err or type(result) ~= "table" then
      notify("status failed: " .. (err and err.message or "no answer"), WARN)
      return
    end
    state.last_status = result
    notify(describe_status(result))
  end)
end

--- A short text for a statusline: "infill: working..." while a completion runs, else the last
--- latency the server reported through :InfillStatus.
function M.statusline()
  if next(state.inflight) ~= nil then
    return WORKING
  end
  local s = state.last_status
  return s and type(s.last_latency_ms) == "number" and ("infill %d ms"):format(s.last_latency_ms) or "infill"
end

return M
