-- The sandbox and the redis API of one Lua state, as Redis 7.0 sets them up.
-- Run once in a fresh state with the Python callbacks; returns the internal helpers.
-- Everything it needs is captured in locals first: the globals are stripped and locked.
local py, mode = ...

local G = _G
local LG = _G          -- the state's own globals (lupa needs them as they are)
local dbg = debug
local rawget, rawset, rawequal = rawget, rawset, rawequal
local raw_setmetatable, raw_getmetatable = setmetatable, getmetatable
local type, error, tostring, tonumber, select = type, error, tostring, tonumber, select
local raw_next, raw_pairs, raw_ipairs = next, pairs, ipairs
local pcall, xpcall, setfenv, loadstring, raw_load = pcall, xpcall, setfenv, loadstring, load
local string_format, string_sub, string_gsub = string.format, string.sub, string.gsub
local table_concat, table_maxn, unpack = table.concat, table.maxn, unpack
local floor, huge = math.floor, math.huge
local collectgarbage = collectgarbage

local INTERNAL = "=redis"            -- this chunk's name: its frames are not the user's
local READONLY = "Attempt to modify a readonly table"

-- Read-only tables. Stock Lua 5.1 has no read-only flag (Redis patches its Lua for
-- one), so a protected table is shown through an empty proxy: reads go to the real
-- table, writes fail. rawget/next/pairs/ipairs see through proxies; rawset and
-- setmetatable refuse them.
local shown_by = raw_setmetatable({}, {__mode = "k"})      -- proxy -> real table
local function deny_write() error(READONLY, 2) end

local function readonly(t, index)
    local proxy = {}
    shown_by[proxy] = t
    raw_setmetatable(proxy, {__index = index or t, __newindex = deny_write})
    return proxy
end

local function is_protected(t)
    return shown_by[t] ~= nil or rawequal(t, G)
end

local function see_through(t)
    return shown_by[t] or t
end

local function nonexistent_global(_, name)
    error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end
local error_metatable = {__index = nonexistent_global}
local error_metatable_view = readonly(error_metatable)
local string_metatable = raw_getmetatable("")

local function getmetatable(t)
    if shown_by[t] ~= nil then
        local mt = raw_getmetatable(shown_by[t])
        if mt == error_metatable then return error_metatable_view end
        return mt
    end
    local mt = raw_getmetatable(t)
    if rawequal(mt, string_metatable) then
        return readonly(string_metatable, {__index = G.string})
    end
    return mt
end

local function setmetatable(t, mt)
    if is_protected(t) then error(READONLY, 0) end
    return raw_setmetatable(t, mt)
end

local function checked_rawset(t, k, v)
    if is_protected(t) then error(READONLY, 0) end
    return rawset(t, k, v)
end

local function checked_rawget(t, k)
    return rawget(see_through(t), k)
end

local function next(t, k)
    return raw_next(see_through(t), k)
end

local function pairs(t)
    raw_pairs(t)                        -- its argument checks
    return next, t, nil
end

local function ipairs(t)
    raw_ipairs(t)
    local real = see_through(t)
    return function(_, i)
        i = i + 1
        local v = rawget(real, i)
        if v ~= nil then return i, v end
    end, t, 0
end

-- Precompiled chunks could break out of the sandbox: refused as Redis's Lua does.
local function is_binary(code)
    return type(code) == "string" and string_sub(code, 1, 1) == "\27"
end

local env      -- the scripts' environment: set once the globals are built

local function safe_loadstring(code, name)
    if is_binary(code) then return nil, "binary chunks are not allowed" end
    local fn, err = loadstring(code, name)
    if fn ~= nil then setfenv(fn, env) end
    return fn, err
end

-- The state's own globals never show: whatever has them as environment shows the
-- scripts' environment instead, and cannot be given another.
local raw_getfenv = getfenv
local function safe_getfenv(f)
    if f == nil then f = 1 end
    if type(f) == "number" and f > 0 then f = f + 1 end
    local e = raw_getfenv(f)
    if rawequal(e, LG) then return env end
    return e
end

local function safe_setfenv(f, e)
    if f == 0 or (type(f) == "function" and rawequal(raw_getfenv(f), LG)) then
        error("'setfenv' cannot change environment of given object", 2)
    end
    if type(f) == "number" and f > 0 then f = f + 1 end
    return setfenv(f, e)
end

