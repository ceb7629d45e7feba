"""Lua scripting: the engine behind EVAL and FUNCTION (Redis's script_lua.c, script.c).

Each engine is a Lua 5.1 state (lupa's `lua51`, the Lua Redis embeds) sandboxed by
lua_prelude.lua: globals locked, `os`/`io`/`loadfile`/`dofile` gone, libraries read-only,
math.random on Redis's own generator. EVAL scripts and function libraries live in two
states, as in Redis.

The conversions, both ways, are here and in the prelude:
- redis.call runs the command on the engine's script client (a client without a socket)
  through the server's command path, then turns the RESP it replied into Lua values
  (`reply_to_lua`): integers and bulk strings as such, nil as false, status and error
  replies as {ok=...} / {err=...}, RESP3's maps, sets, doubles, big numbers and verbatim
  strings as {map=...}, {set=...}, {double=...} ...
- a script's result is turned into the caller's RESP by the prelude's `encode`
  (Redis's luaReplyToRedisReply: numbers truncated to integers, arrays up to the first
  nil, false as a null ...).

A script that runs past busy-reply-threshold lets the server serve other clients from a
Lua hook: they are answered -BUSY except for the commands flagged allow-busy (SCRIPT KILL,
FUNCTION KILL, FUNCTION STATS, SHUTDOWN ...).
"""
from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING, Any, Optional, Union

import lupa.lua51 as lua51

from . import lua_libs
from .lua_libs import ScriptError
from .acl import OK as ACL_OK, script_denied_message
from .commands import Command, lookup
from .errors import (BAD_LIBRARY_NAME, BUSY_EVAL, BUSY_FUNCTION, INVALID_LIBRARY_METADATA,
                     INVALID_SHEBANG, INVALID_SHEBANG_ENGINE, LIBRARY_NAME_NOT_GIVEN,
                     LIBRARY_NAME_TWICE, LUA_ACL_CHECK_UNKNOWN, LUA_CALL_BAD_ARGUMENT,
                     LUA_CALL_NO_ARGUMENTS, LUA_LOG_ARITY, LUA_LOG_LEVEL, LUA_LOG_LEVEL_NOT_NUMBER,
                     LUA_SETRESP_ARITY, LUA_SETRESP_VERSION, LUA_SET_REPL_ARITY, LUA_SET_REPL_FLAGS,
                     LUA_WRONG_ARGUMENTS, LUA_WRONG_ARITY, MISSING_LIBRARY_METADATA, NOREPLICAS,
                     READONLY_REPLICA, READONLY_REPLICA_SCRIPT,
                     NOTBUSY, NO_FUNCTIONS_REGISTERED, OOM, REGISTER_BAD_NAME,
                     REGISTER_CALLBACK_NOT_FUNCTION, REGISTER_DESCRIPTION_NOT_STRING,
                     REGISTER_DUPLICATE, REGISTER_FIRST_NOT_STRING, REGISTER_FLAGS_NOT_TABLE,
                     REGISTER_KEY_NOT_STRING, REGISTER_NAME_NOT_STRING, REGISTER_NO_CALLBACK,
                     REGISTER_NO_NAME, REGISTER_OUTSIDE_LOAD, REGISTER_SECOND_NOT_FUNCTION,
                     REGISTER_SINGLE_NOT_TABLE, REGISTER_UNKNOWN_ARGUMENT, REGISTER_UNKNOWN_FLAG,
                     REGISTER_WRONG_ARITY, SCRIPT_COMMAND_DENIED, SCRIPT_KILLED, SCRIPT_OOM,
                     SCRIPT_READ_ONLY, SCRIPT_UNKNOWN_COMMAND, SCRIPT_WRONG_ARITY, UNKILLABLE,
                     WRITE_SCRIPT_IN_RO, RedisError, engine_not_found, err, function_exists,
                     invalid_metadata_value, library_exists, script_compile_error, script_run_error,
                     unexpected_shebang_engine, unexpected_shebang_flag, unknown_shebang_option)
from .persistence.propagation import BOTH
from .protocol.encode import LazyAggregate
from .protocol.parse import split_args

if TYPE_CHECKING:
    from .client import Client
    from .server import Server

# Script flags (shebang flags of EVAL scripts, flags of functions), in Redis's order.
NO_WRITES, ALLOW_OOM, ALLOW_STALE, NO_CLUSTER, ALLOW_CROSS_SLOT = 1, 2, 4, 8, 16
EVAL_COMPAT = 32      # an EVAL script without a shebang: the pre-7.0 rules
FLAG_NAMES = (("no-writes", NO_WRITES), ("allow-oom", ALLOW_OOM), ("allow-stale", ALLOW_STALE),
              ("no-cluster", NO_CLUSTER), ("allow-cross-slot-keys", ALLOW_CROSS_SLOT))

