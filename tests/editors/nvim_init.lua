-- Test driver for tests/editors/test_neovim.py: run as
--   nvim --headless --clean -u tests/editors/nvim_init.lua <stacktape.yml>
-- with STP_TEST_* in the environment. Loads editors/nvim through require('stp').setup(), waits
-- for stp-lsp's diagnostics on the file, asks for completion and hover at the given positions,
-- writes everything as JSON to $STP_TEST_OUT and quits. It never fails silently: any error is
-- written to the JSON as `error`.

local env = vim.env
local out_path = env.STP_TEST_OUT
local timeout = tonumber(env.STP_TEST_TIMEOUT_MS or '30000')
local result = {
  nvim = vim.version and tostring(vim.version().major .. '.' .. vim.version().minor .. '.' .. vim.version().patch),
  events = {},
}

local function note(msg)
  table.insert(result.events, string.format('%.3f %s', vim.loop.hrtime() / 1e9, msg))
end

local function finish()
  local f = assert(io.open(out_path, 'w'))
  f:write(vim.fn.json_encode(result))
  f:close()
  vim.cmd('qall!')
end

vim.opt.runtimepath:prepend(env.STP_TEST_PLUGIN)
vim.opt.swapfile = false
pcall(vim.lsp.set_log_level, 'warn')

local function from_json(name, default)
  local v = env[name]
  if v == nil or v == '' then
    return default
  end
  return vim.fn.json_decode(v)
end

local stp
local booted, boot_err = xpcall(function()
  stp = require('stp')
  stp.setup({
    cmd = from_json('STP_TEST_CMD'),
    extra_files = from_json('STP_TEST_EXTRA_FILES', {}),
    mode = (env.STP_TEST_MODE or '') ~= '' and env.STP_TEST_MODE or nil,
  })
  result.mode = stp.mode
  note('setup done, mode ' .. stp.mode)
end, debug.traceback)
if not booted then
  result.error = 'setup failed: ' .. tostring(boot_err)
  finish()
end

local function position(spec)
  -- "line:character", both 0-based (UTF-16 = bytes for the ASCII test files)
  local line, character = spec:match('^(%d+):(%d+)$')
  return { line = tonumber(line), character = tonumber(character) }
end

local function labels(response)
  local items = response
  if type(response) == 'table' and response.items ~= nil then
    items = response.items
  end
  local out = {}
  for _, item in ipairs(items or {}) do
    table.insert(out, item.label)
  end
  return out
end

local function request(bufnr, method, pos)
  local params = { textDocument = { uri = vim.uri_from_bufnr(bufnr) }, position = pos }
  local ok, responses, err = pcall(vim.lsp.buf_request_sync, bufnr, method, params, timeout)
  if not ok then
    return { error = tostring(responses) }
  end
  if responses == nil then
    return { error = tostring(err or 'no response') }
  end
  local out = { responses = 0 }
  for _, r in pairs(responses) do
    out.responses = out.responses + 1
    if r.err ~= nil then
      out.error = r.err.message or vim.inspect(r.err)
    elseif r.result ~= nil then
      out.result = r.result
    end
  end
  return out
end

local function supports(client, capability)
  local caps = client.server_capabilities or client.resolved_capabilities or {}
  return caps[capability] ~= nil and caps[capability] ~= false
end

local function diagnostics_of(bufnr)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    local lsp = (d.user_data or {}).lsp or {}
    table.insert(out, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      message = d.message,
      source = d.source,
      code = d.code or lsp.code,
    })
  end
  return out
end

-- Open further files (STP_TEST_OPEN: [[path, expect_attach], ...]) and record, for each, whether
-- an stp client attached and which diagnostics arrived. The expected ones go first, so that by the
-- time the others are checked the client is running and would have attached at once.
local function open_more()
  local files = from_json('STP_TEST_OPEN', {})
  if #files == 0 then
    return
  end
  result.files = {}
  table.sort(files, function(a, b)
    return (a[2] and 1 or 0) > (b[2] and 1 or 0)
  end)
  for _, f in ipairs(files) do
    local path, expect = f[1], f[2]
    vim.cmd('edit ' .. vim.fn.fnameescape(path))
    local bufnr = vim.api.nvim_get_current_buf()
    local wait = expect and timeout or 1500
    local attached = vim.wait(wait, function()
      return #stp.clients(bufnr) > 0
    end, 20)
    if attached then
      vim.wait(expect and timeout or 1500, function()
        return #vim.diagnostic.get(bufnr) > 0
      end, 20)
    end
    result.files[path] = { attached = attached, diagnostics = diagnostics_of(bufnr), filetype = vim.bo[bufnr].filetype }
    note('opened ' .. path .. ' attached ' .. tostring(attached))
  end
end

local function run()
  local bufnr = vim.api.nvim_get_current_buf()
  result.file = vim.api.nvim_buf_get_name(bufnr)
  result.filetype = vim.bo[bufnr].filetype

  local attached = vim.wait(timeout, function()
    return #stp.clients(bufnr) > 0
  end, 20)
  note('attached ' .. tostring(attached))
  if not attached then
    result.error = 'no stp client attached to the buffer'
    return
  end
  local client = stp.clients(bufnr)[1]
  result.client = { name = client.name, root_dir = client.config.root_dir }

  local got = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  note('diagnostics ' .. tostring(got))
  result.diagnostics = diagnostics_of(bufnr)
  result.omnifunc = vim.bo[bufnr].omnifunc

  result.capabilities = {
    completion = supports(client, 'completionProvider'),
    hover = supports(client, 'hoverProvider'),
  }
  -- (a request no attached server supports would only time out in buf_request_sync)
  if env.STP_TEST_COMPLETION and result.capabilities.completion then
    result.completion = {}
    for spec in env.STP_TEST_COMPLETION:gmatch('[^,]+') do
      local r = request(bufnr, 'textDocument/completion', position(spec))
      r.labels = labels(r.result)
      r.result = nil
      result.completion[spec] = r
    end
    note('completion done')
  end
  if env.STP_TEST_HOVER and result.capabilities.hover then
    local r = request(bufnr, 'textDocument/hover', position(env.STP_TEST_HOVER))
    local contents = r.result and r.result.contents
    if type(contents) == 'table' then
      contents = contents.value or vim.fn.json_encode(contents)
    end
    result.hover = { error = r.error, text = contents }
    note('hover done')
  end
  open_more()
  result.clients = {}
  for _, c in ipairs(stp.clients()) do
    table.insert(result.clients, { id = c.id, root_dir = c.config.root_dir })
  end
end

vim.api.nvim_create_autocmd('VimEnter', {
  once = true,
  callback = function()
    -- out of the VimEnter handler, so that BufRead/FileType attach logic has run
    vim.schedule(function()
      local ok, err = xpcall(run, debug.traceback)
      if not ok then
        result.error = tostring(err)
      end
      finish()
    end)
  end,
})
