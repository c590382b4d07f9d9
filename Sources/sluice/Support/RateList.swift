import Foundation
import SluiceCore

/// Parses `--rates`: positive request rates, comma-separated, at least two; returned sorted.
/// - Throws: ``SluiceError`` naming the bad element.
func parseRateList(_ text: String) throws -> [Double] {
    let rates = try text.split(separator: ",").map { part in
        guard let r = Double(part.trimmingCharacters(in: .whitespaces)), r > 0, r.isFinite else {
            throw SluiceError.invalidValue(field: "--rates", value: String(part), allowed: "positive request rates, comma-separated")
        }
        return r
    }.sorted()
    guard rates.count >= 2 else { throw SluiceError.invalidValue(field: "--rates", value: text, allowed: "at least two rates") }
    return rates
}