LOAD_TIMEOUT_MS = 500
REDIS_VERSION_NUM = 0x07000f

_PRELUDE = open(os.path.join(os.path.dirname(__file__), "lua_prelude.lua"), "rb").read()


def sha1hex(data: bytes) -> bytes:
    return hashlib.sha1(data).hexdigest().encode()


def error_text(buf: bytes) -> bytes:
    """A Redis error reply as the text of a Lua error table (Redis's luaPushErrorBuff):
    "-CODE message" keeps its code, anything else gets ERR."""
    if buf[:1] == b"-":
        code, sep, msg = buf[1:].partition(b" ")
        if not sep:
            code, msg = b"ERR", buf[1:]
    else:
        code, msg = b"ERR", buf
    return code + b" " + msg.strip(b"\r\n")


class Lrand48:
    """Redis's rand.c: the 48-bit linear congruential generator behind math.random, so that
    scripts get the same sequence everywhere. Seeded at start as Redis is."""

    def __init__(self) -> None:
        self.state = 0x1234ABCD330E

    def seed(self, value: int) -> None:
        self.state = ((value & 0xFFFFFFFF) << 16) | 0x330E

    def next(self) -> int:
        self.state = (self.state * 0x5DEECE66D + 0xB) & 0xFFFFFFFFFFFF
        return self.state >> 17

    def random(self) -> float:
        return (self.next() % 0x7FFFFFFF) / 0x7FFFFFFF


def parse_shebang(body: bytes, case_sensitive: bool = True) -> tuple[int, int]:
    """An EVAL script's flags and shebang length (Redis's evalExtractShebangFlags); a script
    without a shebang runs in compatibility mode. Raises Redis's errors."""
    if not body.startswith(b"#!"):
        return EVAL_COMPAT, 0
    end = body.find(b"\n")
    if end < 0:
        raise RedisError(INVALID_SHEBANG)
    parts = split_args(body[:end])
    if not parts:
        raise RedisError(INVALID_SHEBANG_ENGINE)
    if parts[0] != b"#!lua":
        raise unexpected_shebang_engine(parts[0])
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise unknown_shebang_option(part)
        value = part[6:]
        for name in value.split(b",") if value else ():
            flag = flag_by_name(name, case_sensitive)
            if flag is None:
                raise unexpected_shebang_flag(name)
            flags |= flag
    return flags, end


def flag_by_name(name: bytes, case_sensitive: bool = True) -> Optional[int]:
    text = _text(name)
    for flag_name, flag in FLAG_NAMES:
        if text == flag_name or (not case_sensitive and text.lower() == flag_name):
            return flag
    return None


def command_flags(flags: frozenset, script_flags: int) -> frozenset:
    """A script command's flags once its script's flags are known (scriptFlagsToCmdFlags):
    the processCommand checks (OOM, writes) follow what the script declares."""
    if script_flags & EVAL_COMPAT:
        return flags
    result = set(flags) - {"stale", "denyoom", "write", "may-replicate"}
    if not script_flags & (ALLOW_OOM | NO_WRITES):
        result.add("denyoom")
    if not script_flags & NO_WRITES:
        result.add("write")
    if script_flags & ALLOW_STALE:
        result.add("stale")
    return frozenset(result)


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


class Script:
    """A cached EVAL script."""
    __slots__ = ("sha", "body", "flags", "function")

    def __init__(self, sha: bytes, body: bytes, flags: int, function: Any) -> None:
        self.sha = sha
        self.body = body
        self.flags = flags
        self.function = function


class Function:
    """A function registered by a library (FUNCTION LOAD)."""
    __slots__ = ("name", "function", "description", "flags", "library")

    def __init__(self, name: bytes, function: Any, description: Optional[bytes], flags: int,
                 library: "Library") -> None:
        self.name = name
        self.function = function
        self.description = description
        self.flags = flags
        self.library = library


class Library:
    __slots__ = ("name", "code", "functions")

    def __init__(self, name: bytes, code: bytes) -> None:
        self.name = name
        self.code = code          # the whole payload, shebang included (FUNCTION LIST)
        self.functions: dict[bytes, Function] = {}


# Function libraries by name, and their functions by lower-case name.
FunctionSet = tuple[dict[bytes, Library], dict[bytes, Function]]


