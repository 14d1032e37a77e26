--- infill.next_edit: the edit after the one the user just made, shown where it applies.
---
--- Once a change settles (TextChanged, InsertLeave; debounced) the plugin asks the server
--- `textDocument/copilotInlineEdit` (the request Copilot's clients send). An answer comes as
--- whole lines: the lines it removes are highlighted (InfillNextEditDelete), the new text is
--- shown as virtual lines under them (InfillNextEditAdd), a sign marks the first line, and when
--- that line is off screen the cursor's line says where it is. The key (default <Tab>, normal
--- mode, only while a suggestion is shown) jumps to it; a second press applies it. <Esc> or a
--- change elsewhere dismisses it. An answer for an older buffer state is dropped.
local M = {}

local METHOD = "textDocument/copilotInlineEdit"
local ns = vim.api.nvim_create_namespace("infill.next_edit")

M.defaults = {
  enabled = true,
  debounce_ms = 200, -- wait this long after the last change before asking
  keys = { accept = "<Tab>", dismiss = "<Esc>" }, -- normal mode; false turns one off
  sign = "»",
}

local state = {} -- bufnr -> { edit, client_id, tick, jumped, timer }
M._state = state

local function hl()
  vim.api.nvim_set_hl(0, "InfillNextEditDelete", { default = true, link = "DiffDelete" })
  vim.api.nvim_set_hl(0, "InfillNextEditAdd", { default = true, link = "DiffAdd" })
  vim.api.nvim_set_hl(0, "InfillNextEditSign", { default = true, link = "DiagnosticHint" })
end

--- Forget and unmark the buffer's suggestion.
function M.dismiss(bufnr)
  local s = state[bufnr]
  if s then
    s.edit, s.jumped = nil, false
  end
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, ns, 0, -1)
  end
end

local function lines_of(edit)
  local text = edit.text or ""
  if text:sub(-1) == "\n" then
    text = text:sub(1, -2)
  end
  return text == "" and {} or vim.split(text, "\n", { plain = true })
end

--- (first, last) rows (0-based, end exclusive) of the lines an edit replaces.
local function rows(edit)
  local s, e = edit.range.start, edit.range["end"]
  local last = e.character > 0 and e.line + 1 or e.line
  return s.line, math.max(last, s.line)
end

local function show(bufnr, edit)
  M.dismiss(bufnr)
  state[bufnr].edit, state[bufnr].jumped = edit, false
  local first, last = rows(edit)
  local count = vim.api.nvim_buf_line_count(bufnr)
  for row = first, math.min(last, count) - 1 do
    vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, { line_hl_group = "InfillNextEditDelete", priority = 200 })
  end
  local added = vim.tbl_map(function(l) return { { l, "InfillNextEditAdd" } } end, lines_of(edit))
  if #added > 0 then
    local above = last == first or last > count
    local at = above and math.min(first, math.max(count - 1, 0)) or last - 1
    vim.api.nvim_buf_set_extmark(bufnr, ns, at, 0, { virt_lines = added, virt_lines_above = above and first < count })
  end
  vim.api.nvim_buf_set_extmark(bufnr, ns, math.min(first, math.max(count - 1, 0)), 0,
    { sign_text = M.config.sign, sign_hl_group = "InfillNextEditSign" })
  local win = vim.fn.bufwinid(bufnr)
  if win ~= -1 then
    local top, bottom = vim.fn.line("w0", win), vim.fn.line("w$", win)
    if first + 1 < top or first + 1 > bottom then
      local row = vim.api.nvim_win_get_cursor(win)[1] - 1
      state[bufnr].offscreen = true
      vim.api.nvim_buf_set_extmark(bufnr, ns, row, 0, {
        virt_text = { { ("%s next edit at line %d (%s)"):format(first + 1 < top and "↑" or "↓", first + 1,
          M.config.keys.accept or "jump"), "InfillNextEditSign" } },
        virt_text_pos = "eol", sign_text = M.config.sign, sign_hl_group = "InfillNextEditSign" })
    else
      state[bufnr].offscreen = false
    end
  end
end

