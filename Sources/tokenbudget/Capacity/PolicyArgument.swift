import CapacityTools
import ContextEngine
import Foundation
import JSONWire

/// `--policy NAME|FILE`: a preset name, or a JSON policy file (docs/policies.md).
func loadPolicy(_ argument: String) throws -> ContextPolicy {
    if FileManager.default.fileExists(atPath: argument) {
        guard let data = FileManager.default.contents(atPath: argument) else { throw CLIError("cannot read \(argument)") }
        do {
            var policy = try ContextPolicy(json: try JSONParser.parse([UInt8](data)))
            if try JSONParser.parse([UInt8](data))["name"] == nil {
                policy.name = URL(fileURLWithPath: argument).deletingPathExtension().lastPathComponent
            }
            return policy
        } catch let error as ContextError {
            throw CLIError("\(argument): \(error.message)")
        } catch {
            throw CLIError("\(argument): \(error)")
        }
    }
    // A path that is not there is a missing file, not an unknown preset.
    if argument.contains("/") || argument.hasSuffix(".json") {
        throw CLIError("no such policy file: \(argument)")
    }
    do {
        return try ContextPolicy.preset(named: argument)
    } catch let error as ContextError {
        throw CLIError("\(error.message), or a policy file")
    }
}

/// Left- or right-aligned cells for the text tables (`TableCell`).
func pad(_ text: String, _ width: Int, right: Bool = true) -> String {
    right ? TableCell.right(text, width) : TableCell.left(text, width)
}

func writeFile(_ text: String, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw CLIError("cannot write \(path)")
    }
}
