// aural-c-client: a minimal C client for Aural RPC services.
//
// Every frame on an Aural REQ/REP socket is an aural.v1.RpcRequest envelope
// and every answer an aural.v1.RpcReply (see proto/aural/v1/rpc.proto).
// aural_call() below is the reusable part; main() is a small CLI on top of it
// that speaks the Health service (Echo and Check).
//
//   aural-c-client URL echo TEXT [--timeout-ms N] [--delay-ms N]
//   aural-c-client URL health [--timeout-ms N]
//
// Exit codes: 0 ok, 2 transport/protocol error, 3 non-OK RPC status,
// 64 usage error.

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <protobuf-c/protobuf-c.h>

#include "aural/v1/rpc.pb-c.h"

enum {
	EXIT_OK        = 0,
	EXIT_TRANSPORT = 2,
	EXIT_STATUS    = 3,
	EXIT_USAGE     = 64, // sysexits.h EX_USAGE
};

// Largest reply accepted. nng 1.5.2 defaults NNG_OPT_RECVMAXSZ to 0 (no
// limit), so a broken or hostile peer's length prefix could make it allocate
// arbitrarily much; this still leaves room for inline audio. A larger reply
// makes nng drop the connection, which fails the call with "Connection reset".
#define AURAL_MAX_FRAME ((size_t) 64 * 1024 * 1024)

#define DEFAULT_TIMEOUT_MS 5000

typedef Aural__V1__RpcRequest                 RpcRequest;
typedef Aural__V1__RpcRequest__MetadataEntry  RpcMetadataEntry;
typedef Aural__V1__RpcReply                   RpcReply;

// ---------------------------------------------------------------------------
// Reusable client pieces
// ---------------------------------------------------------------------------

