import CLMDB

extension Array where Element == UInt8 {
    /// Lends the bytes to LMDB as an `MDB_val`. LMDB never writes through a key or data value passed in
    /// (we do not use `MDB_RESERVE`), so the mutable pointer it asks for is only a C signature artefact.
    func withMDBValue<R>(_ body: (inout MDB_val) -> R) -> R {
        withUnsafeBytes { bytes in
            var value = MDB_val(mv_size: bytes.count, mv_data: UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            return body(&value)
        }
    }
}

extension MDB_val {
    /// The bytes LMDB returned, pointing into the memory map.
    var rawBuffer: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: mv_data, count: mv_size)
    }
}