class Run:
    """The script running now (Redis's scriptRunCtx)."""
    __slots__ = ("caller", "state", "name", "is_eval", "read_only", "allow_oom", "start",
                 "timed_out", "killed", "write_dirty", "oom_at_start", "repl_targets")

    def __init__(self, caller: "Client", state: "LuaState", name: bytes, is_eval: bool,
                 read_only: bool, allow_oom: bool, oom_at_start: bool) -> None:
        self.caller = caller
        self.state = state
        self.name = name
        self.is_eval = is_eval
        self.read_only = read_only
        self.allow_oom = allow_oom
        self.oom_at_start = oom_at_start
        self.start = time.monotonic()
        self.timed_out = False
        self.killed = False
        self.write_dirty = False
        self.repl_targets = BOTH   # redis.set_repl(): where the script's writes propagate


class LuaState:
    """One sandboxed Lua state ("eval" or "function" mode) and its script client."""

    def __init__(self, scripting: "Scripting", mode: str) -> None:
        self.scripting = scripting
        self.mode = mode
        runtime = self.runtime = lua51.LuaRuntime(
            encoding=None, unpack_returned_tuples=True, register_eval=False,
            register_builtins=False)
        self.table_from = runtime.table_from
        self.client = scripting.new_script_client()
        constants = dict(REDIS_VERSION=scripting.server_version(),
                         REDIS_VERSION_NUM=REDIS_VERSION_NUM, LOG_DEBUG=0, LOG_VERBOSE=1,
                         LOG_NOTICE=2, LOG_WARNING=3, log=self._log)
        api = dict(constants, call=self._raising_call, pcall=self._pcall, setresp=self._setresp,
                   sha1hex=self._sha1hex, error_reply=self._error_reply,
                   status_reply=self._status_reply, set_repl=self._set_repl,
                   acl_check_cmd=self._acl_check, REPL_NONE=0, REPL_AOF=1, REPL_SLAVE=2,
                   REPL_REPLICA=2, REPL_ALL=3)
        if mode == "eval":
            # Without a debugging session these answer as Redis's do outside one.
            api.update(breakpoint=lambda *args: False, debug=lambda *args: None,
                       replicate_commands=lambda *args: True)
        callbacks = {
            b"api": self.table_from({_key(k): v for k, v in api.items()}),
            b"library_api": self.table_from({_key(k): v for k, v in dict(
                constants, register_function=self._register).items()}),
            b"error_value": _error_value, b"random": scripting.prng.random,
            b"randomseed": scripting.prng.seed, b"interrupt": scripting.interrupt,
            b"resp3_booleans": self._resp3_booleans, b"load_timed_out": scripting.load_timed_out,
            b"libraries": self.table_from(lua_libs.install(runtime)),
        }
        prelude = runtime.globals().loadstring(_PRELUDE, b"=redis")
        helpers = prelude(self.table_from(callbacks), mode.encode())
        self.compile = helpers.compile
        self.run_function = helpers.run
        self.load_library = helpers.load_library
        self.is_function = helpers.is_function
        self.memory = helpers.memory

    def close(self) -> None:
        self.scripting.script_clients.remove(self.client)

    def error_table(self, message: bytes, counted: bool = False) -> Any:
        """A Lua error table for a Redis error reply ("-CODE msg" or a bare message)."""
        fields: dict[bytes, Union[bytes, bool]] = {b"err": error_text(message)}
        if counted:
            # the error was counted when the command replied it: not again by the script
            fields[b"ignore_error_stats_update"] = True
        return self.table_from(fields)

    # -- the redis.* API (argument checks and errors as Redis's) -----------------------------

    def _api_error(self, message: bytes) -> ScriptError:
        return ScriptError(self.error_table(message))

    def _setresp(self, *args: Any) -> None:
        if len(args) != 1:
            raise self._api_error(LUA_SETRESP_ARITY)
        resp = _lua_tonumber(args[0])
        if resp is None or int(resp) not in (2, 3):
            raise self._api_error(LUA_SETRESP_VERSION)
        self.client.proto = int(resp)

    def _resp3_booleans(self) -> bool:
        return self.client.proto == 3

    def _sha1hex(self, *args: Any) -> bytes:
        if len(args) != 1:
            raise self._api_error(LUA_WRONG_ARITY)
        return sha1hex(_lua_string(args[0]) or b"")

    def _error_reply(self, *args: Any) -> Any:
        if len(args) != 1 or type(args[0]) is not bytes:
            return self.error_table(LUA_WRONG_ARGUMENTS)
        message = args[0]
        return self.error_table(message if message[:1] == b"-" else b"-" + message)

    def _status_reply(self, *args: Any) -> Any:
        if len(args) != 1 or type(args[0]) is not bytes:
            return self.error_table(LUA_WRONG_ARGUMENTS)
        return self.table_from({b"ok": args[0]})

    def _set_repl(self, *args: Any) -> None:
        if len(args) != 1:
            raise self._api_error(LUA_SET_REPL_ARITY)
        flags = int(_lua_tonumber(args[0]) or 0)
        if flags & ~BOTH:
            raise self._api_error(LUA_SET_REPL_FLAGS)
        run = self.scripting.current
        if run is not None:
            run.repl_targets = flags

    def _log(self, *args: Any) -> None:
        if len(args) < 2:
            raise self._api_error(LUA_LOG_ARITY)
        level = _lua_tonumber(args[0])
        if level is None:
            raise self._api_error(LUA_LOG_LEVEL_NOT_NUMBER)
        level = int(level)
        if not 0 <= level <= 3:
            raise self._api_error(LUA_LOG_LEVEL)
        parts = []
        for i, arg in enumerate(args[1:]):
            text = _lua_string(arg)
            if text is not None:
                parts.append(b" " + text if i else text)
        self.scripting.log(level, b"".join(parts))

    def _acl_check(self, *args: Any) -> bool:
        argv = self._argv(args)
        if isinstance(argv, str):
            raise self._api_error(argv.encode())
        cmd = self.scripting.lookup(argv)
        if cmd is None:
            raise self._api_error(LUA_ACL_CHECK_UNKNOWN)
        run = self.scripting.current
        user = run.caller.user if run is not None else self.client.user
        return user.check(cmd, argv)[0] == ACL_OK

    def _register(self, *args: Any) -> None:
        error = self.scripting.register_function(*args)
        if error is not None:
            raise ScriptError(self.table_from({b"err": error}))

    # -- redis.call / redis.pcall ----------------------------------------------------------

    @staticmethod
    def _argv(args: tuple) -> Any:
        if not args:
            return LUA_CALL_NO_ARGUMENTS
        argv = []
        for arg in args:
            kind = type(arg)
            if kind is bytes:
                argv.append(arg)
            elif kind is int or kind is float:
                argv.append(b"%.17g" % arg)
            else:
                return LUA_CALL_BAD_ARGUMENT
        return argv

    def _raising_call(self, *args: Any) -> Any:
        """redis.call: the reply, or its error raised in Lua."""
        reply, failed = self._call(args)
        if failed:
            raise ScriptError(reply)
        return reply

    def _pcall(self, *args: Any) -> Any:
        """redis.pcall: the reply, errors as {err=...} tables."""
        return self._call(args)[0]

    def _call(self, args: tuple) -> tuple[Any, bool]:
        """Run one command for the script: (the reply as a Lua value, whether it failed)."""
        argv = self._argv(args)
        if isinstance(argv, str):
            return self.error_table(argv.encode()), True
        scripting = self.scripting
        error = scripting.check_command(self.client, argv)
        if error is not None:
            return self.error_table(b"-" + error.encode(), counted=True), True
        client = self.client
        client.argv = argv
        cmd = scripting.command_of(argv)
        run = scripting.current
        propagation = scripting.server.propagation
        if run is not None:
            propagation.allowed = run.repl_targets
        try:
            scripting.server.call(client, cmd, argv)  # type: ignore[arg-type]  # known
        finally:
            propagation.allowed = BOTH
        chunks = client.reply
        if len(chunks) == 1 and type(chunks[0]) is bytes:
            data = chunks[0]
        else:
            data = b"".join(c.encode_some(1 << 62) if type(c) is LazyAggregate else c
                            for c in chunks)
        client.discard_replies()
        if not data:
            return None, False
        value, _ = self.reply_to_lua(data, 0)
        return value, data[0] == 0x2D

    def reply_to_lua(self, data: bytes, pos: int) -> tuple[Any, int]:
        """One RESP reply from data[pos:] as a Lua value, and where the next one starts
        (Redis's redisProtocolToLuaType)."""
        kind = data[pos]
        eol = data.index(b"\r\n", pos)
        head = data[pos + 1:eol]
        pos = eol + 2
        if kind == 0x24:      # $ bulk
            size = int(head)
            if size < 0:
                return False, pos
            return data[pos:pos + size], pos + size + 2
        if kind == 0x3A:      # : integer
            return int(head), pos
        if kind == 0x2B:      # + status
            return self.table_from({b"ok": head}), pos
        if kind == 0x2D:      # - error, already counted by the command
            return self.error_table(b"-" + head, counted=True), pos
        if kind in (0x2A, 0x3E):   # * array, > push
            count = int(head)
            if count < 0:
                return False, pos
            items = []
            for _ in range(count):
                item, pos = self.reply_to_lua(data, pos)
                items.append(item)
            return self.table_from(items), pos
        if kind == 0x25:      # % map
            entries = {}
            for _ in range(int(head)):
                key, pos = self.reply_to_lua(data, pos)
                entries[key], pos = self.reply_to_lua(data, pos)
            return self.table_from({b"map": self.table_from(entries)}), pos
        if kind == 0x7E:      # ~ set
            members = {}
            for _ in range(int(head)):
                member, pos = self.reply_to_lua(data, pos)
                members[member] = True
            return self.table_from({b"set": self.table_from(members)}), pos
        if kind == 0x5F:      # _ null
            return None, pos
        if kind == 0x23:      # # boolean
            return head == b"t", pos
        if kind == 0x2C:      # , double
            return self.table_from({b"double": float(head)}), pos
        if kind == 0x28:      # ( big number
            return self.table_from({b"big_number": head}), pos
        if kind == 0x3D:      # = verbatim string
            size = int(head)
            text = data[pos:pos + size]
            verbatim = self.table_from({b"format": text[:3], b"string": text[4:]})
            return self.table_from({b"verbatim_string": verbatim}), pos + size + 2
        if kind == 0x7C:      # | attribute: skipped, the reply follows
            for _ in range(2 * int(head)):
                _, pos = self.reply_to_lua(data, pos)
            return self.reply_to_lua(data, pos)
        raise ValueError("unexpected reply type %r" % chr(kind))