// Opens a REQ socket and starts connecting to url.
//
// The dial is non-blocking: the REQ socket queues the first request until the
// connection is up, and the caller's timeout bounds the wait. This also makes
// the client survive a service that starts a moment later than the caller.
int
aural_open(nng_socket *sock, const char *url)
{
	int rv;

	if ((rv = nng_req0_open(sock)) != 0) {
		return rv;
	}
	// Set before dialing so that every connection is created with the limit.
	if ((rv = nng_socket_set_size(*sock, NNG_OPT_RECVMAXSZ, AURAL_MAX_FRAME)) != 0 ||
	    // nng would otherwise silently re-send a request that has not been
	    // answered within 60 s. Aural calls carry their own deadline and
	    // mutating calls are deduplicated only by idempotency-key, so a
	    // hidden re-send would just duplicate server work; retrying is the
	    // caller's decision.
	    (rv = nng_socket_set_ms(*sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_dial(*sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		nng_close(*sock);
		return rv;
	}
	return 0;
}

// Fills buf (at least 33 bytes) with a random 128-bit request id in hex.
static void
make_request_id(char *buf, size_t len)
{
	snprintf(buf, len, "%08" PRIx32 "%08" PRIx32 "%08" PRIx32 "%08" PRIx32,
	    nng_random(), nng_random(), nng_random(), nng_random());
}

// Clamps a remaining time budget to what nng_duration (int32 ms) can carry.
static nng_duration
to_duration(uint64_t ms)
{
	return ms > INT32_MAX ? (nng_duration) INT32_MAX : (nng_duration) ms;
}

// Serializes req into an RpcRequest envelope for method, sends it on the REQ
// socket sock and waits for the RpcReply, which is returned in *out (free it
// with aural__v1__rpc_reply__free_unpacked). The reply's status is not
// interpreted here: a non-OK status is still a successful call.
//
// timeout_ms bounds the whole call (waiting for a connection, sending and
// receiving) and is also forwarded to the server as its deadline. 0 means no
// client-side limit and the server's default deadline.
//
// Returns 0 or an nng error: NNG_ETIMEDOUT when the deadline passed,
// NNG_EPROTO when the reply is not a valid RpcReply, NNG_ENOMEM, ...
//
// A plain REQ socket has one outstanding request at a time, so calls on the
// same socket must not overlap; use a socket per thread (or nng contexts).
int
aural_call(nng_socket sock, const char *method, const ProtobufCMessage *req,
    uint64_t timeout_ms, RpcReply **out)
{
	int       rv;
	nng_msg  *msg     = NULL;
	uint8_t  *payload = NULL;
	nng_time  start   = nng_clock();
	char      request_id[33];

	*out = NULL;

	// Inner request first: the envelope carries it as opaque bytes.
	size_t payload_len = protobuf_c_message_get_packed_size(req);
	if (payload_len > 0) {
		if ((payload = malloc(payload_len)) == NULL) {
			return NNG_ENOMEM;
		}
		protobuf_c_message_pack(req, payload);
	}

	make_request_id(request_id, sizeof(request_id));
	RpcMetadataEntry  id_entry   = AURAL__V1__RPC_REQUEST__METADATA_ENTRY__INIT;
	RpcMetadataEntry *metadata[] = { &id_entry };
	id_entry.key                 = "request-id";
	id_entry.value               = request_id;

	RpcRequest envelope   = AURAL__V1__RPC_REQUEST__INIT;
	envelope.method       = (char *) method;
	envelope.payload.data = payload;
	envelope.payload.len  = payload_len;
	envelope.n_metadata   = 1;
	envelope.metadata     = metadata;
	envelope.timeout_ms   = timeout_ms;

	// Pack straight into the message body to avoid another copy.
	size_t frame_len = aural__v1__rpc_request__get_packed_size(&envelope);
	if ((rv = nng_msg_alloc(&msg, frame_len)) != 0) {
		free(payload);
		return rv;
	}
	aural__v1__rpc_request__pack(&envelope, nng_msg_body(msg));
	free(payload);

	// The send blocks until a connection is available (the dial may still be
	// in progress), so it gets the whole budget and the receive gets what is
	// left. Otherwise the call could take up to twice the timeout.
	nng_duration send_timeout =
	    timeout_ms == 0 ? NNG_DURATION_INFINITE : to_duration(timeout_ms);
	if ((rv = nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, send_timeout)) != 0 ||
	    (rv = nng_sendmsg(sock, msg, 0)) != 0) {
		nng_msg_free(msg); // only ours to free when the send failed
		return rv;
	}
	msg = NULL;

	nng_duration recv_timeout = NNG_DURATION_INFINITE;
	if (timeout_ms != 0) {
		uint64_t elapsed = nng_clock() - start;
		if (elapsed >= timeout_ms) {
			return NNG_ETIMEDOUT;
		}
		recv_timeout = to_duration(timeout_ms - elapsed);
	}
	if ((rv = nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, recv_timeout)) != 0 ||
	    (rv = nng_recvmsg(sock, &msg, 0)) != 0) {
		return rv;
	}

	*out = aural__v1__rpc_reply__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	return *out == NULL ? NNG_EPROTO : 0;
}

// Status of a reply. proto3 omits an unset message field, and an unset Status
// is the default one, i.e. OK.
static Aural__V1__StatusCode
reply_code(const RpcReply *reply)
{
	return reply->status != NULL ? reply->status->code : AURAL__V1__STATUS_CODE__OK;
}

// Name of an enum value as written in the .proto, or NULL if unknown.
static const char *
enum_name(const ProtobufCEnumDescriptor *desc, int value)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
	return v != NULL ? v->name : NULL;
}

// ---------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------

static int
usage(void)
{
	fputs("usage: aural-c-client URL echo TEXT [--timeout-ms N] [--delay-ms N]\n"
	      "       aural-c-client URL health [--timeout-ms N]\n"
	      "URL is an nng address, e.g. tcp://127.0.0.1:7001 or ipc:///tmp/aural.ipc\n",
	    stderr);
	return EXIT_USAGE;
}

static int
transport_error(int rv)
{
	fprintf(stderr, "error: %s\n", nng_strerror(rv));
	return EXIT_TRANSPORT;
}

// Reports a non-OK reply status; returns true if there was one.
static bool
status_error(const RpcReply *reply)
{
	Aural__V1__StatusCode code = reply_code(reply);
	if (code == AURAL__V1__STATUS_CODE__OK) {
		return false;
	}
	const char *name = enum_name(&aural__v1__status_code__descriptor, (int) code);
	const char *text = reply->status->message != NULL ? reply->status->message : "";
	if (name != NULL) {
		fprintf(stderr, "error: %s: %s\n", name, text);
	} else {
		fprintf(stderr, "error: status %d: %s\n", (int) code, text);
	}
	return true;
}

// Parses a non-negative decimal integer no larger than max.
static bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9') { // strtoull would accept "-1" and " 1"
		return false;
	}
	errno                = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max) {
		return false;
	}
	*out = v;
	return true;
}

