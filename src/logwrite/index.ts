// diagkit logwrite library: follows memlogd and writes one rotated file per source.
//
// File naming (what `diagnose` reads), inside --log-dir:
//   <safe>.log            active file, where <safe> = safeFileName(source)
//   <safe>.log.0          newest rotated file, then <safe>.log.1 … <safe>.log.<N-2>
//   <safe>.log.<k>.gz     the same rotated files, gzip-compressed, under --compress
//                         (a directory may hold both forms after a change of setting)
// N = --max-log-files counts the active file. Dot-files (logwrite's cursor state,
// temporary files) are not logs: parseLogFileName returns undefined for them.

export {
  SAFE_NAME_MAX,
  activeFileName,
  type LogFileName,
  parseLogFileName,
  rotatedFileName,
  safeFileName,
  sourceFromSafeName,
} from './safe-name.js'
export {
  type Cursor,
  type OpenedState,
  RECORD_SIZE,
  type RecordKind,
  StateFile,
  StateFileError,
  classifyRecord,
  compareTime,
  decodeCursor,
  emptyCursor,
  encodeCursor,
  parseTime,
} from './cursor.js'
export {FileSink, type FileSinkOptions, type SinkStats} from './file-sink.js'
export {type ConnectionKind, Follower, type FollowerOptions, type FollowerStats} from './follower.js'
export {type FailureDetails, RateLimitedReporter, type ReporterOptions, errorText, isSelfMessage} from './reporter.js'
export {deleteSurplus, rotateFiles, surplusFiles} from './rotation.js'
export {LogwriteSetupError, runLogwrite, type LogwriteOptions, type LogwriteResult} from './run.js'
