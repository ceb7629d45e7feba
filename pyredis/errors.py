"""Redis error replies as exceptions, with Redis's exact texts.

Clients parse the first word of an error (ERR, WRONGTYPE, NOPROTO, EXECABORT ...), so the
texts here are part of the protocol: keep them byte for byte as Redis writes them. Every
error text the server writes lives here: upper-case names are texts, lower-case helpers
build the exception (only when raising, so that no hot path pays for it).
"""
from __future__ import annotations

from typing import Optional


class RedisError(Exception):
    """An error reply. `message` is the whole text after the '-', prefix included."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The first word, as counted by INFO errorstats (ERR, WRONGTYPE ...)."""
        return self.message.split(" ", 1)[0]


class ProtocolError(RedisError):
    """A malformed request: replied to, then the connection is closed."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"ERR Protocol error: {detail}")


# -- the request parser: what follows "ERR Protocol error: " --------------------------------

MBULK_COUNT_TOO_BIG = "too big mbulk count string"
INVALID_MULTIBULK_LENGTH = "invalid multibulk length"
UNAUTHENTICATED_MULTIBULK_LENGTH = "unauthenticated multibulk length"
BULK_COUNT_TOO_BIG = "too big bulk count string"
INVALID_BULK_LENGTH = "invalid bulk length"
UNAUTHENTICATED_BULK_LENGTH = "unauthenticated bulk length"
INLINE_TOO_BIG = "too big inline request"
UNBALANCED_QUOTES = "unbalanced quotes in request"


def expected_dollar(got: int) -> ProtocolError:
    return ProtocolError("expected '$', got '%s'" % chr(got))


# -- building blocks ------------------------------------------------------------------------

# A bare reason, without a code: a config directive's, and inside Lua redis.sha1hex's.
WRONG_ARGUMENT_COUNT = "wrong number of arguments"


def err(text: str) -> RedisError:
    """An error with the generic ERR prefix."""
    return RedisError("ERR " + text)


def c_text(data: bytes, limit: Optional[int] = None) -> str:
    """An argument as Redis prints it into an error with %s (or %.<limit>s): a C string,
    so it ends at the first NUL byte, and at most `limit` bytes of it."""
    end = data.find(b"\0")
    if end >= 0:
        data = data[:end]
    if limit is not None:
        data = data[:limit]
    # Bytes that are not UTF-8 are carried through to the reply unchanged (error_line).
    return data.decode("utf-8", errors="surrogateescape")


# -- arguments: syntax, numbers, ranges -----------------------------------------------------

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX = "ERR syntax error"
NOT_INTEGER = "ERR value is not an integer or out of range"
NOT_FLOAT = "ERR value is not a valid float"
NO_SUCH_KEY = "ERR no such key"
OVERFLOW = "ERR increment or decrement would overflow"
DECREMENT_OVERFLOW = "ERR decrement would overflow"      # DECRBY of LLONG_MIN, before any read
NAN_OR_INFINITY = "ERR increment would produce NaN or Infinity"
INDEX_OUT_OF_RANGE = "ERR index out of range"
DB_INDEX = "ERR DB index is out of range"
VALUE_OUT_OF_RANGE = "ERR value is out of range"
MUST_BE_POSITIVE = "ERR value is out of range, must be positive"
NUMKEYS_NOT_POSITIVE = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = "ERR count should be greater than 0"
KEYS_MORE_THAN_ARGS = "ERR Number of keys can't be greater than number of args"
NEGATIVE_KEYS = "ERR Number of keys can't be negative"
NEGATIVE_LIMIT = "ERR LIMIT can't be negative"
COUNT_NOT_ABOVE_ZERO = "ERR COUNT must be > 0"          # XAUTOCLAIM and GEOSEARCH


class WrongTypeError(RedisError):
    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


def syntax_error() -> RedisError:
    return RedisError(SYNTAX)


def not_integer() -> RedisError:
    return RedisError(NOT_INTEGER)


def not_float() -> RedisError:
    return RedisError(NOT_FLOAT)


def not_between(minimum: int, maximum: int) -> RedisError:
    # Redis's own grammar ("must between").
    return RedisError("ERR value is out of range, value must between %d and %d"
                      % (minimum, maximum))


def wrong_arity(name: str) -> RedisError:
    return RedisError(f"ERR wrong number of arguments for '{name}' command")


def invalid_expire_time(name: str) -> RedisError:
    return RedisError(f"ERR invalid expire time in '{name}' command")


# -- the command path: refusals before a command runs ---------------------------------------

NOAUTH = "NOAUTH Authentication required."
NOT_IN_MULTI = "ERR Command not allowed inside a transaction"
OOM = "OOM command not allowed when used memory > 'maxmemory'."
NOREPLICAS = "NOREPLICAS Not enough good replicas to write."
REPLICA_KEYSPACE = "ERR Replica can't interact with the keyspace"
READONLY_REPLICA = "READONLY You can't write against a read only replica."
READONLY_REPLICA_SCRIPT = "READONLY Can not run script with write flag on readonly replica"
MASTERDOWN = ("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to "
              "'no'.")
FORCE_UNBLOCKED = ("UNBLOCKED force unblock from blocking operation, instance state changed "
                   "(master -> replica?)")
NOMASTERLINK = "NOMASTERLINK Can't SYNC while not connected with my master"
REPLICAOF_REPLICA_CLIENT = "ERR Command is not valid when client is a replica."
MAX_CLIENTS_REACHED = "ERR max number of clients reached"
PROTECTED_MODE_DENIED = (     # Redis's wording, "Setup a an" included
    "DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted from "
    "the loopback interface. If you want to connect from external computers to Redis you "
    "may adopt one of the following solutions: 1) Just disable protected mode sending the "
    "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
    "Redis from the same host the server is running, however MAKE SURE Redis is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the Redis "
    "configuration file, and setting the protected mode option to 'no', and then restarting "
    "the server. 3) If you started the server manually just for testing, restart it with the "
    "'--protected-mode no' option. 4) Setup a an authentication password for the default "
    "user. NOTE: You only need to do one of the above things in order for the server to "
    "start accepting connections from the outside.")


def unknown_command(argv: list[bytes]) -> RedisError:
    """Redis quotes the name and the first arguments, 128 bytes of them at most."""
    args = ""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += "'%s' " % c_text(arg, 128 - len(args))
    return RedisError("ERR unknown command '%s', with args beginning with: %s"
                      % (c_text(argv[0], 128), args))


def unknown_subcommand(sub: bytes, cmd: bytes) -> RedisError:
    """A subcommand the command path does not know."""
    return RedisError("ERR unknown subcommand '%s'. Try %s HELP."
                      % (c_text(sub, 128), c_text(cmd).upper()))


def subcommand_syntax(argv: list[bytes]) -> RedisError:
    """A known subcommand with arguments it cannot take (Redis's
    addReplySubcommandSyntaxError)."""
    return RedisError("ERR unknown subcommand or wrong number of arguments for '%s'. "
                      "Try %s HELP." % (c_text(argv[1], 128), c_text(argv[0]).upper()))


def not_while_subscribed(name: str) -> RedisError:
    return RedisError(
        "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context" % name)


# -- transactions ---------------------------------------------------------------------------

EXECABORT = "EXECABORT Transaction discarded because of previous errors."
NESTED_MULTI = "ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = "ERR DISCARD without MULTI"
WATCH_IN_MULTI = "ERR WATCH inside MULTI is not allowed"


def exec_aborted(error: RedisError) -> str:
    """The text of EXEC refused by the command path: the reason follows, without its ERR
    prefix."""
    message = error.message[4:] if error.message.startswith("ERR ") else error.message
    return "EXECABORT Transaction discarded because of: " + message


# -- connection: AUTH, HELLO, CLIENT SETNAME ------------------------------------------------

WRONGPASS = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_WITHOUT_PASSWORD = (
    "ERR AUTH <password> called without any password configured for the default user. Are "
    "you sure your configuration is correct?")
PROTOCOL_VERSION_NOT_INTEGER = "ERR Protocol version is not an integer or out of range"
NOPROTO = "NOPROTO unsupported protocol version"
HELLO_WITHOUT_AUTH = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "<proto> AUTH <user> <pass> option can be used to authenticate the client and select "
    "the RESP protocol version at the same time")
BAD_CLIENT_NAME = "ERR Client names cannot contain spaces, newlines or special characters."


def hello_syntax(option: bytes) -> RedisError:
    return RedisError("ERR Syntax error in HELLO option '%s'" % c_text(option))


# -- keys: COPY, MOVE, EXPIRE, OBJECT, RESTORE ----------------------------------------------

SAME_OBJECT = "ERR source and destination objects are the same"
COPY_IN_CLUSTER = "ERR Copying to another database is not allowed in cluster mode"
MOVE_IN_CLUSTER = "ERR MOVE is not allowed in cluster mode"
EXPIRE_NX_AND_OTHERS = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_AND_LT = "ERR GT and LT options at the same time are not compatible"
LFU_POLICY = ("ERR An LFU maxmemory policy is {}selected, {} not tracked. Please note that "
              "when switching between policies at runtime LRU and LFU data will take some "
              "time to adjust.")
BUSYKEY = "BUSYKEY Target key name already exists."
INVALID_TTL = "ERR Invalid TTL value, must be >= 0"
INVALID_IDLETIME = "ERR Invalid IDLETIME value, must be >= 0"
INVALID_FREQ = "ERR Invalid FREQ value, must be >= 0 and <= 255"
BAD_DUMP_PAYLOAD = "ERR DUMP payload version or checksum are wrong"
BAD_DATA_FORMAT = "ERR Bad data format"
INVALID_CURSOR = "ERR invalid cursor"


MIGRATE_KEYS_WITH_KEY = ("ERR When using MIGRATE KEYS option, the key argument must be set to "
                         "the empty string")
MIGRATE_CONNECT_FAILED = "IOERR error or timeout connecting to the client"


def migrate_io_error(direction: str) -> RedisError:
    """MIGRATE lost its target while "writing" or "reading"."""
    return RedisError("IOERR error or timeout %s to target instance" % direction)


def migrate_target_error(text: bytes) -> RedisError:
    """The target's own error line (without its '-'), as MIGRATE passes it on."""
    return RedisError("ERR Target instance replied with error: %s" % c_text(text))


