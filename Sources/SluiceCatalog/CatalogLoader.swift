public import SluiceCore
import Foundation
import Yams

/// Loads catalogs: the one bundled with the package (`Resources/catalog.json`) and users' files in JSON or YAML
/// (same schema, see ``Catalog``); later files replace entries with the same name.
public enum CatalogLoader: Sendable {
    /// Extensions read as JSON.
    public static let jsonExtensions = ["json"]
    /// Extensions read as YAML.
    public static let yamlExtensions = ["yaml", "yml"]

    /// The bundled catalog. - Throws: ``SluiceError`` if the package resource is missing or invalid.
    public static func bundled() throws(SluiceError) -> Catalog {
        guard let url = Bundle.module.url(forResource: "catalog", withExtension: "json") else {
            throw .io(path: "catalog.json", reason: "the bundled catalog is missing from the package resources")
        }
        return try load(path: url.path)
    }

    /// The bundled catalog with `paths` merged over it, in order.
    public static func builtIn(merging paths: [String]) throws(SluiceError) -> Catalog {
        var catalog = try bundled()
        for path in paths { catalog.merge(try load(path: path)) }
        return catalog
    }

    /// One catalog file, JSON or YAML by extension.
    /// - Throws: ``SluiceError`` naming the file and the entry and field at fault.
    public static func load(path: String) throws(SluiceError) -> Catalog {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .io(path: path, reason: "cannot read catalog: \((error as NSError).localizedDescription)")
        }
        if jsonExtensions.contains(ext) { return try Catalog(json: data, file: path) }
        guard yamlExtensions.contains(ext) else {
            throw .invalidValue(field: "--catalog", value: path, allowed: "a .json, .yaml or .yml file")
        }
        let text = String(decoding: data, as: UTF8.self)
        let file: CatalogFile
        do {
            file = try YAMLDecoder().decode(CatalogFile.self, from: text)
        } catch let error as DecodingError {
            throw Catalog.describe(error, file: path)
        } catch let error as YamlError {
            throw .malformed(file: path, line: nil, field: nil, reason: "not valid YAML: \(error)")
        } catch {
            throw .malformed(file: path, line: nil, field: nil, reason: "\(error)")
        }
        return try Catalog(file: file, path: path)
    }
}
