// Wire constants shared with LinuxKit (see PROTOCOL.md §1 and §4).

export const DEFAULT_LOG_SOCKET = '/var/run/linuxkit-external-logging.sock'
export const DEFAULT_QUERY_SOCKET = '/var/run/memlogdq.sock'

/** Query mode bytes. Values 0-2 are LinuxKit's; diagkit's own modes live above 0x7f. */
export const MODE_DUMP = 0
export const MODE_FOLLOW = 1
export const MODE_DUMP_FOLLOW = 2
/**
 * diagkit: "R<instance>:<seq>\n" resumes after entry <seq> of daemon instance
 * <instance> (empty when unknown), then follows. The reply starts with one
 * header line {"instance":"…","next":N,"lost":L} before the entries: a
 * different instance means a restarted daemon, whose whole ring follows.
 */
export const MODE_RESUME = 0x52

/** Source name of the daemon's own entries. */
export const DAEMON_SOURCE = 'memlogd'