class Scripting:
    """The scripting state of one server: the two Lua states, the EVAL script cache, the
    function libraries and the script running now."""

    def __init__(self, server: "Server") -> None:
        self.server = server
        self.prng = Lrand48()
        self.script_clients: list["Client"] = []
        self._eval: Optional[LuaState] = None
        self._functions: Optional[LuaState] = None
        self.scripts: dict[bytes, Script] = {}
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, Function] = {}   # by lower-case name: FCALL ignores case
        self.current: Optional[Run] = None
        self.loading: Optional[Library] = None   # the library FUNCTION LOAD is running
        self.allow_noscript = False              # DEBUG SET-DISABLE-DENY-SCRIPTS
        self.load_deadline = 0.0

    # -- the two Lua states, made on first use -----------------------------------------------

    @property
    def eval_state(self) -> LuaState:
        if self._eval is None:
            self._eval = LuaState(self, "eval")
        return self._eval

    @property
    def function_state(self) -> LuaState:
        if self._functions is None:
            self._functions = LuaState(self, "function")
        return self._functions

    def new_script_client(self) -> "Client":
        from .client import Client
        server = self.server
        client = Client(server, None, "", "", server.next_client_id)
        server.next_client_id += 1
        client.pending_write = True    # never queued for writing: its replies are read here
        self.script_clients.append(client)
        return client

    def server_version(self) -> bytes:
        from .server import REDIS_VERSION
        return REDIS_VERSION.encode()

    def log(self, level: int, message: bytes) -> None:
        self.server.log(("debug", "verbose", "notice", "warning")[level], _text(message))

    # -- EVAL scripts --------------------------------------------------------------------------

    def create_script(self, body: bytes) -> Script:
        """Compile and cache an EVAL script (Redis's luaCreateFunction)."""
        sha = sha1hex(body)
        script = self.scripts.get(sha)
        if script is not None:
            return script
        flags, shebang_len = parse_shebang(body)
        state = self.eval_state
        function, error = state.compile(body[shebang_len:], b"@user_script")
        if function is None:
            raise script_compile_error(error)
        script = self.scripts[sha] = Script(sha, body, flags, function)
        return script

    def flush_scripts(self) -> None:
        """SCRIPT FLUSH: forget every script and start a new Lua state."""
        self.scripts = {}
        if self._eval is not None:
            self._eval.close()
            self._eval = None

    # -- function libraries ---------------------------------------------------------------------

    def load_library(self, payload: bytes, replace: bool) -> bytes:
        """FUNCTION LOAD: run a library's code, registering its functions; returns its name."""
        name, engine, code = parse_library_metadata(payload)
        if not valid_name(name):
            raise RedisError(BAD_LIBRARY_NAME)
        if engine.lower() != b"lua":
            raise engine_not_found(engine)
        old = self.libraries.get(name)
        if old is not None and not replace:
            raise library_exists(name)
        library = self.compile_library(name, payload, code)
        for function in library.functions.values():
            owner = self.functions.get(function.name.lower())
            if owner is not None and owner.library is not old:
                raise function_exists(function.name)
        if old is not None:
            self.unlink_library(old)
        self.link_library(library)
        return name

    def compile_library(self, name: bytes, payload: bytes, code: bytes) -> Library:
        library = Library(name, payload)
        state = self.function_state
        self.loading = library
        self.load_deadline = time.monotonic() + LOAD_TIMEOUT_MS / 1000
        try:
            ok, error = state.load_library(code, True)
        except lua51.LuaError as exc:
            ok, error = False, b"Error registering functions: ERR %s" % str(exc).encode()
        finally:
            self.loading = None
        if not ok:
            raise err(_text(error))
        if not library.functions:
            raise RedisError(NO_FUNCTIONS_REGISTERED)
        return library

    def link_library(self, library: Library) -> None:
        self.libraries[library.name] = library
        for function in library.functions.values():
            self.functions.setdefault(function.name.lower(), function)

    def unlink_library(self, library: Library) -> None:
        del self.libraries[library.name]
        for function in library.functions.values():
            if self.functions.get(function.name.lower()) is function:
                del self.functions[function.name.lower()]

    def flush_functions(self) -> None:
        self.libraries = {}
        self.functions = {}

    def swap_functions(self, other: "FunctionSet") -> "FunctionSet":
        """Put other libraries (and their functions) in place of these, returned: a replica
        loads its master's into a set of their own while it serves its old ones."""
        current = (self.libraries, self.functions)
        self.libraries, self.functions = other
        return current

    def load_timed_out(self) -> bool:
        return time.monotonic() > self.load_deadline

    def register_function(self, *args: Any) -> Optional[bytes]:
        """redis.register_function (during FUNCTION LOAD): None, or the error to raise."""
        library = self.loading
        if library is None:
            return REGISTER_OUTSIDE_LOAD
        if len(args) not in (1, 2):
            return REGISTER_WRONG_ARITY
        state = self.function_state
        description = None
        flags = 0
        if len(args) == 1:
            name = function = None
            named = args[0]
            if lua51.lua_type(named) != "table":
                return REGISTER_SINGLE_NOT_TABLE
            for key, value in named.items():
                key = _lua_string(key)
                if key is None:
                    return REGISTER_KEY_NOT_STRING
                key = key.lower()
                if key == b"function_name":
                    name = _lua_string(value)
                    if name is None:
                        return REGISTER_NAME_NOT_STRING
                elif key == b"description":
                    description = _lua_string(value)
                    if description is None:
                        return REGISTER_DESCRIPTION_NOT_STRING
                elif key == b"callback":
                    if not state.is_function(value):
                        return REGISTER_CALLBACK_NOT_FUNCTION
                    function = value
                elif key == b"flags":
                    if lua51.lua_type(value) != "table":
                        return REGISTER_FLAGS_NOT_TABLE
                    flags = 0
                    i = 1
                    while True:
                        item = value[i]
                        if item is None:
                            break
                        flag_name = _lua_string(item)
                        flag = (flag_by_name(flag_name, False) if flag_name is not None
                                else None)
                        if flag is None:
                            return REGISTER_UNKNOWN_FLAG
                        flags |= flag
                        i += 1
                else:
                    return REGISTER_UNKNOWN_ARGUMENT
            if name is None:
                return REGISTER_NO_NAME
            if function is None:
                return REGISTER_NO_CALLBACK
        else:
            name = _lua_string(args[0])
            if name is None:
                return REGISTER_FIRST_NOT_STRING
            function = args[1]
            if not state.is_function(function):
                return REGISTER_SECOND_NOT_FUNCTION
        if not valid_name(name):
            return REGISTER_BAD_NAME
        if name in library.functions:
            return REGISTER_DUPLICATE
        library.functions[name] = Function(name, function, description, flags, library)
        return None

    # -- running -------------------------------------------------------------------------------

    def lookup(self, argv: list[bytes]) -> Optional[Command]:
        """The command argv names, as Redis's lookupCommand: None for an unknown
        subcommand too."""
        cmd = lookup(argv, self.server.commands)
        if cmd is not None and cmd.subcommands and len(argv) > 1 \
                and argv[1].lower() not in cmd.subcommands:
            return None
        return cmd

    def command_of(self, argv: list[bytes]) -> Optional[Command]:
        return self.lookup(argv)

    def check_command(self, client: "Client", argv: list[bytes]) -> Optional[str]:
        """The checks of a command called from a script (Redis's scriptCall), in order: an
        error message, or None to run it."""
        run = self.current
        cmd = self.lookup(argv)
        error = None
        if cmd is None:
            error = SCRIPT_UNKNOWN_COMMAND
        elif (cmd.arity > 0 and len(argv) != cmd.arity) or len(argv) < -cmd.arity:
            error = SCRIPT_WRONG_ARITY
        elif "noscript" in cmd.flags and not self.allow_noscript:
            error = SCRIPT_COMMAND_DENIED
        elif run is not None and not client.user.unrestricted and \
                (denied := self.server.acl.denial(client, cmd, argv, b"lua", run.caller)):
            error = script_denied_message(denied)
        elif run is not None and run.read_only and ("write" in cmd.flags
                                                    or "may-replicate" in cmd.flags):
            error = SCRIPT_READ_ONLY
        elif run is not None and "write" in cmd.flags and not run.write_dirty \
                and self.server.replica.refuses_writes(run.caller):
            error = READONLY_REPLICA
        elif run is not None and "write" in cmd.flags and self.server.write_refusal():
            error = self.server.write_refusal()
        elif run is not None and "write" in cmd.flags and not run.write_dirty:
            if not self.server.replication.enough_good_replicas():
                error = NOREPLICAS
            elif not run.allow_oom and run.oom_at_start and "denyoom" in cmd.flags:
                error = OOM
        if error is not None:
            # Counted once, here (Redis's incrCommandStatsOnError): not again by the
            # command running the script.
            server = self.server
            count_error(server, error)
            if cmd is not None:
                cmd.rejected_calls += 1
            server._error_mark = server.stats.error_replies
            return error
        if cmd is not None and run is not None and "write" in cmd.flags:
            run.write_dirty = True
        return None

    def run(self, caller: "Client", state: LuaState, function: Any, argv: list[bytes],
            numkeys: int, script_flags: int, name: bytes, is_eval: bool, read_only: bool,
            cmd: Optional[Command]) -> None:
        """Run a script or function for `caller` (Redis's scriptPrepareForRun, the call,
        scriptResetRun) and queue its reply."""
        server = self.server
        config = server.config
        oom = bool(config.maxmemory) and server.over_maxmemory()
        if not script_flags & EVAL_COMPAT:
            if not script_flags & NO_WRITES:
                if server.replica.refuses_writes(caller):
                    raise RedisError(READONLY_REPLICA_SCRIPT)
                if read_only:
                    raise RedisError(WRITE_SCRIPT_IN_RO)
                if not server.replication.enough_good_replicas():
                    raise RedisError(NOREPLICAS)
            if oom and not script_flags & (ALLOW_OOM | NO_WRITES):
                raise RedisError(SCRIPT_OOM)
        read_only = read_only or bool(not script_flags & EVAL_COMPAT
                                      and script_flags & NO_WRITES)
        allow_oom = bool(not script_flags & EVAL_COMPAT and script_flags & ALLOW_OOM)
        run = Run(caller, state, name, is_eval, read_only, allow_oom, oom)
        client = state.client
        client.db = caller.db
        client.user = caller.user     # the script's commands run with its caller's rights
        client.proto = 2
        keys = state.table_from(argv[3:3 + numkeys])
        args = state.table_from(argv[3 + numkeys:])
        self.current = run
        server.clock.frozen_ms = server.clock.ms()
        try:
            reply, errors = state.run_function(
                function, keys, args, is_eval, config.busy_reply_threshold > 0, caller.proto,
                name)
        except lua51.LuaError as exc:     # the error handler itself failed
            message = script_run_error(name, exc)
            reply, errors = b"-%s\r\n" % message.encode(), [message, False]
        finally:
            self.current = None
            server.clock.frozen_ms = None
            if run.timed_out:
                self._leave_busy(run)
            # The script's effects are propagated, not the script (nor the function call).
            server.propagation.prevent()
        caller.add_reply(_raw(reply))
        errors = list(errors.values()) if not isinstance(errors, list) else errors
        for i in range(0, len(errors), 2):
            if errors[i + 1]:
                if cmd is not None:
                    cmd.failed_calls += 1
            else:
                count_error(server, _text(errors[i]) if type(errors[i]) is bytes else errors[i])

    # -- busy scripts ---------------------------------------------------------------------

    def interrupt(self) -> Optional[bytes]:
        """The Lua hook's call, every 100000 instructions: past busy-reply-threshold, serve
        the other clients; the error to raise once the script is to die."""
        run = self.current
        if run is None:
            return None
        server = self.server
        if not run.timed_out:
            elapsed = (time.monotonic() - run.start) * 1000
            if elapsed < server.config.busy_reply_threshold:
                return None
            server.log_warning(
                "Slow script detected: still in execution after %d milliseconds. You can try "
                "killing the script using the %s command. Script name is: %s."
                % (elapsed, "SCRIPT KILL" if run.is_eval else "FUNCTION KILL", _text(run.name)))
            self._enter_busy(run)
        self._serve_others()
        if run.killed or not server.reactor.running:
            if run.killed:
                server.log_warning("Lua script killed by user with SCRIPT KILL.")
            return SCRIPT_KILLED.encode()
        return None

    def _enter_busy(self, run: Run) -> None:
        run.timed_out = True
        server = self.server
        server.busy_script = BUSY_EVAL if run.is_eval else BUSY_FUNCTION
        caller = run.caller
        if caller.sock is not None and not caller.closed:
            # Its next commands wait until the script is over (Redis's protectClient).
            server.reactor.remove_reader(caller.sock)

    def _leave_busy(self, run: Run) -> None:
        server = self.server
        server.busy_script = None
        # What our master sent meanwhile runs next, out of this script's call.
        server.reactor.call_later(0, server.replica.apply_received)
        caller = run.caller
        if caller.sock is not None and not caller.closed:
            server.reactor.add_reader(caller.sock, caller.on_readable)

    def _serve_others(self) -> None:
        """Redis's processEventsWhileBlocked: read and answer other clients, once."""
        server = self.server
        if not server.reactor.running:
            return
        server.reactor.poll(0.0)
        server.handle_clients_with_pending_writes()

    def kill(self, is_eval: bool) -> None:
        """SCRIPT KILL / FUNCTION KILL."""
        run = self.current
        if run is None:
            raise RedisError(NOTBUSY)
        if run.write_dirty:
            raise RedisError(UNKILLABLE)
        if is_eval and not run.is_eval:
            raise RedisError(BUSY_FUNCTION)
        if not is_eval and run.is_eval:
            raise RedisError(BUSY_EVAL)
        run.killed = True

    # -- INFO ---------------------------------------------------------------------------

    def memory_info(self) -> dict[str, int]:
        """The scripting fields of INFO memory (their sizes, as near as Python can tell)."""
        eval_vm = int(self.eval_state.memory())
        functions_vm = int(self.function_state.memory())
        scripts_eval = sum(40 + len(s.body) + 64 for s in self.scripts.values())
        functions = sum(len(lib.code) + 64 + 48 * len(lib.functions)
                        for lib in self.libraries.values())
        return {"used_memory_lua": eval_vm, "used_memory_vm_eval": eval_vm,
                "used_memory_scripts_eval": scripts_eval,
                "number_of_cached_scripts": len(self.scripts),
                "number_of_functions": len(self.functions),
                "number_of_libraries": len(self.libraries),
                "used_memory_vm_functions": functions_vm,
                "used_memory_vm_total": eval_vm + functions_vm,
                "used_memory_functions": functions,
                "used_memory_scripts": scripts_eval + functions}


