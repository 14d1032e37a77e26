-- Scenarios a headless Neovim plays against the real server, for tests/editors/test_nvim.py.
--
-- Each runs in a coroutine that yields to Neovim's main loop while it waits (so typed keys,
-- LSP replies and timers are processed), records what it saw in `R`, and writes R as JSON
-- to $INFILL_TEST_OUT before quitting. Any error is recorded as R.error.

local R = { steps = {} }
local co

local function sleep(ms)
  vim.defer_fn(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      R.error = R.error or tostring(err)
    end
  end, ms)
  coroutine.yield()
end

local function wait(what, timeout_ms, cond)
  local deadline = vim.uv.now() + timeout_ms
  while not cond() do
    if vim.uv.now() > deadline then
      error("timed out waiting for " .. what, 0)
    end
    sleep(50)
  end
  table.insert(R.steps, what)
end

local function finish()
  R.messages = _G.infill_messages
  local f = assert(io.open(vim.env.INFILL_TEST_OUT, "w"))
  f:write(vim.json.encode(R))
  f:close()
  vim.cmd("qa!")
end

local function keys(k)
  vim.api.nvim_feedkeys(vim.keycode(k), "n", false)
end

local function client()
  return vim.lsp.get_clients({ bufnr = 0, name = "infill" })[1]
end

