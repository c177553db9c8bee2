import GRPCCore

/// `bench.Echo/Echo`, defined by hand instead of generated from a .proto:
/// the messages are raw bytes, so there is no protobuf cost in the numbers.
let echoMethod = MethodDescriptor(fullyQualifiedService: "bench.Echo", method: "Echo")

/// Identity (de)serializer: a message is just its bytes.
struct RawBytesCoder: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: [UInt8]) throws -> Bytes {
        Bytes(message)
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> [UInt8] {
        serializedMessageBytes.withUnsafeBytes { Array($0) }
    }
}

/// Server side of `bench.Echo/Echo`: replies with the request's bytes.
struct EchoService: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        // The router only takes streaming handlers; a unary RPC is a stream
        // of exactly one message each way.
        router.registerHandler(
            forMethod: echoMethod,
            deserializer: RawBytesCoder(),
            serializer: RawBytesCoder()
        ) { request, _ in
            let single = try await ServerRequest(stream: request)
            return StreamingServerResponse(single: ServerResponse(message: single.message))
        }
    }
}
