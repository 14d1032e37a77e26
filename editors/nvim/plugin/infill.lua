-- infill.nvim: user commands only. Nothing starts until require("infill").setup{...}.
if vim.g.loaded_infill then
  return
end
vim.g.loaded_infill = true

vim.api.nvim_create_user_command("InfillRewrite", function(cmd)
  require("infill").rewrite({ line1 = cmd.line1, line2 = cmd.line2, range = cmd.range, bang = cmd.bang })
end, { range = true, bang = true,
       desc = "infill: rewrite the selection (or the lines of the range); shows a diff to apply (! applies at once)" })

vim.api.nvim_create_user_command("InfillStatus", function()
  require("infill").status()
end, { desc = "infill: show the model, the backend and the last latency" })

vim.api.nvim_create_user_command("InfillLog", function()
  vim.cmd.tabedit(vim.fn.fnameescape(vim.lsp.get_log_path()))
end, { desc = "infill: open Neovim's LSP log (the server's stderr is there)" })
