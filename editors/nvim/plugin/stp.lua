-- stp: commands for the stp-lsp client. Nothing starts until require('stp').setup() is called,
-- or, without a setup() call, when `vim.g.stp` is a table of options (it is passed to setup()).
if vim.g.loaded_stp == 1 then
  return
end
vim.g.loaded_stp = 1

vim.api.nvim_create_user_command('StpInfo', function()
  local stp = require('stp')
  local lines = {}
  if stp.options == nil then
    table.insert(lines, "stp: setup() has not been called (require('stp').setup({...}))")
  else
    table.insert(lines, ('stp: mode %s, cmd %s'):format(stp.mode, table.concat(stp.options.cmd, ' ')))
    for _, client in ipairs(stp.clients()) do
      table.insert(lines, ('  client %d, root %s'):format(client.id, tostring(client.config.root_dir)))
    end
    table.insert(lines, ('  this buffer: %s'):format(#stp.clients(0) > 0 and 'attached' or 'not attached'))
  end
  vim.notify(table.concat(lines, '\n'))
end, { desc = 'Show the stp-lsp clients' })

vim.api.nvim_create_user_command('StpRestart', function()
  require('stp').restart()
end, { desc = 'Restart stp-lsp' })

if type(vim.g.stp) == 'table' then
  require('stp').setup(vim.g.stp)
end
