import ArgumentParser
import KeyCluster

/// Command-line values checked the way the API checks them, so a typo is refused before any call.
extension VIN: ExpressibleByArgument {
    public init?(argument: String) {
        guard let vin = try? VIN(validating: argument) else { return nil }
        self = vin
    }
}

extension Role: ExpressibleByArgument {}
extension FormFactor: ExpressibleByArgument {}
extension Permission: ExpressibleByArgument {}

/// `--expires 12h`: a duration from now.
struct RelativeDuration: ExpressibleByArgument {
    let milliseconds: Int64

    init?(argument: String) {
        guard let milliseconds = TextFormat.durationMilliseconds(argument) else { return nil }
        self.milliseconds = milliseconds
    }
}