local function messages_matching(pattern)
  local out = {}
  for _, m in ipairs(_G.infill_messages) do
    if m.msg:find(pattern) then
      out[#out + 1] = m.msg
    end
  end
  return out
end

-- the messages that end a rewrite, whichever way it went
local function rewrites_done()
  local n = 0
  for _, pattern in ipairs({ "rewrite applied", "rewrite failed", "no rewrite", "not applied", "no change",
                             "discarded" }) do
    n = n + #messages_matching(pattern)
  end
  return n
end

local scenarios = {}

-- attach, completion fallback, rewrite (charwise and linewise), status, diagnostics, huge
-- file, then a server crash and its restart.
function scenarios.session()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_FILE))
  local buf = vim.api.nvim_get_current_buf()
  wait("attach", 20000, function() return client() and client().initialized end)
  R.attached, R.omnifunc = true, vim.bo.omnifunc

  local sent = {} -- what the plugin sends with infill/diagnostics
  local c = client()
  local notify = c.notify
  c.notify = function(self, method, params)
    if method == "infill/diagnostics" then
      sent[#sent + 1] = params
    end
    return notify(self, method, params)
  end

  -- completion fallback: <C-x><C-o> at the end of "    return ", Neovim's default 'completeopt'
  R.completeopt_global, R.completeopt_buffer = vim.go.completeopt, vim.bo.completeopt
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  keys("A<C-x><C-o>")
  wait("completion items", 20000, function()
    return vim.fn.mode() == "i" and #vim.fn.complete_info({ "items" }).items > 0
  end)
  R.completion_items = vim.tbl_map(function(i) return i.abbr ~= "" and i.abbr or i.word end,
    vim.fn.complete_info({ "items" }).items)
  R.completion_menu = vim.tbl_map(function(i) return { kind = i.kind, menu = i.menu } end,
    vim.fn.complete_info({ "items" }).items)
  R.menu_shown = vim.fn.pumvisible() == 1
  R.line_before_accept = vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1]
  keys("<C-y><Esc>")
  wait("normal mode", 5000, function() return vim.fn.mode() == "n" end)
  R.line_after_completion = vim.api.nvim_buf_get_lines(buf, 1, 2, false)[1]

  -- :InfillRewrite on a charwise selection ("self.items.append(item)", line 7)
  local function lines() return vim.api.nvim_buf_get_lines(buf, 0, -1, false) end
  local before = lines()
  keys("7G9|v31|<Esc>")
  wait("visual selection", 5000, function() return vim.fn.visualmode() == "v" and vim.fn.mode() == "n" end)
  vim.cmd("'<,'>InfillRewrite")
  local infill = require("infill")
  wait("rewrite preview", 20000, function() return infill._state.preview ~= nil or rewrites_done() > 0 end)
  local shown = infill._state.preview
  R.preview_diff = shown and shown.diff
  R.unchanged_while_previewing = vim.deep_equal(before, lines())
  R.preview_is_current = shown and vim.api.nvim_get_current_win() == shown.win
  vim.api.nvim_feedkeys(vim.keycode("<CR>"), "m", false) -- "m": the preview's own mapping
  wait("rewrite done", 20000, function() return rewrites_done() > 0 end)
  R.rewrite_before, R.rewrite_after = before[7], lines()[7]
  R.rewrite_untouched = vim.deep_equal(vim.list_slice(before, 1, 6), vim.list_slice(lines(), 1, 6))

  -- a line range, with a bang: applied at once
  local line1 = lines()[1]
  vim.cmd("1InfillRewrite!")
  wait("line rewrite done", 20000, function() return rewrites_done() > 1 end)
  R.line_rewrite_before, R.line_rewrite_after = line1, lines()[1]

  -- a preview discarded with q: nothing changes
  local kept = lines()
  vim.cmd("2InfillRewrite")
  wait("second preview", 20000, function() return infill._state.preview ~= nil or rewrites_done() > 2 end)
  vim.api.nvim_feedkeys("q", "m", false)
  wait("discarded", 20000, function() return rewrites_done() > 2 end)
  R.discarded = #messages_matching("discarded") + #messages_matching("no change")
  R.unchanged_after_discard = vim.deep_equal(kept, lines())

  -- a rewrite whose answer comes after its buffer was wiped (the server still rewriting it):
  -- the plugin's handler gets a late edit for a buffer that is gone and drops it quietly
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_CLOSED))
  local closed = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(closed)
  wait("attach the buffer to close", 20000, function()
    return #vim.lsp.get_clients({ bufnr = closed, name = "infill" }) > 0
  end)
  local request, answered = c.request, false
  c.request = function(self, method, params, handler, ...)
    if method ~= "textDocument/codeAction" then
      return request(self, method, params, handler, ...)
    end
    vim.defer_fn(function()
      local edit = { changes = { [uri] = { { range = params.range, newText = "pass\n" } } } }
      local ok, err = pcall(handler, nil, { { title = "rewrite", kind = "refactor.rewrite", edit = edit } })
      R.closed_error = not ok and tostring(err) or nil
      answered = true
    end, 100)
    return true, 1
  end
  local said_before = #_G.infill_messages
  vim.cmd("2InfillRewrite")
  vim.cmd("bwipeout! " .. closed)
  wait("the closed buffer's answer", 5000, function() return answered end)
  c.request = request
  R.closed_said = vim.tbl_map(function(m) return m.msg end, vim.list_slice(_G.infill_messages, said_before + 1))
  R.closed_preview = infill._state.preview ~= nil
  vim.cmd.buffer(buf)

  vim.cmd("InfillStatus")
  wait("status", 10000, function() return #messages_matching("backend") > 0 end)
  R.status = messages_matching("backend")[1]

  local ns = vim.api.nvim_create_namespace("infill-test")
  vim.diagnostic.set(ns, buf, { { lnum = 1, col = 4, end_col = 10, message = "boom", severity = 1, source = "test" } })
  wait("diagnostics forwarded", 5000, function() return #sent > 0 and #sent[#sent].diagnostics > 0 end)
  R.diagnostics_sent = sent[#sent]

  -- buffers of other languages attach to the same server (Neovim's own filetype detection)
  R.other_languages = {}
  for _, file in ipairs({ vim.env.INFILL_TEST_GO, vim.env.INFILL_TEST_TS }) do
    vim.cmd.edit(vim.fn.fnameescape(file))
    local other = vim.api.nvim_get_current_buf()
    wait("attach " .. vim.bo.filetype, 20000, function()
      return #vim.lsp.get_clients({ bufnr = other, name = "infill" }) > 0
    end)
    R.other_languages[vim.bo.filetype] = vim.lsp.get_clients({ bufnr = other, name = "infill" })[1].id == c.id
  end
  vim.cmd.buffer(buf)

  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_HUGE))
  sleep(500)
  R.huge_attached = #vim.lsp.get_clients({ bufnr = 0 }) > 0
  R.huge_message = messages_matching("max_file_bytes")[1]
  vim.cmd.buffer(buf)

  -- a crash: the server process is killed
  local old = client()
  local children = vim.api.nvim_get_proc_children(vim.fn.getpid())
  R.killed = #children
  for _, pid in ipairs(children) do
    vim.uv.kill(pid, "sigkill")
  end
  wait("restart", 30000, function()
    local new = client()
    return new and new.id ~= old.id and new.initialized
  end)
  R.restart_message = messages_matching("restarting")[1]
end

-- a served model in a TypeScript buffer, through the 0.11 completion fallback: the whole item
-- goes in on <C-y>, blanks and all (Neovim alone inserts a plain-text item up to its first blank)
function scenarios.served()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_TS))
  local buf = vim.api.nvim_get_current_buf()
  wait("attach", 20000, function() return client() and client().initialized end)
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  keys("A<C-x><C-o>")
  wait("completion items", 20000, function()
    return vim.fn.mode() == "i" and #vim.fn.complete_info({ "items" }).items > 0
  end)
  keys("<C-y>")
  wait("accepted", 5000, function() return vim.fn.pumvisible() == 0 end)
  R.served_cursor = vim.api.nvim_win_get_cursor(0)
  keys("<Esc>")
  wait("normal mode", 5000, function() return vim.fn.mode() == "n" end)
  R.served_lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

