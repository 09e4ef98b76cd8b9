import Foundation

/// Paths inside a configuration file are relative to that file, not to the directory the command runs in:
/// `serve --config walk/keycluster-data/node-1.json` from anywhere finds the same data and certificates (an
/// operator's `cd` must never create a stray empty database or pick up another member's files).
enum RelativePaths {
    /// `path` as seen from the directory holding `file`: absolute paths unchanged, relative ones joined
    /// to that directory (itself kept relative when `file` is, so printed paths stay short).
    static func resolve(_ path: String, nextTo file: String) -> String {
        guard !path.isEmpty, !path.hasPrefix("/") else { return path }
        let directory = (file as NSString).deletingLastPathComponent
        guard !directory.isEmpty, directory != "." else { return path }
        return (directory as NSString).appendingPathComponent(path)
    }

    /// `path` written so that `resolve(_:nextTo:)` finds it again from a file in `directory`: the part after
    /// `directory/` when it lies inside, else unchanged.
    static func relative(_ path: String, inside directory: String) -> String {
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        guard path.hasPrefix(prefix) else { return path }
        return String(path.dropFirst(prefix.count))
    }
}

/// A file whose paths are relative to the file itself. Each type says which of its fields are paths
/// (`mappingPaths`); resolving and relativising are written once, here.
package protocol NamesFiles {
    /// This value with every path it names passed through `map`.
    func mappingPaths(_ map: (String) -> String) -> Self
}

extension NamesFiles {
    /// Every file this value names, resolved against `file`'s directory (see `RelativePaths`).
    func resolvingPaths(nextTo file: String) -> Self {
        mappingPaths { RelativePaths.resolve($0, nextTo: file) }
    }

    /// Every file this value names, written relative to `directory` where they lie inside it — the form
    /// written to `directory/node-N.json` and `client.json`, so a cluster directory can be moved or reached
    /// from anywhere.
    package func pathsRelative(inside directory: String) -> Self {
        mappingPaths { RelativePaths.relative($0, inside: directory) }
    }
}

extension NodeConfiguration: NamesFiles {
    package func mappingPaths(_ map: (String) -> String) -> NodeConfiguration {
        var mapped = self
        mapped.dataDirectory = map(dataDirectory)
        mapped.tls.caCertificate = map(tls.caCertificate)
        mapped.tls.certificate = map(tls.certificate)
        mapped.tls.privateKey = map(tls.privateKey)
        mapped.tls.signingCertificate = tls.signingCertificate.map(map)
        mapped.tls.signingPrivateKey = tls.signingPrivateKey.map(map)
        return mapped
    }
}

extension ClientDescription: NamesFiles {
    package func mappingPaths(_ map: (String) -> String) -> ClientDescription {
        var mapped = self
        mapped.caCertificate = map(caCertificate)
        mapped.operatorCertificate = operatorCertificate.map {
            .init(certificate: map($0.certificate), privateKey: map($0.privateKey))
        }
        return mapped
    }
}