def count_error(server: "Server", message: str) -> None:
    """Count an error reply in INFO errorstats as Redis does: by its first word when that
    ends within 32 bytes of the reply, else as ERR."""
    if " " not in message[:31]:
        message = "ERR " + message
    server.stats.count_error(message)


def _error_value(exc: BaseException) -> tuple[Any, bool]:
    """What a Python exception raised through Lua stands for: (error value, whether it
    wants the script's position in front)."""
    if isinstance(exc, ScriptError):
        return exc.value, exc.positioned
    return str(exc).encode(), True


def _key(name: str) -> bytes:
    return name.encode()


def _lua_tonumber(value: Any) -> Optional[float]:
    """lua_tonumber: numbers, and strings that read as numbers (decimal or hex)."""
    kind = type(value)
    if kind is int or kind is float:
        return value
    if kind is bytes:
        text = value.strip()
        try:
            if text[:2].lower() in (b"0x", b"-0x"[:2]) or text[:3].lower() == b"-0x":
                return float(int(text, 16))
            return float(text)
        except ValueError:
            return None
    return None


def _raw(data: bytes) -> Any:
    from .protocol.encode import Raw
    return Raw(data)


def _lua_string(value: Any) -> Optional[bytes]:
    """A Lua value as lua_tostring sees it: strings, and numbers as Lua prints them."""
    kind = type(value)
    if kind is bytes:
        return value
    if kind is int or kind is float:
        return b"%.14g" % value
    return None


