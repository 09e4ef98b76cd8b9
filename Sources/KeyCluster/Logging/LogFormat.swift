/// How each log line is written: `text` (logfmt: `time=… level=… logger=… key=value … msg=…`, for people
/// and grep) or `json` (one object per line: `ts`, `level`, `msg`, `node`, then the metadata, for log
/// shippers). Chosen with `keycluster serve --log-format` or `KEYCLUSTER_LOG_FORMAT`.
public enum LogFormat: String, CaseIterable, Sendable {
    case text
    case json
}
