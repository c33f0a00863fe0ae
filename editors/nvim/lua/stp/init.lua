-- stp: Neovim client for stp-lsp, the stacktape.yml language server (stdio).
--
--   require('stp').setup({ cmd = { '/path/to/venv/bin/stp-lsp' } })
--
-- Neovim 0.11+: registers `vim.lsp.config('stp', …)` and `vim.lsp.enable('stp')`.
-- Neovim 0.8–0.10: `vim.lsp.start` from a BufReadPost/BufNewFile autocommand.
-- Neovim 0.7: `vim.lsp.start_client` + `vim.lsp.buf_attach_client` from that autocommand,
-- one client per root folder.
--
-- Which buffers: stacktape.yml, stacktape.yaml, *.stacktape.yml, *.stacktape.yaml, files
-- matching `extra_files`, and (with `modeline = true`, the default) YAML buffers whose first
-- 5 lines hold `# stp: enable`. The server applies the same rules and ignores anything else.

local M = {}

local uv = vim.uv or vim.loop

M.name = 'stp'

--- File-name globs (autocommand patterns) that always mean "a stacktape config".
M.patterns = { 'stacktape.yml', 'stacktape.yaml', '*.stacktape.yml', '*.stacktape.yaml' }

M.defaults = {
  -- The server command. A string is split on whitespace; a table is used as is.
  cmd = { 'stp-lsp' },
  -- Globs of further files to treat as stacktape configs (`stp.extraFiles`), e.g. { 'infra/*.yml' }.
  -- `**` matches any folders; relative globs are matched from the root folder. Sent to the server
  -- as initializationOptions.stp.extraFiles.
  extra_files = {},
  -- Also attach to YAML buffers with a `# stp: enable` comment in their first 5 lines.
  modeline = true,
  -- Files or folders whose nearest parent folder is the root (workspace folder); else the file's folder.
  root_markers = { '.git' },
  -- Passed through to the client.
  filetypes = { 'yaml' },
  on_attach = nil,
  capabilities = nil,
  settings = nil,
  -- Skip the version checks: 'config' (0.11+ vim.lsp.config/enable), 'start' (vim.lsp.start) or
  -- 'start_client' (0.7). nil picks by the running Neovim.
  mode = nil,
}

M.options = nil

-- --- helpers ---------------------------------------------------------------------------------

local function normalize_cmd(cmd)
  if type(cmd) == 'string' then
    return vim.split(vim.trim(cmd), '%s+')
  end
  return cmd
end

local function basename(path)
  return path:match('[^/\\]+$') or path
end

--- Does this file name always mean a stacktape config?
function M.is_stacktape_name(path)
  local name = basename(path):lower()
  return name == 'stacktape.yml'
    or name == 'stacktape.yaml'
    or name:match('%.stacktape%.ya?ml$') ~= nil
end

local function glob_to_lua_pattern(glob)
  -- ** (any folders), * and ? (within one folder), like the server's stp.extraFiles globs
  local out, i = { '^' }, 1
  local g = glob:gsub('\\', '/')
  while i <= #g do
    local c = g:sub(i, i)
    if g:sub(i, i + 2) == '**/' then
      table.insert(out, '\1')
      i = i + 3
    elseif g:sub(i, i + 1) == '**' then
      table.insert(out, '.*')
      i = i + 2
    else
      if c == '*' then
        table.insert(out, '[^/]*')
      elseif c == '?' then
        table.insert(out, '[^/]')
      elseif c:match('[%^%$%(%)%%%.%[%]%+%-]') then
        table.insert(out, '%' .. c)
      else
        table.insert(out, c)
      end
      i = i + 1
    end
  end
  table.insert(out, '$')
  return table.concat(out)
end

-- Lua patterns have no optional groups: '**/' becomes "either nothing or anything ending in /".
local function glob_matches(glob, candidate)
  local pat = glob_to_lua_pattern(glob)
  local parts = vim.split(pat, '\1', { plain = true })
  if #parts == 1 then
    return candidate:match(pat) ~= nil
  end
  -- try every way of matching each '**/' with '' or '.*/'
  local n = #parts - 1
  for mask = 0, 2 ^ n - 1 do
    local acc, m = { parts[1] }, mask
    for k = 1, n do
      table.insert(acc, (m % 2 == 1) and '.*/' or '')
      table.insert(acc, parts[k + 1])
      m = math.floor(m / 2)
    end
    if candidate:match(table.concat(acc)) then
      return true
    end
  end
  return false
end