def unsupported_expire_option(option: bytes) -> RedisError:
    return RedisError("ERR Unsupported option %s" % c_text(option))


# -- strings and bitmaps --------------------------------------------------------------------

STRING_TOO_LONG = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE = "ERR offset is out of range"
LCS_NOT_STRINGS = "ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_LONG = "ERR String too long for LCS"
LCS_OUT_OF_MEMORY = ("ERR Insufficient memory, transient memory for LCS exceeds "
                     "proto-max-bulk-len")
BIT_OFFSET = "ERR bit offset is not an integer or out of range"
BIT_VALUE = "ERR bit is not an integer or out of range"
BITPOS_BIT = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ARITY = "ERR BITOP NOT must be called with a single source key."
BITFIELD_TYPE = ("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
                 "supported but i64 is.")
BITFIELD_OVERFLOW_TYPE = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_GET_ONLY = "ERR BITFIELD_RO only supports the GET subcommand"


# -- hashes, lists, sets, sorted sets, SORT -------------------------------------------------

HASH_NOT_INTEGER = "ERR hash value is not an integer"
HASH_NOT_FLOAT = "ERR hash value is not a float"
NAN_OR_INFINITY_VALUE = "ERR value is NaN or Infinity"
LPOS_RANK_ZERO = ("ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
                  "second ... or use negative to start from the end of the list")
