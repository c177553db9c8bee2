import CCurl
import Foundation
import Synchronization

/// One multipart POST through libcurl's blocking easy interface, on a thread
/// of its own so it never holds a thread of Swift's cooperative pool.
struct CurlRequest: Sendable {
    enum Part: Sendable {
        case field(name: String, value: String)
        case file(name: String, filename: String, contentType: String, data: Data)
    }

    struct Response: Sendable {
        var status: Int
        var body: Data
        /// `Retry-After` in seconds (either form: seconds or an HTTP date).
        var retryAfter: Double?
    }

    enum Failure: Error {
        /// Nothing answered, or the connection broke (with curl's message).
        case connection(String)
        case timedOut
        case cancelled
        case setup(String)
    }

    var url: String
    var headers: [String]
    var parts: [Part]
    var connectTimeout: Double
    var totalTimeout: Double

    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    func perform() async throws(Failure) -> Response {
        let cancelled = CancelFlag()
        let result: Result<Response, Failure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread { continuation.resume(returning: performBlocking(cancelled: cancelled)) }
                thread.start()
            }
        } onCancel: {
            cancelled.flag.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    final class CancelFlag: Sendable {
        let flag = Atomic<Bool>(false)
    }

    /// Where curl's callbacks write: the body, and the cancellation flag they read.
    private final class Transfer {
        var body = Data()
        let cancelled: CancelFlag
        init(cancelled: CancelFlag) { self.cancelled = cancelled }
    }

    private func performBlocking(cancelled: CancelFlag) -> Result<Response, Failure> {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { return .failure(.setup("curl_easy_init failed")) }
        defer { curl_easy_cleanup(handle) }
        let mime = curl_mime_init(handle)
        defer { curl_mime_free(mime) }
        for part in parts {
            let mimePart = curl_mime_addpart(mime)
            switch part {
            case .field(let name, let value):
                curl_mime_name(mimePart, name)
                curl_mime_data(mimePart, value, Int(CURL_ZERO_TERMINATED))
            case .file(let name, let filename, let contentType, let data):
                curl_mime_name(mimePart, name)
                curl_mime_filename(mimePart, filename)
                curl_mime_type(mimePart, contentType)
                // curl copies the bytes.
                data.withUnsafeBytes { _ = curl_mime_data(mimePart, $0.baseAddress?.assumingMemoryBound(to: CChar.self), $0.count) }
            }
        }
        var headerList: UnsafeMutablePointer<curl_slist>?
        // An empty `Expect:` stops curl from asking for `100 Continue` before
        // a large body and waiting up to a second for servers that never answer it.
        for header in headers + ["Expect:"] { headerList = curl_slist_append(headerList, header) }
        defer { curl_slist_free_all(headerList) }

        let transfer = Transfer(cancelled: cancelled)
        let context = Unmanaged.passRetained(transfer)
        defer { context.release() }
        var setup = [
            aural_curl_set_pointer(handle, CURLOPT_URL, url),
            aural_curl_set_pointer(handle, CURLOPT_MIMEPOST, UnsafeRawPointer(mime)),
            aural_curl_set_pointer(handle, CURLOPT_HTTPHEADER, headerList),
            aural_curl_set_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000)),
            aural_curl_set_long(handle, CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000)),
            aural_curl_set_long(handle, CURLOPT_NOSIGNAL, 1),  // threads: no SIGALRM for timeouts
            aural_curl_set_write_function(handle) { data, size, count, context in
                let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
                if let data { transfer.body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: size * count) }
                return size * count
            },
            aural_curl_set_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque()),
            aural_curl_set_long(handle, CURLOPT_NOPROGRESS, 0),
            // Polled about once a second and on every transfer: cancellation ends the request.
            aural_curl_set_xferinfo_function(handle) { context, _, _, _, _ in
                Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue().cancelled.flag.load(ordering: .relaxed) ? 1 : 0
            },
            aural_curl_set_pointer(handle, CURLOPT_XFERINFODATA, context.toOpaque()),
        ]
        setup.removeAll { $0 == CURLE_OK }
        if let failed = setup.first { return .failure(.setup(String(cString: curl_easy_strerror(failed)))) }

        let code = curl_easy_perform(handle)
        switch code {
        case CURLE_OK: break
        case CURLE_ABORTED_BY_CALLBACK: return .failure(.cancelled)
        case CURLE_OPERATION_TIMEDOUT:
            // Timed out before connecting is the service being down, not slow.
            var connected = 0.0
            _ = aural_curl_get_double(handle, CURLINFO_CONNECT_TIME, &connected)
            return .failure(connected > 0 ? .timedOut : .connection("connect timed out after \(connectTimeout) s"))
        default: return .failure(.connection(String(cString: curl_easy_strerror(code))))
        }
        var status = 0
        _ = aural_curl_get_long(handle, CURLINFO_RESPONSE_CODE, &status)
        var header: UnsafeMutablePointer<curl_header>?
        let retryAfter = curl_easy_header(handle, "Retry-After", 0, UInt32(CURLH_HEADER), -1, &header) == CURLHE_OK
            ? header.flatMap { Self.seconds(retryAfter: String(cString: $0.pointee.value)) } : nil
        return .success(Response(status: status, body: transfer.body, retryAfter: retryAfter))
    }

    /// `Retry-After: 120` or `Retry-After: Fri, 31 Dec 1999 23:59:59 GMT`.
    static func seconds(retryAfter value: String, now: Date = Date()) -> Double? {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        if let seconds = Double(trimmed) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: trimmed).map { max(0, $0.timeIntervalSince(now)) }
    }
}
