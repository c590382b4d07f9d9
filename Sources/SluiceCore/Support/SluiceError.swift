/// The errors of the Sluice library: what was wrong, where, and what would be allowed.
///
/// A struct with a private code so cases can be added without breaking users (the swift-service-lifecycle
/// `ServiceGroupError` pattern). `description` is a complete sentence for a person.
public struct SluiceError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidValue, unknownName, modelDoesNotFit, malformedInput, io
    }

    private let code: Code
    /// The message shown to a person.
    public let description: String

    /// Whether the error is a usage error (a bad value, an unknown name, a configuration that cannot work)
    /// rather than a failure while reading or writing data. The CLI exits 2 for usage errors, 1 otherwise.
    public var isUsageError: Bool {
        switch code {
        case .invalidValue, .unknownName, .modelDoesNotFit: true
        case .malformedInput, .io: false
        }
    }

    private init(_ code: Code, _ description: String) {
        self.code = code
        self.description = description
    }

    /// A field holds a value outside what is allowed.
    public static func invalidValue(field: String, value: String, allowed: String) -> SluiceError {
        SluiceError(.invalidValue, "invalid \(field) '\(value)': expected \(allowed)")
    }

    /// A name (model, GPU, scheduler, router, ...) that is not known; lists the valid names.
    public static func unknownName(kind: String, name: String, valid: [String]) -> SluiceError {
        SluiceError(.unknownName, "unknown \(kind) '\(name)'; valid \(kind)s: \(valid.joined(separator: ", "))")
    }

    /// The model's weights do not fit in the GPU memory the engine may use.
    public static func modelDoesNotFit(
        model: String, gpu: String, tensorParallel: Int, neededGB: Double, usableGB: Double, shortGB: Double
    ) -> SluiceError {
        let f = { (x: Double) in String(Int((x * 10).rounded())).insertingDecimal() }
        return SluiceError(
            .modelDoesNotFit,
            "\(model) does not fit on \(gpu) at TP \(tensorParallel): weights plus activation reserve need "
                + "\(f(neededGB)) GB per GPU, \(f(usableGB)) GB is usable, short by \(f(shortGB)) GB "
                + "(raise --tp or pick a larger GPU)")
    }

    /// Input (a trace, catalog or calibration file) that cannot be parsed; names file, line and field.
    public static func malformed(file: String, line: Int?, field: String?, reason: String) -> SluiceError {
        var location = file
        if let line { location += ":\(line)" }
        if let field { location += " field '\(field)'" }
        return SluiceError(.malformedInput, "\(location): \(reason)")
    }

    /// A file could not be read or written.
    public static func io(path: String, reason: String) -> SluiceError {
        SluiceError(.io, "\(path): \(reason)")
    }
}

extension String {
    /// Formats a tenths integer string ("123" -> "12.3").
    fileprivate func insertingDecimal() -> String {
        var digits = self
        let negative = digits.hasPrefix("-")
        if negative { digits.removeFirst() }
        while digits.count < 2 { digits = "0" + digits }
        digits.insert(".", at: digits.index(before: digits.endIndex))
        return (negative ? "-" : "") + digits
    }
}