NEGATIVE_COUNT = "ERR COUNT can't be negative"
NEGATIVE_MAXLEN = "ERR MAXLEN can't be negative"
NAN_SCORE = "ERR resulting score is not a number (NaN)"
NOT_FLOAT_RANGE = "ERR min or max is not a float"
NOT_LEX_RANGE = "ERR min or max not valid string range item"
ZADD_XX_AND_NX = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIRS = "ERR INCR option supports a single increment-element pair"
LIMIT_WITHOUT_BY = ("ERR syntax error, LIMIT is only supported in combination with either "
                    "BYSCORE or BYLEX")
WITHSCORES_BYLEX = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = "ERR weight value is not a float"
SORT_NOT_DOUBLE = "ERR One or more scores can't be converted into double"


def no_input_keys(name: bytes) -> RedisError:
    return RedisError("ERR at least 1 input key is needed for '%s' command"
                      % c_text(name).lower())


# -- HyperLogLog and geo -------------------------------------------------------------------

NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_CORRUPTED = "INVALIDOBJ Corrupted HLL object detected"
HLL_NO_SUCH_KEY = "ERR The specified key does not exist"
HLL_NOT_SPARSE = "ERR HLL encoding is not sparse"
GEO_BAD_UNIT = "ERR unsupported unit provided. please use M, KM, FT, MI"
GEO_NO_MEMBER = "ERR could not decode requested zset member"
GEO_RADIUS_NOT_NUMBER = "ERR need numeric radius"
GEO_NEGATIVE_RADIUS = "ERR radius cannot be negative"
GEO_WIDTH_NOT_NUMBER = "ERR need numeric width"
GEO_HEIGHT_NOT_NUMBER = "ERR need numeric height"
GEO_NEGATIVE_BOX = "ERR height or width cannot be negative"
GEO_ANY_WITHOUT_COUNT = "ERR the ANY argument requires COUNT argument"


def unknown_pfdebug_subcommand(sub: bytes) -> RedisError:
    return RedisError("ERR Unknown PFDEBUG subcommand '%s'" % c_text(sub))


