import Foundation

/// Why a model could not be loaded. Every message names the command that
/// installs the model, since a missing or damaged install is the usual cause.
public enum EmbeddingModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file the model needs is absent: the model is not installed, or
    /// AURAL_MODELS_DIR points somewhere else.
    case missingFile(path: String)
    /// The file is there but unusable: truncated, not safetensors, or
    /// another model's (shapes that do not match config.json).
    case corruptFile(path: String, reason: String)

    public static let installCommand = "scripts/bootstrap --models"

    public var description: String {
        switch self {
        case .missingFile(let path):
            "embedding model file \(path) not found: install the model with `\(Self.installCommand)` "
                + "(it installs into $\(ModelLocation.environmentVariable), default \(ModelLocation.defaultModelsDirectory))"
        case .corruptFile(let path, let reason):
            "embedding model file \(path) is unusable (\(reason)): delete its folder and reinstall with `\(Self.installCommand)`"
        }
    }
}

extension EmbeddingModelError: LocalizedError {
    public var errorDescription: String? { description }
}