-- the embedded model in a Go buffer: the server says once that it completes Python only; said
-- in insert mode, the plugin says it again on leaving insert mode (the mode message wipes it);
-- a second request in Go says nothing
function scenarios.refused()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_GO))
  wait("attach", 20000, function() return client() and client().initialized end)
  vim.api.nvim_win_set_cursor(0, { 4, 0 })
  keys("A<C-x><C-o>")
  wait("the refusal", 30000, function() return #messages_matching("completes Python only") > 0 end)
  R.in_insert = #messages_matching("completes Python only")
  keys("<Esc>")
  wait("normal mode", 5000, function() return vim.fn.mode() == "n" end)
  sleep(100)
  R.after_leaving = messages_matching("completes Python only")
  keys("A<C-x><C-o>")
  sleep(1500)
  vim.cmd("InfillStatus")                 -- a round trip after the second request
  wait("status", 10000, function() return #messages_matching("backend") > 0 end)
  keys("<Esc>")
  wait("normal mode again", 5000, function() return vim.fn.mode() == "n" end)
  R.after_second = #messages_matching("completes Python only")
end

-- next-edit suggestions: a renamed function's next use is shown where it applies (removed line
-- marked, new text as a virtual line, a sign), <Tab> jumps, <Tab> applies; the one after it lies
-- off screen (said on the cursor's line), and on the last line its new text is scrolled into
-- view on the jump; <Esc> dismisses; typing elsewhere leaves none
function scenarios.next_edit()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_NEXT))
  local buf = vim.api.nvim_get_current_buf()
  wait("attach", 20000, function() return client() and client().initialized end)
  local ne = require("infill.next_edit")
  local ns = vim.api.nvim_create_namespace("infill.next_edit")
  local function shown() return ne._state[buf] and ne._state[buf].edit ~= nil end
  local function marks()
    local out = {}
    for _, m in ipairs(vim.api.nvim_buf_get_extmarks(buf, ns, 0, -1, { details = true })) do
      local d = m[4]
      local virt = {}
      for _, l in ipairs(d.virt_lines or {}) do virt[#virt + 1] = l[1][1] end
      out[#out + 1] = { row = m[2], line_hl = d.line_hl_group, virt_lines = virt, sign = d.sign_text,
                        virt_text = d.virt_text and d.virt_text[1][1] or nil }
    end
    return out
  end
  local function line(n) return vim.api.nvim_buf_get_lines(buf, n - 1, n, false)[1] end
  keys("gg0wcwsurface<Esc>")
  wait("a next edit shown", 15000, shown)
  R.ne_marks = marks()
  R.ne_cursor_before = vim.api.nvim_win_get_cursor(0)[1]
  vim.api.nvim_feedkeys(vim.keycode("<Tab>"), "m", false)
  wait("jumped", 5000, function() return vim.api.nvim_win_get_cursor(0)[1] == 5 end)
  R.ne_before_apply = line(5)
  vim.api.nvim_feedkeys(vim.keycode("<Tab>"), "m", false)
  wait("applied", 5000, function() return line(5) ~= R.ne_before_apply end)
  R.ne_applied = line(5)
  wait("the next one shown", 15000, shown)
  R.ne_offscreen = ne._state[buf].offscreen
  R.ne_far_marks = marks()
  vim.api.nvim_feedkeys(vim.keycode("<Tab>"), "m", false) -- to the last line: its new text must be in view
  wait("jumped far", 5000, function() return vim.api.nvim_win_get_cursor(0)[1] == 46 end)
  R.ne_far_rows_below = vim.fn.winheight(0) - vim.fn.winline()
  vim.api.nvim_feedkeys(vim.keycode("<Esc>"), "m", false)
  wait("dismissed", 5000, function() return not shown() end)
  R.ne_marks_after_dismiss = #marks()
  R.ne_untouched = line(46)
  ne.request(buf)
  wait("shown again", 15000, shown)
  keys("25Goy = 2<Esc>") -- typing elsewhere
  sleep(1500)
  R.ne_after_typing_elsewhere = shown()
  R.ne_lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end

-- with the checks on, the tiny random model's rewrite is declined: the server says why, once, in
-- one line (no "LSP[infill][Info] ...\n", which needed Enter), and the plugin adds nothing
function scenarios.quiet()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_FILE))
  wait("attach", 20000, function() return client() and client().initialized end)
  local echoed = {}
  local echo = vim.api.nvim_echo
  vim.api.nvim_echo = function(chunks, history, opts)
    echoed[#echoed + 1] = table.concat(vim.tbl_map(function(c) return c[1] end, chunks))
    return echo(chunks, history, opts)
  end
  local asked = #_G.infill_messages
  vim.cmd("7InfillRewrite")
  wait("rewrite declined", 30000, function()
    return #messages_matching("no better rewrite") > 0 or table.concat(echoed, "\n"):find("no better rewrite") ~= nil
  end)
  sleep(500)
  R.declined = vim.tbl_map(function(m) return m.msg end, vim.list_slice(_G.infill_messages, asked + 1))
  R.declined_echoed = echoed
  vim.api.nvim_echo = echo

  -- a completion asked for where the model is not sure enough: "working" while it runs, then
  -- "nothing to suggest" once at the end of the line, gone after a while; no message to confirm
  local ns = vim.api.nvim_create_namespace("infill.progress")
  local shown = {}
  local set_extmark = vim.api.nvim_buf_set_extmark
  vim.api.nvim_buf_set_extmark = function(b, n, row, col, opts)
    if n == ns then
      shown[#shown + 1] = opts.virt_text[1][1]
    end
    return set_extmark(b, n, row, col, opts)
  end
  local before_asking = #_G.infill_messages
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  keys("A<C-x><C-o>")
  wait("nothing to suggest", 30000, function() return vim.tbl_contains(shown, "infill: nothing to suggest here") end)
  R.progress_shown = vim.deepcopy(shown)
  R.progress_marks = #vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, {})
  sleep(2500)
  R.progress_marks_later = #vim.api.nvim_buf_get_extmarks(0, ns, 0, -1, {})
  R.progress_messages = #_G.infill_messages - before_asking
  keys("<Esc>")
  vim.api.nvim_buf_set_extmark = set_extmark
end

-- setup{ autotrigger = true } on 0.11: typing "." in insert mode asks for a completion
function scenarios.autotrigger()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_FILE))
  wait("attach", 20000, function() return client() and client().initialized end)
  local c = client()
  local request = c.request
  R.typed_requests = 0
  c.request = function(self, method, params, ...)
    if method == "textDocument/completion" then
      R.typed_requests = R.typed_requests + 1
      R.typed_kind = vim.tbl_get(params, "context", "triggerKind")
    end
    return request(self, method, params, ...)
  end
  R.completeopt_buffer = vim.bo.completeopt
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  keys("A")
  wait("insert mode", 5000, function() return vim.fn.mode() == "i" end)
  vim.api.nvim_feedkeys("self.", "t", false)
  wait("a completion asked for by typing", 10000, function() return R.typed_requests > 0 end)
  keys("<Esc>")