def invalid_lonlat(longitude: float, latitude: float) -> RedisError:
    return RedisError("ERR invalid longitude,latitude pair %f,%f" % (longitude, latitude))


def geo_store_with_options(where: str) -> RedisError:
    return RedisError("ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
                      % where)


def geo_one_origin(name: str) -> RedisError:
    return RedisError("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
                      % name)


def geo_one_shape(name: str) -> RedisError:
    return RedisError("ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % name)


# -- streams ------------------------------------------------------------------------------

INVALID_STREAM_ID = "ERR Invalid stream ID specified as stream command argument"
XADD_ID_NOT_GREATER = ("ERR The ID specified in XADD is equal or smaller than the target stream "
                       "top item")
XADD_ID_ZERO = "ERR The ID specified in XADD must be greater than 0-0"
STREAM_IDS_EXHAUSTED = "ERR The stream has exhausted the last possible ID, unable to add more items"
INVALID_INTERVAL_START = "ERR invalid start ID for the interval"
INVALID_INTERVAL_END = "ERR invalid end ID for the interval"
MAXLEN_AND_MINID = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
NEGATIVE_MAXLEN_ARGUMENT = "ERR The MAXLEN argument must be >= 0."
NEGATIVE_LIMIT_ARGUMENT = "ERR The LIMIT argument must be >= 0."
LIMIT_WITHOUT_STRATEGY = ("ERR syntax error, LIMIT cannot be used without specifying a trimming "
                          "strategy")
XTRIM_WITHOUT_STRATEGY = "ERR syntax error, XTRIM must be called with a trimming strategy"
LIMIT_WITHOUT_APPROX = "ERR syntax error, LIMIT cannot be used without the special ~ option"
ENTRIES_ADDED_NEGATIVE = "ERR entries_added must be positive"
XSETID_BELOW_MAX_DELETED = ("ERR The ID specified in XSETID is smaller than the provided "
                            "max_deleted_entry_id")
XSETID_BELOW_TOP = "ERR The ID specified in XSETID is smaller than the target stream top item"
XSETID_BELOW_LENGTH = ("ERR The entries_added specified in XSETID is smaller than the target "
                       "stream length")
XREAD_UNBALANCED = ("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' "
                    "must be specified.")
XREAD_GROUP_OPTION = ("ERR The GROUP option is only supported by XREADGROUP. You called XREAD "
                      "instead.")
XREAD_NOACK_OPTION = ("ERR The NOACK option is only supported by XREADGROUP. You called XREAD "
                      "instead.")
XREADGROUP_WITHOUT_GROUP = "ERR Missing GROUP option for XREADGROUP"
XREADGROUP_DOLLAR_ID = (
    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history "
    "of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ "
    "ID would just return an empty result set.")
XREAD_GREATER_ID = ("ERR The > ID can be specified only when calling XREADGROUP using the "
                    "GROUP <group> <consumer> option.")
GROUP_GONE_WHILE_BLOCKED = "NOGROUP the consumer group this client was blocked on no longer exists"
STREAM_GONE_WHILE_BLOCKED = "UNBLOCKED the stream key no longer exists"
ENTRIES_READ_RANGE = "ERR value for ENTRIESREAD must be positive or -1"
XGROUP_WITHOUT_KEY = ("ERR The XGROUP subcommand requires the key to exist. Note that for "
                      "CREATE you may want to use the MKSTREAM option to create an empty stream "
                      "automatically.")
BUSYGROUP = "BUSYGROUP Consumer Group name already exists"
XCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XCLAIM"
XAUTOCLAIM_MIN_IDLE = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
XCLAIM_IDLE = "ERR Invalid IDLE option argument for XCLAIM"
XCLAIM_TIME = "ERR Invalid TIME option argument for XCLAIM"
XCLAIM_RETRYCOUNT = "ERR Invalid RETRYCOUNT option argument for XCLAIM"


def no_group(key: bytes, group: bytes, where: str = "") -> RedisError:
    return RedisError("NOGROUP No such key '%s' or consumer group '%s'%s"
                      % (c_text(key), c_text(group), where))


def no_such_group(group: bytes, key: bytes) -> RedisError:
    return RedisError("NOGROUP No such consumer group '%s' for key name '%s'"
                      % (c_text(group), c_text(key)))


def block_in_script(name: str) -> RedisError:
    return RedisError("ERR %s command is not allowed with BLOCK option from scripts" % name)


def unknown_xclaim_option(option: bytes) -> RedisError:
    return RedisError("ERR Unrecognized XCLAIM option '%s'" % c_text(option))


# -- blocking -------------------------------------------------------------------------------

TIMEOUT_NOT_INTEGER = "ERR timeout is not an integer or out of range"
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"
UNBLOCK_REASON = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
UNBLOCKED = "UNBLOCKED client unblocked via CLIENT UNBLOCK"


def not_for_deny_blocking(name: str) -> RedisError:
    return RedisError(f"ERR {name} isn't allowed for a DENY BLOCKING client")


# -- CLIENT, COMMAND introspection, tracking ------------------------------------------------

INVALID_CLIENT_ID = "ERR Invalid client ID"
CLIENT_ID_NOT_POSITIVE = "ERR client-id should be greater than 0"
NO_SUCH_CLIENT = "ERR No such client"
CLIENT_PAUSE_MODE = "ERR CLIENT PAUSE mode must be WRITE or ALL"
INVALID_COMMAND = "ERR Invalid command specified"
NO_KEY_ARGUMENTS = "ERR The command has no key arguments"
INVALID_ARGUMENT_COUNT = "ERR Invalid number of arguments specified for command"
INVALID_ARGUMENTS = "ERR Invalid arguments specified for command"
TRACKING_ONE_REDIRECT = "ERR A client can only redirect to a single other client"
TRACKING_NO_REDIRECT_TARGET = "ERR The client ID you want redirect to does not exist"
TRACKING_PREFIX_WITHOUT_BCAST = "ERR PREFIX option requires BCAST mode to be enabled"
TRACKING_BCAST_SWITCH = ("ERR You can't switch BCAST mode on/off before disabling tracking "
                         "for this client, and then re-enabling it with a different mode.")
TRACKING_OPT_WITH_BCAST = "ERR OPTIN and OPTOUT are not compatible with BCAST"
TRACKING_OPTIN_AND_OPTOUT = "ERR You can't specify both OPTIN mode and OPTOUT mode"
TRACKING_OPT_SWITCH = ("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking "
                       "for this client, and then re-enabling it with a different mode.")
CACHING_WITHOUT_OPT = ("ERR CLIENT CACHING can be called only when the client is in tracking "
                       "mode with OPTIN or OPTOUT mode enabled")
CACHING_YES_WITHOUT_OPTIN = ("ERR CLIENT CACHING YES is only valid when tracking is enabled "
                             "in OPTIN mode.")
CACHING_NO_WITHOUT_OPTOUT = ("ERR CLIENT CACHING NO is only valid when tracking is enabled "
                             "in OPTOUT mode.")


def unknown_client_type(name: bytes) -> RedisError:
    return RedisError("ERR Unknown client type '%s'" % c_text(name))


def no_such_user(name: bytes) -> RedisError:
    return RedisError("ERR No such user '%s'" % c_text(name))


def prefix_overlaps_existing(prefix: bytes, other: bytes) -> RedisError:
    return RedisError("ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a "
                      "single client must not overlap." % (c_text(prefix), c_text(other)))


def prefix_overlaps_given(prefix: bytes, other: bytes) -> RedisError:
    return RedisError("ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes "
                      "for a single client must not overlap." % (c_text(prefix), c_text(other)))


# -- server administration: CONFIG, SWAPDB, SHUTDOWN, SAVE ----------------------------------

LOADING = "LOADING Redis is loading the dataset in memory"
SWAPDB_IN_CLUSTER = "ERR SWAPDB is not allowed in cluster mode"
INVALID_FIRST_DB = "ERR invalid first DB index"
INVALID_SECOND_DB = "ERR invalid second DB index"
NO_SHUTDOWN_IN_PROGRESS = "ERR No shutdown in progress."
SHUTDOWN_FAILED = "ERR Errors trying to SHUTDOWN. Check logs."
SAVE_IN_PROGRESS = "ERR Background save already in progress"
BGSAVE_CHILD_ACTIVE = ("ERR Another child process is active (AOF?): can't BGSAVE right now. "
                       "Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
SAVE_FAILED = "ERR"      # Redis's bare reply when SAVE, BGSAVE or DEBUG RELOAD could not write
CLUSTER_DISABLED = "ERR This instance has cluster support disabled"
MISCONF = ("MISCONF Redis is configured to save RDB snapshots, but it's currently unable to "
           "persist to disk. Commands that may modify the data set are disabled, because this "
           "instance is configured to report errors during writes if RDB snapshotting fails "
           "(stop-writes-on-bgsave-error option). Please check the Redis logs for details "
           "about the RDB error.")


def config_unknown_option(name: str) -> str:
    """CONFIG SET's text (its callers raise it as a config error first, to roll back); the
    name printed as a C string, up to a NUL."""
    return "ERR Unknown option or number of arguments for CONFIG SET - '%s'" % (
        name.split("\0", 1)[0])


def config_set_failed(name: str, reason: object) -> str:
    """CONFIG SET's text for a value refused (its callers roll back first)."""
    return f"ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}"


def config_rewrite_failed(reason: Optional[str]) -> RedisError:
    return RedisError(f"ERR Rewriting config file: {reason}")


# -- SLOWLOG and LATENCY -------------------------------------------------------------------

SLOWLOG_COUNT = "ERR count should be greater than or equal to -1"


def no_latency_samples(event: bytes) -> RedisError:
    return RedisError("ERR No samples available for event '%s'" % c_text(event))


# -- configuration: why a value is refused ------------------------------------------------
# Reasons, not replies: CONFIG SET puts them after its own prefix (config_set_failed), the
# config file after its line; so the helpers here return text too.

CONFIG_NOT_MEMORY = "argument must be a memory value"
CONFIG_NOT_MEMORY_OR_PERCENT = "argument must be a memory or percent value"
CONFIG_NOT_OCTAL = "argument couldn't be parsed as an octal number"
CONFIG_NOT_INTEGER = "argument couldn't be parsed into an integer"
CONFIG_NOT_YES_NO = "argument must be 'yes' or 'no'"
CONFIG_BAD_DIRECTIVE = "Bad directive or wrong number of arguments"
CONFIG_NO_FILE = "The server is running without a config file"
CONFIG_SAVE_PARAMS = "Invalid save parameters"
CONFIG_OBUF_ARITY = "Wrong number of arguments in buffer limit configuration."
CONFIG_OBUF_CLASS = "Invalid client class specified in buffer limit configuration."
CONFIG_OBUF_VALUES = ("Error in hard, soft or soft_seconds setting in buffer limit "
                      "configuration.")
CONFIG_OOM_SCORE = "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
CONFIG_OOM_SCORE_FAILED = "Failed to set current oom_score_adj. Check server logs."
CONFIG_EVENT_CLASS = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
CONFIG_TOO_MANY_BINDS = "Too many bind addresses specified."
CONFIG_BIND_FAILED = "Failed to bind to specified addresses."
CONFIG_LISTEN_FAILED = "Unable to listen on this port. Check server logs."
CONFIG_MASTER_PORT = "Invalid master port"
CONFIG_PERCENTILES = "Invalid latency-tracking-info-percentiles parameters"
CONFIG_PERCENTILES_RANGE = ("latency-tracking-info-percentiles parameters should sit between "
                            "[0.0,100.0]")
CONFIG_HOSTNAME_LENGTH = "Hostnames must be less than 256 characters"
CONFIG_HOSTNAME_CHARACTERS = "Hostnames may only contain alphanumeric characters, hyphens or dots"
CONFIG_PROC_TITLE = "template format is invalid or contains unknown variables"
CONFIG_SHUTDOWN_FLAGS = "shutdown options SAVE and NOSAVE can't be used simultaneously"


def config_percent_too_low(limit: int) -> str:
    return f"percentage argument must be less or equal to {limit}"


def config_not_between(low: int, high: int, octal: bool = False) -> str:
    if octal:
        return f"argument must be between {low:o} and {high:o} inclusive"
    return f"argument must be between {low} and {high} inclusive"


def config_not_one_of(names: str) -> str:
    # Redis builds it in a 256-byte buffer.
    return ("argument(s) must be one of the following: " + names)[:255]


def config_empty(what: str) -> str:
    return f"{what} can't be empty"


def config_path(what: str, kind: str) -> str:
    return f"{what} can't be a path, just a {kind}"


def config_maxclients(limit: int) -> str:
    return ("The operating system is not able to handle the specified number of clients, "
            f"try with {limit}")


# -- MODULE ---------------------------------------------------------------------------------

MODULE_NOT_ALLOWED = (
    "ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", "
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")
MODULE_LOAD_FAILED = "ERR Error loading the extension. Please check the server logs."
NO_SUCH_MODULE = "ERR Error unloading module: no such module with that name"


# -- DEBUG ----------------------------------------------------------------------------------

DEBUG_NOT_ALLOWED = (
    "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", "
    "you can run it from a local connection, otherwise you need to set this option in the "
    "configuration file, and then restart the server.")
CLOCK_BACKWARDS = "ERR the clock only moves forward, by a finite number of seconds"
NOT_LISTPACK = "ERR Not a listpack encoded object."
NOT_QUICKLIST = "ERR Not a quicklist encoded object."
PACKED_THRESHOLD = "ERR argument must be a memory value bigger than 1 and smaller than 4gb"
RESP2_NOT_SUPPORTED = "ERR RESP2 is not supported by this command"
DEBUG_RELOAD_OPTIONS = "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
DEBUG_RELOAD_FAILED = "ERR Error trying to load the RDB dump"


def wrong_protocol_type(choices: str) -> RedisError:
    return RedisError("ERR Wrong protocol type name. Please use one of the following: "
                      + choices)


def config_rewrite_force_all_failed(reason: Optional[str]) -> RedisError:
    return RedisError(f"ERR CONFIG-REWRITE-FORCE-ALL failed: {reason}")


# -- scripts: EVAL, SCRIPT, shebangs, commands called from Lua ------------------------------

NOSCRIPT = "NOSCRIPT No matching script. Please use EVAL."
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = ("BUSY Redis is busy running a script. You can only call FUNCTION KILL or "
                 "SHUTDOWN NOSAVE.")
SCRIPT_KILLED = "ERR Script killed by user with SCRIPT KILL..."
NOTBUSY = "NOTBUSY No scripts in execution right now."
UNKILLABLE = ("UNKILLABLE Sorry the script already executed write commands against the "
              "dataset. You can either wait the script termination or kill the server in a "
              "hard way using the SHUTDOWN NOSAVE command.")
SCRIPT_FLUSH_OPTION = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
INVALID_SHEBANG = "ERR Invalid script shebang"
INVALID_SHEBANG_ENGINE = "ERR Invalid engine in script shebang"
WRITE_SCRIPT_IN_RO = "ERR Can not execute a script with write flag using *_ro command."
SCRIPT_OOM = ("OOM allow-oom flag is not set on the script, can not run it when used memory "
              "> 'maxmemory'")
SCRIPT_UNKNOWN_COMMAND = "ERR Unknown Redis command called from script"
SCRIPT_WRONG_ARITY = "ERR Wrong number of args calling Redis command from script"
SCRIPT_COMMAND_DENIED = "ERR This Redis command is not allowed from script"
SCRIPT_READ_ONLY = "ERR Write commands are not allowed from read-only scripts."


def unexpected_shebang_engine(engine: bytes) -> RedisError:
    return RedisError("ERR Unexpected engine in script shebang: %s" % c_text(engine))


def unknown_shebang_option(option: bytes) -> RedisError:
    return RedisError("ERR Unknown lua shebang option: %s" % c_text(option))


def unexpected_shebang_flag(flag: bytes) -> RedisError:
    return RedisError("ERR Unexpected flag in script shebang: %s" % c_text(flag))


def script_compile_error(detail: bytes) -> RedisError:
    return RedisError("ERR Error compiling script (new function): %s" % c_text(detail))


def script_run_error(name: bytes, detail: object) -> str:
    """The error handler itself failed: Redis keeps 100 characters of the reason."""
    return "ERR Error running script %s, %.100s" % (c_text(name), detail)


# -- functions: FUNCTION, libraries, redis.register_function --------------------------------

FUNCTION_NOT_FOUND = "ERR Function not found"
FUNCTION_BAD_NUMKEYS = "ERR Bad number of keys provided"
LIBRARY_NOT_FOUND = "ERR Library not found"
FUNCTION_FLUSH_OPTION = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
LIBRARY_NAME_MISSING = "ERR library name argument was not given"
RESTORE_POLICY = ("ERR Wrong restore policy given, value should be either FLUSH, APPEND or "
                  "REPLACE.")
BAD_LIBRARY_NAME = ("ERR Library names can only contain letters, numbers, or underscores(_) "
                    "and must be at least one character long")
NO_FUNCTIONS_REGISTERED = "ERR No functions registered"
MISSING_LIBRARY_METADATA = "ERR Missing library metadata"
INVALID_LIBRARY_METADATA = "ERR Invalid library metadata"
LIBRARY_NAME_TWICE = "ERR Invalid metadata value, name argument was given multiple times"
LIBRARY_NAME_NOT_GIVEN = "ERR Library name was not given"
PRE_GA_FUNCTION_FORMAT = "ERR Pre-GA function format not supported"
NOT_A_FUNCTION = "ERR given type is not a function"
BAD_FUNCTIONS_PAYLOAD = "ERR failed loading the given functions payload"

# What redis.register_function raises inside Lua (bytes: they go to the Lua state as is).
REGISTER_OUTSIDE_LOAD = b"ERR redis.register_function can only be called on FUNCTION LOAD command"
REGISTER_WRONG_ARITY = b"ERR wrong number of arguments to redis.register_function"
REGISTER_SINGLE_NOT_TABLE = (b"ERR calling redis.register_function with a single argument is "
                             b"only applicable to Lua table (representing named arguments).")
REGISTER_KEY_NOT_STRING = (b"ERR named argument key given to redis.register_function is not "
                           b"a string")
REGISTER_NAME_NOT_STRING = (b"ERR function_name argument given to redis.register_function "
                            b"must be a string")
REGISTER_DESCRIPTION_NOT_STRING = (b"ERR description argument given to "
                                   b"redis.register_function must be a string")
REGISTER_CALLBACK_NOT_FUNCTION = (b"ERR callback argument given to redis.register_function "
                                  b"must be a function")
REGISTER_FLAGS_NOT_TABLE = (b"ERR flags argument to redis.register_function must be a table "
                            b"representing function flags")
REGISTER_UNKNOWN_FLAG = b"ERR unknown flag given"
REGISTER_UNKNOWN_ARGUMENT = b"ERR unknown argument given to redis.register_function"
REGISTER_NO_NAME = b"ERR redis.register_function must get a function name argument"
REGISTER_NO_CALLBACK = b"ERR redis.register_function must get a callback argument"
REGISTER_FIRST_NOT_STRING = b"ERR first argument to redis.register_function must be a string"
REGISTER_SECOND_NOT_FUNCTION = (b"ERR second argument to redis.register_function must be a "
                                b"function")
REGISTER_BAD_NAME = BAD_LIBRARY_NAME.encode()
REGISTER_DUPLICATE = b"ERR Function already exists in the library"


def engine_not_found(engine: bytes) -> RedisError:
    return RedisError("ERR Engine '%s' not found" % c_text(engine))


def library_exists(name: bytes) -> RedisError:
    return RedisError("ERR Library '%s' already exists" % c_text(name))


def library_exists_unquoted(name: bytes) -> RedisError:
    """FUNCTION RESTORE's APPEND policy: Redis does not quote the name there."""
    return RedisError("ERR Library %s already exists" % c_text(name))


def function_exists(name: bytes) -> RedisError:
    return RedisError("ERR Function %s already exists" % c_text(name))


def unknown_function_option(option: bytes) -> RedisError:
    return RedisError("ERR Unknown option given: %s" % c_text(option))


def unknown_function_argument(arg: bytes) -> RedisError:
    return RedisError("ERR Unknown argument %s" % c_text(arg))


def invalid_metadata_value(part: bytes) -> RedisError:
    return RedisError("ERR Invalid metadata value given: %s" % c_text(part))


def internal_error(command: str, exc: Exception) -> str:
    """The reply to a command that failed on a bug of pyredis (Redis would have crashed)."""
    return f"ERR internal error running '{command}': {type(exc).__name__}"


# -- the redis.* Lua API: raised inside Lua as bytes, without a code -----------------------

LUA_SETRESP_ARITY = b"redis.setresp() requires one argument."
LUA_SETRESP_VERSION = b"RESP version must be 2 or 3."
LUA_WRONG_ARITY = WRONG_ARGUMENT_COUNT.encode()
LUA_WRONG_ARGUMENTS = b"wrong number or type of arguments"
LUA_SET_REPL_ARITY = b"redis.set_repl() requires two arguments."     # sic: it takes one
LUA_SET_REPL_FLAGS = (b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or "
                      b"REPL_NONE.")
LUA_LOG_ARITY = b"redis.log() requires two arguments or more."
LUA_LOG_LEVEL_NOT_NUMBER = b"First argument must be a number (log level)."
LUA_LOG_LEVEL = b"Invalid debug level."
LUA_ACL_CHECK_UNKNOWN = b"Invalid command passed to redis.acl_check_cmd()"
LUA_CALL_NO_ARGUMENTS = "Please specify at least one argument for this redis lib call"
LUA_CALL_BAD_ARGUMENT = "Lua redis lib command arguments must be strings or integers"

# SORT's BY and GET patterns read keys that only a user who may read every key may name.
SORT_BY_DENIED = "ERR BY option of SORT denied due to insufficient ACL permissions."
SORT_GET_DENIED = "ERR GET option of SORT denied due to insufficient ACL permissions."

# -- replication: SYNC, PSYNC, REPLCONF -----------------------------------------------------

SYNC_PENDING_OUTPUT = "ERR SYNC and PSYNC are invalid with pending output"
REPLICATION_BGSAVE_FAILED = "ERR BGSAVE failed, replication can't continue"


def replconf_unknown_option(option: bytes) -> RedisError:
    return RedisError(f"ERR Unrecognized REPLCONF option: {c_text(option)}")


def replconf_ip_too_long(length: int) -> RedisError:
    return RedisError("ERR REPLCONF ip-address provided by replica instance is too long: "
                      f"{length} bytes")