--- Ask the server for the next edit of the buffer now.
function M.request(bufnr)
  local s = state[bufnr]
  local client = s and vim.lsp.get_client_by_id(s.client_id)
  if not client or not vim.api.nvim_buf_is_valid(bufnr) then
    return
  end
  local tick = vim.b[bufnr].changedtick
  local win = vim.fn.bufwinid(bufnr)
  local row = win ~= -1 and vim.api.nvim_win_get_cursor(win)[1] - 1 or 0
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr), version = vim.lsp.util.buf_versions[bufnr] },
    position = { line = row, character = 0 },
  }
  client:request(METHOD, params, function(err, result)
    if err or type(result) ~= "table" or not vim.api.nvim_buf_is_valid(bufnr) or vim.b[bufnr].changedtick ~= tick then
      return -- failed, the buffer is gone or changed since: an answer for an older state is dropped
    end
    local edit = (result.edits or {})[1]
    if edit and edit.range then
      show(bufnr, edit)
    end
  end, bufnr)
end

local function schedule(bufnr)
  local s = state[bufnr]
  if not s then
    return
  end
  if s.timer then
    s.timer:stop()
  else
    s.timer = vim.uv.new_timer()
  end
  s.timer:start(M.config.debounce_ms, 0, vim.schedule_wrap(function() M.request(bufnr) end))
end

--- The accept key: jump to a shown suggestion, or apply it when the cursor is there already.
--- Returns false when none is shown (the key keeps its own meaning).
function M.accept(bufnr)
  local s = state[bufnr]
  if not (s and s.edit) then
    return false
  end
  local first = rows(s.edit)
  local cursor = vim.api.nvim_win_get_cursor(0)[1] - 1
  if not s.jumped and cursor ~= first then
    s.jumped = true
    local count = vim.api.nvim_buf_line_count(bufnr)
    vim.api.nvim_win_set_cursor(0, { math.min(first + 1, count), 0 })
    vim.cmd("normal! ^")
    -- the new text stands as virtual lines under the replaced ones: scroll them into view (at the
    -- window's bottom they would be off screen and the second press would apply unseen text)
    local _, last = rows(s.edit)
    if vim.fn.winheight(0) - vim.fn.winline() < math.max(last - first - 1, 0) + #lines_of(s.edit) then
      vim.cmd("normal! zz")
    end
    return true
  end
  local edit, client = s.edit, vim.lsp.get_client_by_id(s.client_id)
  M.dismiss(bufnr)
  vim.lsp.util.apply_text_edits({ { range = edit.range, newText = edit.text } }, bufnr,
    client and client.offset_encoding or "utf-16")
  if client and edit.command then
    client:exec_cmd(edit.command, { bufnr = bufnr })
  end
  return true
end

function M.attach(bufnr, client, config)
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), config or {})
  if not M.config.enabled or state[bufnr] then
    if state[bufnr] then
      state[bufnr].client_id = client.id
    end
    return
  end
  hl()
  state[bufnr] = { client_id = client.id }
  local group = vim.api.nvim_create_augroup("infill-next-edit-" .. bufnr, { clear = true })
  vim.api.nvim_create_autocmd({ "TextChanged", "InsertLeave" }, { group = group, buffer = bufnr, callback = function()
    M.dismiss(bufnr) -- a change (elsewhere, or into it: the server keeps what is left) re-asks
    schedule(bufnr)
  end })
  vim.api.nvim_create_autocmd("TextChangedI", { group = group, buffer = bufnr, callback = function()
    M.dismiss(bufnr)
  end })
  vim.api.nvim_create_autocmd({ "BufUnload", "LspDetach" }, { group = group, buffer = bufnr, callback = function()
    local s = state[bufnr]
    if s and s.timer then
      s.timer:stop()
      s.timer:close()
    end
    state[bufnr] = nil
    pcall(vim.api.nvim_del_augroup_by_id, group)
  end })
  local keys = M.config.keys or {}
  local function own(key) -- the key's own meaning, when no suggestion is shown
    vim.api.nvim_feedkeys(vim.keycode(key), "n", false)
  end
  if keys.accept then -- not an expr mapping: jumping and applying change the cursor and the text
    vim.keymap.set("n", keys.accept, function()
      if not M.accept(bufnr) then
        own(keys.accept)
      end
    end, { buffer = bufnr, desc = "infill: jump to the next edit, then apply it" })
  end
  if keys.dismiss then
    vim.keymap.set("n", keys.dismiss, function()
      if state[bufnr] and state[bufnr].edit then
        M.dismiss(bufnr)
      else
        own(keys.dismiss)
      end
    end, { buffer = bufnr, desc = "infill: dismiss the next edit" })
  end
end

return M