def valid_name(name: bytes) -> bool:
    """Library and function names: letters, digits and underscores, at least one."""
    return bool(name) and all(c == 0x5F or 0x30 <= c <= 0x39 or 0x41 <= c <= 0x5A
                              or 0x61 <= c <= 0x7A for c in name)


def parse_library_metadata(payload: bytes) -> tuple[bytes, bytes, bytes]:
    """(name, engine, code) of a FUNCTION LOAD payload's "#!<engine> name=<name>" line; the
    code keeps the shebang's line feed, so that line numbers stay the user's."""
    if not payload.startswith(b"#!"):
        raise RedisError(MISSING_LIBRARY_METADATA)
    end = payload.find(b"\n")
    if end < 0:
        raise RedisError(INVALID_LIBRARY_METADATA)
    parts = split_args(payload[:end])
    if not parts:
        raise RedisError(INVALID_LIBRARY_METADATA)
    engine = parts[0][2:]
    name = None
    for part in parts[1:]:
        if part[:5].lower() == b"name=":
            if name is not None:
                raise RedisError(LIBRARY_NAME_TWICE)
            name = part[5:]
            continue
        raise invalid_metadata_value(part)
    if name is None:
        raise RedisError(LIBRARY_NAME_NOT_GIVEN)
    return name, engine, payload[end:]


