import Foundation
import Logging

/// A swift-log handler that formats each record as one line — logfmt (`time=… level=… logger=… key=value …
/// msg=…`) or JSON (`LogFormat`), stamped in UTC to the millisecond — and hands it to a `LogSink`, so the
/// caller never blocks on output.
public struct QueuedLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let sink: LogSink
    private let format: LogFormat

    public init(label: String, sink: LogSink, level: Logger.Level = .info, format: LogFormat = .text) {
        self.label = label
        self.sink = sink
        self.logLevel = level
        self.format = format
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        sink.enqueue(
            Self.line(
                format: format, at: Date(), level: event.level, message: "\(event.message)", label: label,
                metadata: fields))
    }

    /// The line of one record, without its newline.
    static func line(
        format: LogFormat, at date: Date, level: Logger.Level, message: String, label: String, metadata: Logger.Metadata
    ) -> String {
        let timestamp = LogTimestamp.format(date)
        switch format {
        case .json:
            return JSONLogLine.format(
                timestamp: timestamp, level: level, message: message, label: label, metadata: metadata)
        case .text:
            var line = "time=\(timestamp) level=\(level) logger=\(label)"
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                line += " \(key)=\(quoted("\(value)"))"
            }
            return line + " msg=\(quoted(message))"
        }
    }

    /// Quotes a value when it contains spaces, quotes or `=`, so each line splits back into fields.
    static func quoted(_ value: String) -> String {
        guard value.isEmpty || value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" || $0.isNewline }) else {
            return value
        }
        let escaped = value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
        return "\"\(escaped)\""
    }
}