end

function scenarios.health()
  vim.cmd("checkhealth infill")
  R.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

-- setup() with a server that does not exist: a message, no client, the editor still works
function scenarios.missing()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_FILE))
  sleep(200)
  R.clients = #vim.lsp.get_clients()
  R.setup_result = _G.infill_setup_result
  vim.cmd("InfillStatus")
  vim.api.nvim_buf_set_lines(0, 0, 0, false, { "# still editable" })
  R.first_line = vim.api.nvim_buf_get_lines(0, 0, 1, false)[1]
  vim.cmd("checkhealth infill")
  R.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

-- a server whose Python environment is broken: it exits at once, every time
function scenarios.broken()
  vim.cmd.edit(vim.fn.fnameescape(vim.env.INFILL_TEST_FILE))
  wait("giving up", 20000, function() return #messages_matching("gave up") > 0 end)
  R.restarts = messages_matching("restarting")
  R.gave_up = messages_matching("gave up")[1]
  vim.cmd("checkhealth infill")
  R.health = vim.api.nvim_buf_get_lines(0, 0, -1, false)
end

co = coroutine.create(function()
  local ok, err = xpcall(scenarios[vim.env.INFILL_SCENARIO], debug.traceback)
  if not ok then
    R.error = err
  end
  finish()
end)
local ok, err = coroutine.resume(co)
if not ok then
  R.error = tostring(err)
  finish()
end