local function safe_load(reader, name)
    if type(reader) ~= "function" then return raw_load(reader, name) end
    local parts = {}
    while true do
        local piece = reader()
        if piece == nil or piece == "" then break end
        if type(piece) ~= "string" then return nil, "reader function must return a string" end
        parts[#parts + 1] = piece
    end
    return safe_loadstring(table_concat(parts), name)
end

-- math.random / math.randomseed on Redis's own generator (the same sequence everywhere).
local function checkint(n, v, fname)
    local x = tonumber(v)
    if x == nil then
        local got = v == nil and "no value" or type(v)
        error(string_format("bad argument #%d to '%s' (number expected, got %s)", n, fname, got), 3)
    end
    return x - x % 1
end

local function random(...)
    local n = select("#", ...)
    local r = py.random()
    if n == 0 then return r end
    local lo, hi = 1, nil
    if n == 1 then
        hi = checkint(1, (...), "random")
        if hi < 1 then error("bad argument #1 to 'random' (interval is empty)", 2) end
    elseif n == 2 then
        local a, b = ...
        lo = checkint(1, a, "random")
        hi = checkint(2, b, "random")
        if lo > hi then error("bad argument #2 to 'random' (interval is empty)", 2) end
    else
        error("wrong number of arguments", 2)
    end
    return floor(r * (hi - lo + 1)) + lo
end

local function randomseed(seed)
    py.randomseed(checkint(1, seed, "randomseed"))
end

-- The error handler of every script run: the error as a table with where it happened.
local function error_handler(err)
    local level = 2
    local info = dbg.getinfo(level, "Sl")
    if info and info.what == "C" then
        level = level + 1
        info = dbg.getinfo(level, "Sl")
    end
    while info and (info.source == INTERNAL or info.what == "C") do
        level = level + 1
        info = dbg.getinfo(level, "Sl")
    end
    if type(err) == "userdata" then
        local value, positioned = py.error_value(err)
        if positioned and info then
            value = info.short_src .. ":" .. info.currentline .. ": " .. value
        end
        err = value
    end
    if type(err) ~= "table" then
        err = {err = "ERR " .. tostring(err)}
    end
    if info then
        err.source = info.source
        err.line = info.currentline
    end
    return err
end

-- redis.*: Python functions (a Lua wrapper would lose the caller's line in a tail call);
-- they raise their errors as Python exceptions, which error_value turns into Lua's.
local redis = {}
for name, f in raw_pairs(py.api) do redis[name] = f end
-- The globals of scripts: a table of their own (the state's own globals stay as they
-- are, lupa needs them) holding what Redis allows, libraries shown read-only, locked.
G = {}
for _, name in raw_ipairs({"xpcall", "tostring", "assert", "tonumber", "rawequal",
                           "collectgarbage", "coroutine", "type", "select", "unpack", "gcinfo",
                           "_VERSION", "error", "newproxy", "string", "math", "table"}) do
    rawset(G, name, rawget(LG, name))
end
local math_table = rawget(LG, "math")
math_table.random = random
math_table.randomseed = randomseed
rawset(G, "getmetatable", getmetatable)
rawset(G, "setmetatable", setmetatable)
rawset(G, "rawset", checked_rawset)
rawset(G, "rawget", checked_rawget)
rawset(G, "next", next)
rawset(G, "pairs", pairs)
rawset(G, "ipairs", ipairs)
rawset(G, "loadstring", safe_loadstring)
rawset(G, "load", safe_load)
rawset(G, "getfenv", safe_getfenv)
rawset(G, "setfenv", safe_setfenv)
rawset(G, "pcall", function(...)
    -- Redis's pcall hands back the text of a Redis error table, not the table.
    local results = {pcall(...)}
    if not results[1] and type(results[2]) == "userdata" then
        results[2] = py.error_value(results[2])
    end
    if not results[1] and type(results[2]) == "table" and type(rawget(results[2], "err")) == "string" then
        results[2] = rawget(results[2], "err")
    end
    return unpack(results, 1, table_maxn(results))
end)
for name, lib in raw_pairs(py.libraries) do
    rawset(G, name, lib)
end
rawset(G, "redis", redis)
if mode == "eval" then
    rawset(G, "__redis__err__handler", error_handler)
end
for _, name in raw_ipairs({"string", "math", "table", "coroutine", "redis", "cjson", "bit",
                           "cmsgpack", "struct"}) do
    local lib = rawget(G, name)
    if lib ~= nil then rawset(G, name, readonly(lib)) end
end
env = readonly(G)
rawset(G, "_G", env)
error_metatable.__newindex = deny_write
raw_setmetatable(G, error_metatable)

-- Function libraries are loaded against a narrower API: their code may only register
-- functions and log; once loaded, their functions see the whole API.
local library_api
if mode == "function" then
    local lib_redis = {}
    for name, f in raw_pairs(py.library_api) do lib_redis[name] = f end
    raw_setmetatable(lib_redis, error_metatable)
    library_api = raw_setmetatable({redis = readonly(lib_redis)}, error_metatable)
end

-- Conversions of a script's result to a reply (Redis's luaReplyToRedisReply), in RESP.
local MAX_DEPTH = 7995     -- nesting at which Redis's Lua stack runs out

local function one_line(s)
    return (string_gsub(s, "[\r\n]", " "))
end

local function trimmed_error(s)
    s = string_gsub(s, "^[\r\n]+", "")
    s = string_gsub(s, "[\r\n]+$", "")
    return one_line(s)
end

local encode

local function encode_error(t, out, errors)
    local msg = trimmed_error(rawget(t, "err"))
    out[#out + 1] = "-" .. msg .. "\r\n"
    errors[#errors + 1] = msg
    errors[#errors + 1] = rawget(t, "ignore_error_stats_update") == true
end

local function double_text(d)
    if d == huge then return "inf" elseif d == -huge then return "-inf" end
    return string_format("%.17g", d)
end

encode = function(v, out, proto, bool3, errors, depth)
    local t = type(v)
    if depth >= MAX_DEPTH then
        out[#out + 1] = "-ERR reached lua stack limit\r\n"
        errors[#errors + 1] = "ERR reached lua stack limit"
        errors[#errors + 1] = false
        return
    end
    if t == "string" then
        out[#out + 1] = "$" .. #v .. "\r\n" .. v .. "\r\n"
    elseif t == "number" then
        out[#out + 1] = ":" .. string_format("%d", v) .. "\r\n"
    elseif t == "boolean" then
        if not bool3 then
            out[#out + 1] = v and ":1\r\n" or (proto == 3 and "_\r\n" or "$-1\r\n")
        elseif proto == 3 then
            out[#out + 1] = v and "#t\r\n" or "#f\r\n"
        else
            out[#out + 1] = v and ":1\r\n" or ":0\r\n"
        end
    elseif t == "table" then
        local field = rawget(v, "err")
        if type(field) == "string" then return encode_error(v, out, errors) end
        field = rawget(v, "ok")
        if type(field) == "string" then
            out[#out + 1] = "+" .. one_line(field) .. "\r\n"
            return
        end
        field = rawget(v, "double")
        if type(field) == "number" then
            local text = double_text(field)
            if proto == 3 then
                out[#out + 1] = "," .. text .. "\r\n"
            else
                out[#out + 1] = "$" .. #text .. "\r\n" .. text .. "\r\n"
            end
            return
        end
        field = rawget(v, "big_number")
        if type(field) == "string" then
            field = one_line(field)
            if proto == 3 then
                out[#out + 1] = "(" .. field .. "\r\n"
            else
                out[#out + 1] = "$" .. #field .. "\r\n" .. field .. "\r\n"
            end
            return
        end
        field = rawget(v, "verbatim_string")
        if type(field) == "table" then
            local format, s = rawget(field, "format"), rawget(field, "string")
            if type(format) == "string" and type(s) == "string" then
                if proto == 3 then
                    format = string_sub(format .. "\0\0\0", 1, 3)
                    out[#out + 1] = "=" .. (#s + 4) .. "\r\n" .. format .. ":" .. s .. "\r\n"
                else
                    out[#out + 1] = "$" .. #s .. "\r\n" .. s .. "\r\n"
                end
                return
            end
        end
        field = rawget(v, "map")
        if type(field) == "table" then
            local slot = #out + 1
            out[slot] = ""
            local count = 0
            for key, value in raw_next, field, nil do
                encode(key, out, proto, bool3, errors, depth + 1)
                encode(value, out, proto, bool3, errors, depth + 1)
                count = count + 1
            end
            out[slot] = proto == 3 and ("%" .. count .. "\r\n") or ("*" .. (2 * count) .. "\r\n")
            return
        end
        field = rawget(v, "set")
        if type(field) == "table" then
            local slot = #out + 1
            out[slot] = ""
            local count = 0
            for key in raw_next, field, nil do
                encode(key, out, proto, bool3, errors, depth + 1)
                count = count + 1
            end
            out[slot] = (proto == 3 and "~" or "*") .. count .. "\r\n"
            return
        end
        local slot = #out + 1
        out[slot] = ""
        local i = 1
        while true do
            local item = rawget(v, i)
            if item == nil then break end
            encode(item, out, proto, bool3, errors, depth + 1)
            i = i + 1
        end
        out[slot] = "*" .. (i - 1) .. "\r\n"
    else
        out[#out + 1] = proto == 3 and "_\r\n" or "$-1\r\n"
    end
end

-- The busy-script hook: every 100000 instructions Python checks the time and serves
-- other clients; once the script is killed it fails on every line, so that pcall
-- cannot swallow the error for good.
local hook
local kill_error
hook = function()
    if kill_error == nil then
        kill_error = py.interrupt()
        if kill_error == nil then return end
        dbg.sethook(hook, "l")
    end
    -- Not while this chunk's own code runs (the error handler, the reply's encoding).
    local info = dbg.getinfo(2, "S")
    if info and info.source ~= INTERNAL then error({err = kill_error}) end
end

local function finish(ok, result, proto, bool3, funcname)
    local out, errors = {}, {}
    if ok then
        encode(result, out, proto, bool3, errors, 0)
    else
        local msg = "ERR Error running script"
        if type(result) == "table" then
            local err = rawget(result, "err")
            msg = type(err) == "string" and err or ""
            local source, line = rawget(result, "source"), rawget(result, "line")
            if (type(source) == "string" or type(source) == "number")
                    and (type(line) == "string" or type(line) == "number") then
                msg = msg .. " script: " .. funcname .. ", on " .. source .. ":" .. line .. "."
            end
            errors[#errors + 1] = one_line(msg)
            errors[#errors + 1] = rawget(result, "ignore_error_stats_update") == true
        else
            msg = "ERR Error running script " .. funcname .. ", " .. string_sub(tostring(result), 1, 100)
            errors[#errors + 1] = one_line(msg)
            errors[#errors + 1] = false
        end
        out[1] = "-" .. one_line(msg) .. "\r\n"
    end
    return table_concat(out), errors
end

local helpers = {}

-- Compile a script body as Redis does (the given chunk name), in the sandbox.
function helpers.compile(code, name)
    local fn, err = loadstring(code, name)
    if fn == nil then return nil, err end
    setfenv(fn, env)
    return fn, nil
end

-- Run a compiled script: EVAL's with KEYS and ARGV as globals, a function's with them
-- as arguments; returns the reply in RESP and the errors it holds (message, counted).
function helpers.run(fn, keys, args, is_eval, with_hook, proto, funcname)
    if is_eval then
        rawset(G, "KEYS", keys)
        rawset(G, "ARGV", args)
    end
    kill_error = nil
    if with_hook then dbg.sethook(hook, "", 100000) end
    local ok, result
    if is_eval then
        ok, result = xpcall(fn, error_handler)
    else
        ok, result = xpcall(function() return fn(keys, args) end, error_handler)
    end
    if with_hook then dbg.sethook() end
    helpers.after_run()
    return finish(ok, result, proto, py.resp3_booleans(), funcname)
end

-- Load a function library: its code runs against the library API only.
function helpers.load_library(code, timeout_hook)
    local fn, err = loadstring(code, "@user_function")
    if fn == nil then return false, "Error compiling function: " .. err end
    local env_mt = raw_getmetatable(env)
    env_mt.__index = library_api
    setfenv(fn, env)
    if timeout_hook then
        local timed_out = false
        local function load_hook()
            if not timed_out then
                if not py.load_timed_out() then return end
                timed_out = true
                dbg.sethook(load_hook, "l")
            end
            local info = dbg.getinfo(2, "S")
            if info and info.source ~= INTERNAL then error({err = "ERR FUNCTION LOAD timeout"}) end
        end
        dbg.sethook(load_hook, "", 100000)
    end
    local ok, result = pcall(fn)
    dbg.sethook()
    env_mt.__index = G
    if ok then return true, nil end
    if type(result) == "userdata" then result = py.error_value(result) end
    local msg
    if type(result) == "table" and type(rawget(result, "err")) == "string" then
        msg = rawget(result, "err")
    else
        msg = "ERR " .. tostring(result)
    end
    return false, "Error registering functions: " .. msg
end

function helpers.is_function(v) return type(v) == "function" end

function helpers.memory() return collectgarbage("count") * 1024 end


collectgarbage("collect")
-- A step of collection every 50 runs keeps garbage low without full cycles (as Redis).
local runs = 0
function helpers.after_run()
    runs = runs + 1
    if runs >= 50 then
        runs = 0
        collectgarbage("step", 50)
    end
end
return helpers