struct options {
	const char *url;
	const char *command;
	const char *text; // echo only
	uint64_t    timeout_ms;
	uint64_t    delay_ms; // echo only
};

static bool
parse_args(int argc, char **argv, struct options *opt)
{
	if (argc < 3) {
		return false;
	}
	opt->url        = argv[1];
	opt->command    = argv[2];
	opt->text       = NULL;
	opt->timeout_ms = DEFAULT_TIMEOUT_MS;
	opt->delay_ms   = 0;

	bool is_echo = strcmp(opt->command, "echo") == 0;
	if (!is_echo && strcmp(opt->command, "health") != 0) {
		return false;
	}

	for (int i = 3; i < argc; i++) {
		const char *arg = argv[i];
		if (strcmp(arg, "--timeout-ms") == 0 && i + 1 < argc) {
			if (!parse_u64(argv[++i], UINT64_MAX, &opt->timeout_ms)) {
				return false;
			}
		} else if (is_echo && strcmp(arg, "--delay-ms") == 0 && i + 1 < argc) {
			if (!parse_u64(argv[++i], UINT32_MAX, &opt->delay_ms)) {
				return false;
			}
		} else if (is_echo && opt->text == NULL && strncmp(arg, "--", 2) != 0) {
			opt->text = arg;
		} else {
			return false;
		}
	}
	return !is_echo || opt->text != NULL;
}

static int
run_echo(nng_socket sock, const struct options *opt)
{
	Aural__V1__EchoRequest req = AURAL__V1__ECHO_REQUEST__INIT;
	req.data.data              = (uint8_t *) opt->text;
	req.data.len               = strlen(opt->text);
	req.delay_ms               = (uint32_t) opt->delay_ms;

	RpcReply *reply;
	int       rv = aural_call(sock, "aural.v1.Health/Echo", &req.base, opt->timeout_ms, &reply);
	if (rv != 0) {
		return transport_error(rv);
	}
	if (status_error(reply)) {
		aural__v1__rpc_reply__free_unpacked(reply, NULL);
		return EXIT_STATUS;
	}

	Aural__V1__EchoResponse *resp =
	    aural__v1__echo_response__unpack(NULL, reply->payload.len, reply->payload.data);
	aural__v1__rpc_reply__free_unpacked(reply, NULL);
	if (resp == NULL) {
		return transport_error(NNG_EPROTO);
	}
	fwrite(resp->data.data, 1, resp->data.len, stdout);
	putchar('\n');
	aural__v1__echo_response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int
run_health(nng_socket sock, const struct options *opt)
{
	Aural__V1__HealthCheckRequest req = AURAL__V1__HEALTH_CHECK_REQUEST__INIT;

	RpcReply *reply;
	int       rv = aural_call(sock, "aural.v1.Health/Check", &req.base, opt->timeout_ms, &reply);
	if (rv != 0) {
		return transport_error(rv);
	}
	if (status_error(reply)) {
		aural__v1__rpc_reply__free_unpacked(reply, NULL);
		return EXIT_STATUS;
	}

	Aural__V1__HealthCheckResponse *resp =
	    aural__v1__health_check_response__unpack(NULL, reply->payload.len, reply->payload.data);
	aural__v1__rpc_reply__free_unpacked(reply, NULL);
	if (resp == NULL) {
		return transport_error(NNG_EPROTO);
	}
	const char *status =
	    enum_name(&aural__v1__health_check_response__serving_status__descriptor, (int) resp->status);
	printf("service=%s status=%s version=%s\n", resp->service,
	    status != NULL ? status : "UNKNOWN", resp->version);
	aural__v1__health_check_response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct options opt;
	if (!parse_args(argc, argv, &opt)) {
		return usage();
	}

	nng_socket sock;
	int        rv = aural_open(&sock, opt.url);
	if (rv != 0) {
		return transport_error(rv);
	}

	int code = strcmp(opt.command, "echo") == 0 ? run_echo(sock, &opt) : run_health(sock, &opt);

	fflush(stdout);
	// After a failed call a request may still be outstanding, and nng 1.5.2's
	// nng_close can then hang for good (nanomsg/nng#1543). The process is
	// about to exit and the kernel releases the socket, so close only when
	// nothing is in flight.
	if (code == 0) {
		nng_close(sock);
	}
	return code;
}