--- Does the file match one of the `extra_files` globs (as the path, its name, or relative to root)?
function M.matches_extra(path, root, globs)
  globs = globs or (M.options and M.options.extra_files) or {}
  if #globs == 0 then
    return false
  end
  path = path:gsub('\\', '/')
  local candidates = { path, basename(path) }
  if root then
    local prefix = root:gsub('\\', '/'):gsub('/$', '') .. '/'
    if path:sub(1, #prefix) == prefix then
      table.insert(candidates, path:sub(#prefix + 1))
    end
  end
  for _, glob in ipairs(globs) do
    for _, c in ipairs(candidates) do
      if glob_matches(glob, c) then
        return true
      end
    end
  end
  return false
end

local function has_modeline(bufnr)
  for _, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, 5, false)) do
    if line:match('^%s*#%s*stp:%s*enable%f[^%w_]') then
      return true
    end
  end
  return false
end

local function is_dir(path)
  local st = uv.fs_stat(path)
  return st ~= nil and st.type == 'directory'
end

local function exists(path)
  return uv.fs_stat(path) ~= nil
end

local function dirname(path)
  local d = path:match('^(.*)[/\\][^/\\]*$')
  if d == nil or d == '' then
    return '/'
  end
  return d
end

--- The root folder of a file: the nearest parent holding one of `markers` (default `.git`),
--- else the file's own folder.
function M.root_dir(path, markers)
  markers = markers or (M.options and M.options.root_markers) or M.defaults.root_markers
  local start = dirname(path)
  local dir = start
  while true do
    for _, marker in ipairs(markers) do
      if exists(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = dirname(dir)
    if parent == dir then
      break
    end
    dir = parent
  end
  return start
end

local function buf_path(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return nil
  end
  return vim.fn.fnamemodify(name, ':p')
end

--- Should stp attach to this buffer?
function M.wants(bufnr)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  if vim.bo[bufnr].buftype ~= '' then
    return false
  end
  local path = buf_path(bufnr)
  if path == nil or is_dir(path) then
    return false
  end
  local opts = M.options or M.defaults
  if M.is_stacktape_name(path) then
    return true
  end
  if M.matches_extra(path, M.root_dir(path, opts.root_markers), opts.extra_files) then
    return true
  end
  if opts.modeline and vim.tbl_contains(opts.filetypes or {}, vim.bo[bufnr].filetype) then
    return has_modeline(bufnr)
  end
  return false
end

local function init_options(opts)
  return { stp = { extraFiles = opts.extra_files or {} } }
end

-- On attach: completion with <C-x><C-o> out of the box (Neovim 0.11 does this itself; 0.7-0.10 do not),
-- unless the buffer already has an omnifunc, then the user's own on_attach.
local function on_attach(opts)
  return function(client, bufnr)
    if vim.bo[bufnr].omnifunc == '' then
      vim.bo[bufnr].omnifunc = 'v:lua.vim.lsp.omnifunc'
    end
    if opts.on_attach then
      opts.on_attach(client, bufnr)
    end
  end
end

local function client_config(opts, root)
  local cfg = {
    name = M.name,
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = init_options(opts),
    on_attach = on_attach(opts),
  }
  if opts.settings ~= nil then
    cfg.settings = opts.settings
  end
  if opts.capabilities ~= nil then
    cfg.capabilities = opts.capabilities
  end
  return cfg
end

local function is_attached(bufnr, id)
  if vim.lsp.buf_is_attached then
    return vim.lsp.buf_is_attached(bufnr, id)
  end
  return false
end

-- --- Neovim 0.7: start_client + buf_attach_client, one client per root ----------------------

M._clients = {} -- root -> client id (0.7 path)

local function attach_start_client(bufnr, opts)
  local root = M.root_dir(buf_path(bufnr), opts.root_markers)
  local id = M._clients[root]
  -- (get_client_by_id also knows clients still initializing; client_is_stopped() does not)
  if id ~= nil and vim.lsp.get_client_by_id(id) == nil then
    id = nil
  end
  if id == nil then
    local cfg = client_config(opts, root)
    local new_id
    cfg.on_exit = function()
      if M._clients[root] == new_id then
        M._clients[root] = nil
      end
    end
    new_id = vim.lsp.start_client(cfg)
    if new_id == nil then
      vim.notify('stp: could not start ' .. table.concat(opts.cmd, ' '), vim.log.levels.ERROR)
      return nil
    end
    M._clients[root] = new_id
    id = new_id
  end
  if not is_attached(bufnr, id) then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

-- --- Neovim 0.8–0.10: vim.lsp.start (reuses a client with the same name and root) -------------

local function attach_start(bufnr, opts)
  local root = M.root_dir(buf_path(bufnr), opts.root_markers)
  return vim.lsp.start(client_config(opts, root), { bufnr = bufnr })
end

-- --- setup -----------------------------------------------------------------------------------

local function pick_mode(opts)
  if opts.mode then
    return opts.mode
  end
  if vim.fn.has('nvim-0.11') == 1 and vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return 'config'
  end
  if vim.lsp.start ~= nil then
    return 'start'
  end
  return 'start_client'
end

--- Autocommand patterns for BufReadPost/BufNewFile: the stacktape names and the extra_files globs
--- (loosely: M.wants has the last word).
function M.autocmd_patterns(opts)
  opts = opts or M.options or M.defaults
  local pats = vim.deepcopy(M.patterns)
  for _, glob in ipairs(opts.extra_files or {}) do
    local g = glob:gsub('\\', '/'):gsub('%*%*/', ''):gsub('%*%*', '*')
    -- a pattern with '/' is matched against the full path, one without against the file name
    if g:find('/') and g:sub(1, 1) ~= '/' then
      g = '*/' .. g
    end
    table.insert(pats, g)
  end
  return pats
end

local attach_fn = nil

local function maybe_attach(bufnr)
  if attach_fn ~= nil and vim.api.nvim_buf_is_valid(bufnr) and M.wants(bufnr) then
    attach_fn(bufnr, M.options)
  end
end

local function setup_autocmds(opts)
  local group = vim.api.nvim_create_augroup('stp_lsp', { clear = true })
  local function later(args)
    -- after filetype detection, so M.wants can look at 'filetype' and the modeline
    vim.schedule(function()
      maybe_attach(args.buf)
    end)
  end
  vim.api.nvim_create_autocmd({ 'BufReadPost', 'BufNewFile' }, {
    group = group,
    pattern = M.autocmd_patterns(opts),
    callback = later,
  })
  if opts.modeline and opts.filetypes and #opts.filetypes > 0 then
    -- `# stp: enable` can be in any YAML file
    vim.api.nvim_create_autocmd('FileType', { group = group, pattern = opts.filetypes, callback = later })
  end
  -- buffers loaded before setup()
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) then
      maybe_attach(bufnr)
    end
  end
end

local function setup_config(opts)
  local cfg = {
    cmd = opts.cmd,
    filetypes = opts.filetypes,
    root_dir = function(bufnr, on_dir)
      if M.wants(bufnr) then
        on_dir(M.root_dir(buf_path(bufnr), opts.root_markers))
      end
    end,
    init_options = init_options(opts),
    on_attach = on_attach(opts),
  }
  if opts.settings ~= nil then
    cfg.settings = opts.settings
  end
  if opts.capabilities ~= nil then
    cfg.capabilities = opts.capabilities
  end
  vim.lsp.config(M.name, cfg)
  vim.lsp.enable(M.name)
end

--- Configure and enable stp-lsp. Each key of `opts` replaces the one in `M.defaults` (see README.md).
function M.setup(opts)
  opts = vim.tbl_extend('force', vim.deepcopy(M.defaults), opts or {})
  opts.cmd = normalize_cmd(opts.cmd)
  M.options = opts
  M.mode = pick_mode(opts)
  if M.mode == 'config' then
    setup_config(opts)
  elseif M.mode == 'start' then
    attach_fn = attach_start
    setup_autocmds(opts)
  elseif M.mode == 'start_client' then
    attach_fn = attach_start_client
    setup_autocmds(opts)
  else
    error("stp: mode must be 'config', 'start' or 'start_client', not " .. tostring(M.mode))
  end
  return M
end

--- The running stp clients, optionally only those attached to `bufnr`.
function M.clients(bufnr)
  local all = vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()
  local out = {}
  for _, client in ipairs(all) do
    if client.name == M.name then
      if bufnr == nil or is_attached(bufnr == 0 and vim.api.nvim_get_current_buf() or bufnr, client.id) then
        table.insert(out, client)
      end
    end
  end
  return out
end

--- Stop the stp clients and start them again for the buffers that want one.
function M.restart()
  if M.options == nil then
    return
  end
  if M.mode == 'config' then
    vim.lsp.enable(M.name, false)
    -- let the old clients go before the new ones start
    vim.defer_fn(function()
      vim.lsp.enable(M.name)
    end, 100)
    return
  end
  for _, client in ipairs(M.clients()) do
    vim.lsp.stop_client(client.id)
  end
  M._clients = {}
  vim.defer_fn(function()
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        maybe_attach(bufnr)
      end
    end
  end, 100)
end

return M
