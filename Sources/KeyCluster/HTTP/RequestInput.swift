import Foundation
import Hummingbird
import NIOCore

/// Reading request input the same way in every handler: bounded bodies, validated path values, and JSON
/// bodies decoded — each failure a problem document, so bad input changes nothing.
enum RequestInput {
    /// Largest request body accepted; larger ones get 413 before being read in full.
    static let maxBodyBytes = 64 << 10

    static func body(_ request: Request) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw Problem("too-large", status: .contentTooLarge, title: "The body is larger than \(maxBodyBytes) bytes")
        } catch {
            // The connection ended mid-body (the client went away, or missed the body deadline and was closed).
            throw Problem(
                "incomplete-body", status: .badRequest, title: "The request body ended before its announced length")
        }
    }

    /// Built once, options never changed: request bodies are input, so their keys are checked to be points.
    private static let decoder = JSONDecoder()

    static func json<Body: Decodable>(_ type: Body.Type, from bytes: ByteBuffer) throws -> Body {
        do {
            return try decoder.decode(type, from: Data(bytes.readableBytesView))
        } catch {
            // The field and what it must be, in the API's own terms (OpenAPI), never a Swift type's name.
            throw Problem(
                "invalid-body", status: .badRequest, title: "The body is not valid for this operation",
                detail: DecodingProblem.describe(error))
        }
    }

    static func vin(_ context: ServiceRequestContext) throws -> VIN {
        do {
            return try VIN(validating: try context.parameters.require("vin"))
        } catch let error as DomainInputError {
            throw Problem("invalid-vin", status: .badRequest, title: "Invalid VIN", detail: error.description)
        }
    }
}
