// nng-rpc-bench: raw nng REQ/REP round-trip baseline, no protobuf and no RPC
// framework. It shows what the transport alone costs, so the Aural RPC
// benchmark numbers can be read against it.
//
//   nng-rpc-bench server URL [--contexts N]
//   nng-rpc-bench client URL --inflight N --size BYTES --duration SECONDS
//                            [--warmup SECONDS]
//
// Both sides are fully asynchronous: every nng_ctx is driven by its own
// nng_aio whose completion callback (run on nng's thread pool) starts the
// next step, so no application thread blocks per request.

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

// Both sides accept frames up to this size. nng 1.5.2 defaults to no limit;
// an explicit one keeps the two sides alike whatever the build's default.
#define MAX_FRAME ((size_t) 64 * 1024 * 1024)

#define EXIT_USAGE 64

// How long the client waits for the calls in flight when the run ends.
#define DRAIN_TIMEOUT_NS (UINT64_C(5) * 1000000000u)

// How long to wait for nng_close() before exiting without it.
#define CLOSE_TIMEOUT_NS (UINT64_C(2) * 1000000000u)

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static void
sleep_until_ns(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec  = (time_t) (deadline / 1000000000u),
		.tv_nsec = (long) (deadline % 1000000000u),
	};
	// Restart after signal interruptions; the deadline is absolute.
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
	}
}

static void
fatal(const char *what, int rv)
{
	fprintf(stderr, "error: %s: %s\n", what, nng_strerror(rv));
	exit(1);
}

struct closer {
	nng_socket  sock;
	atomic_bool done;
};

static void *
closer_main(void *arg)
{
	struct closer *c = arg;
	nng_close(c->sock);
	atomic_store(&c->done, true);
	return NULL;
}

// Closes sock, giving up after CLOSE_TIMEOUT_NS. With nng 1.5.2, a
// connection that drops while requests are in flight can leave nng's reaper
// thread blocked for good (it looks like nanomsg/nng#1543); from then on
// nng_close() waits forever for that connection. Nothing here needs a clean
// close, so the caller just exits in that case.
// Returns whether the socket closed in time.
static bool
close_bounded(nng_socket sock)
{
	struct closer *c = malloc(sizeof(*c)); // leaked if the close hangs
	pthread_t      thr;

	if (c == NULL) {
		return false;
	}
	c->sock = sock;
	atomic_init(&c->done, false);
	if (pthread_create(&thr, NULL, closer_main, c) != 0) {
		free(c);
		return false;
	}
	uint64_t give_up = now_ns() + CLOSE_TIMEOUT_NS;
	while (!atomic_load(&c->done) && now_ns() < give_up) {
		sleep_until_ns(now_ns() + 10000000); // 10 ms
	}
	if (!atomic_load(&c->done)) {
		pthread_detach(thr);
		fprintf(stderr, "warning: nng_close() did not finish in %.0f s (nng 1.5.2 reaper "
		                "hang after a dropped connection); exiting without it\n",
		    (double) CLOSE_TIMEOUT_NS / 1e9);
		return false;
	}
	pthread_join(thr, NULL);
	free(c);
	return true;
}

static int
usage(void)
{
	fputs("usage: nng-rpc-bench server URL [--contexts N]\n"
	      "       nng-rpc-bench client URL --inflight N --size BYTES --duration SECONDS\n"
	      "                            [--warmup SECONDS]\n",
	    stderr);
	return EXIT_USAGE;
}

static bool
parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	if (*s < '0' || *s > '9') { // reject signs and blanks strtoul would take
		return false;
	}
	errno           = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		return false;
	}
	*out = v;
	return true;
}

static bool
parse_seconds(const char *s, double *out)
{
	char *end;
	errno    = 0;
	double v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 86400)) {
		return false;
	}
	*out = v;
	return true;
}

// ---------------------------------------------------------------------------
// Server: N REP contexts, each looping recv -> send the same message back.
// ---------------------------------------------------------------------------

struct echoer {
	nng_ctx  ctx;
	nng_aio *aio;
	bool     sending; // which operation the aio is currently doing
};

static void
echoer_cb(void *arg)
{
	struct echoer *e  = arg;
	int            rv = nng_aio_result(e->aio);

	if (e->sending) {
		if (rv != 0) {
			// A failed send leaves the message with us. Typically the
			// client went away; keep serving the others.
			nng_msg_free(nng_aio_get_msg(e->aio));
			nng_aio_set_msg(e->aio, NULL);
		}
		e->sending = false;
		nng_ctx_recv(e->ctx, e->aio);
		return;
	}

	if (rv != 0) {
		// NNG_ECLOSED at shutdown. Nothing else is expected on a REP
		// receive without a timeout, and retrying could spin.
		if (rv != NNG_ECLOSED) {
			fprintf(stderr, "server: recv: %s\n", nng_strerror(rv));
		}
		return;
	}
	// The received message already holds the routing header the REP
	// context needs, so it can go straight back as the reply.
	e->sending = true;
	nng_ctx_send(e->ctx, e->aio);
}

static int
run_server(int argc, char **argv)
{
	const char   *url      = argv[2];
	unsigned long contexts = 64;

	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--contexts") == 0 && i + 1 < argc &&
		    parse_ulong(argv[i + 1], 1, 100000, &contexts)) {
			i++;
		} else {
			return usage();
		}
	}

	// Block the signals before nng starts its threads (they inherit the
	// mask), so that only sigwait() below ever sees them.
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	nng_socket sock;
	int        rv;
	if ((rv = nng_rep0_open(&sock)) != 0) {
		fatal("nng_rep0_open", rv);
	}
	if ((rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, MAX_FRAME)) != 0) {
		fatal("set recv-size-max", rv);
	}

	struct echoer *echoers = calloc(contexts, sizeof(*echoers));
	if (echoers == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	for (unsigned long i = 0; i < contexts; i++) {
		if ((rv = nng_ctx_open(&echoers[i].ctx, sock)) != 0 ||
		    (rv = nng_aio_alloc(&echoers[i].aio, echoer_cb, &echoers[i])) != 0) {
			fatal("context setup", rv);
		}
	}

	if ((rv = nng_listen(sock, url, NULL, 0)) != 0) {
		fatal(url, rv);
	}
	for (unsigned long i = 0; i < contexts; i++) {
		nng_ctx_recv(echoers[i].ctx, echoers[i].aio);
	}
	puts("ready");
	fflush(stdout);

	int sig;
	sigwait(&sigs, &sig);

	// Closing the socket fails every pending operation with NNG_ECLOSED,
	// which ends each state machine.
	if (!close_bounded(sock)) {
		return 0; // the echoers may still be referenced; exit frees all
	}
	// Every operation has ended; nng_aio_free also waits for a callback
	// that may still be returning.
	for (unsigned long i = 0; i < contexts; i++) {
		nng_aio_free(echoers[i].aio);
	}
	free(echoers);
	return 0;
}

// ---------------------------------------------------------------------------
// Latency histogram
//
// Log-linear buckets (as in HdrHistogram): exact below 256 ns, then 128
// buckets per power of two, i.e. at most 1/128 (0.8%) relative error, in
// 34 KiB. Each client context owns one, so recording needs no locking.
// ---------------------------------------------------------------------------

#define HIST_SUB_BITS 8
#define HIST_HALF     (1u << (HIST_SUB_BITS - 1))
#define HIST_MAX_BITS 40 // 2^40 ns is about 18 minutes; larger values clamp
#define HIST_BUCKETS  ((HIST_MAX_BITS - HIST_SUB_BITS + 2) * HIST_HALF)

struct histogram {
	uint64_t total;
	uint64_t counts[HIST_BUCKETS];
};

static unsigned
hist_index(uint64_t ns)
{
	if (ns >= (UINT64_C(1) << HIST_MAX_BITS)) {
		ns = (UINT64_C(1) << HIST_MAX_BITS) - 1;
	}
	if (ns < 2 * HIST_HALF) {
		return (unsigned) ns;
	}
	unsigned msb   = 63u - (unsigned) __builtin_clzll(ns);
	unsigned shift = msb - HIST_SUB_BITS + 1;
	// (ns >> shift) keeps the top HIST_SUB_BITS bits: [HIST_HALF, 2*HIST_HALF).
	return shift * HIST_HALF + (unsigned) (ns >> shift);
}

// Midpoint of a bucket, in ns.
static double
hist_value(unsigned index)
{
	if (index < 2 * HIST_HALF) {
		return index;
	}
	unsigned shift = index / HIST_HALF - 1;
	uint64_t low   = (uint64_t) (index - shift * HIST_HALF) << shift;
	return (double) low + (double) (UINT64_C(1) << shift) / 2;
}

static void
hist_record(struct histogram *h, uint64_t ns)
{
	h->counts[hist_index(ns)]++;
	h->total++;
}

static void
hist_merge(struct histogram *into, const struct histogram *from)
{
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		into->counts[i] += from->counts[i];
	}
	into->total += from->total;
}

// Value at quantile q (0 < q <= 1) in ns; 0 for an empty histogram.
static double
hist_quantile(const struct histogram *h, double q)
{
	uint64_t rank = (uint64_t) ceil(q * (double) h->total);
	uint64_t seen = 0;
	if (rank == 0) {
		rank = 1;
	}
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			return hist_value(i);
		}
	}
	return 0;
}

// ---------------------------------------------------------------------------
// Client: N REQ contexts, each in a closed loop send -> recv -> send ...
// ---------------------------------------------------------------------------

struct run {
	uint64_t    start_ns; // end of warmup: calls completing from here count
	uint64_t    end_ns;   // no new calls are started from here
	size_t      size;
	atomic_uint active; // callers whose loop has not ended yet
};

// One closed-loop caller. Its callbacks never overlap (one aio, one operation
// at a time), so its fields need no locking.
struct caller {
	struct run      *run; // read-only once started, except run->active
	nng_ctx          ctx;
	nng_aio         *aio;
	bool             sending;
	uint64_t         sent_ns;
	int              error; // why the loop ended early, 0 if it did not
	struct histogram hist;
};

// Called once per caller, as the last thing its callback does with it.
static void
caller_done(struct caller *c)
{
	atomic_fetch_sub_explicit(&c->run->active, 1, memory_order_release);
}

static void
caller_send(struct caller *c, nng_msg *msg)
{
	c->sending = true;
	c->sent_ns = now_ns();
	nng_aio_set_msg(c->aio, msg);
	nng_ctx_send(c->ctx, c->aio);
}

static void
caller_cb(void *arg)
{
	struct caller *c   = arg;
	int            rv  = nng_aio_result(c->aio);
	uint64_t       now = now_ns();

	if (c->sending) {
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			nng_aio_set_msg(c->aio, NULL);
			goto failed;
		}
		// Start receiving only once the send completed, as the REQ
		// protocol expects; an early reply is held by the context.
		c->sending = false;
		nng_ctx_recv(c->ctx, c->aio);
		return;
	}

	if (rv != 0) {
		goto failed;
	}
	nng_msg *msg = nng_aio_get_msg(c->aio);
	nng_aio_set_msg(c->aio, NULL);
	if (nng_msg_len(msg) != c->run->size) {
		nng_msg_free(msg);
		rv = NNG_EPROTO;
		goto failed;
	}
	if (now >= c->run->start_ns && now < c->run->end_ns) {
		hist_record(&c->hist, now - c->sent_ns);
	}
	if (now >= c->run->end_ns) {
		nng_msg_free(msg);
		caller_done(c);
		return;
	}
	// The echoed reply has exactly the request's body, so reuse it as the
	// next request: no allocation or copy in the steady state. The REQ
	// context rewrites the header (request id) itself.
	caller_send(c, msg);
	return;

failed:
	c->error = rv;
	caller_done(c);
}

static int
run_client(int argc, char **argv)
{
	const char   *url      = argv[2];
	unsigned long inflight = 0, size = 0;
	double        duration = -1, warmup = 0.5;
	bool          have_inflight = false, have_size = false;

	for (int i = 3; i < argc; i++) {
		const char *opt   = argv[i];
		const char *value = i + 1 < argc ? argv[++i] : NULL;
		bool        ok    = false;
		if (value == NULL) {
			ok = false;
		} else if (strcmp(opt, "--inflight") == 0) {
			ok = have_inflight = parse_ulong(value, 1, 100000, &inflight);
		} else if (strcmp(opt, "--size") == 0) {
			ok = have_size = parse_ulong(value, 0, MAX_FRAME, &size);
		} else if (strcmp(opt, "--duration") == 0) {
			ok = parse_seconds(value, &duration) && duration > 0;
		} else if (strcmp(opt, "--warmup") == 0) {
			ok = parse_seconds(value, &warmup);
		}
		if (!ok) {
			return usage();
		}
	}
	if (!have_inflight || !have_size || duration <= 0) {
		return usage();
	}

	nng_socket sock;
	int        rv;
	if ((rv = nng_req0_open(&sock)) != 0) {
		fatal("nng_req0_open", rv);
	}
	if ((rv = nng_socket_set_size(sock, NNG_OPT_RECVMAXSZ, MAX_FRAME)) != 0) {
		fatal("set recv-size-max", rv);
	}
	// A blocking dial: the server should already be up ("ready"), and a
	// wrong URL should fail now rather than look like zero throughput.
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		fatal(url, rv);
	}

	struct caller *callers = calloc(inflight, sizeof(*callers));
	if (callers == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	struct run run = { .size = size };
	atomic_init(&run.active, (unsigned) inflight);
	for (unsigned long i = 0; i < inflight; i++) {
		struct caller *c = &callers[i];
		c->run           = &run;
		if ((rv = nng_ctx_open(&c->ctx, sock)) != 0 ||
		    // Never re-send: a re-sent request would be a second call,
		    // and a slow reply must show up as latency, not retries.
		    (rv = nng_ctx_set_ms(c->ctx, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, caller_cb, c)) != 0) {
			fatal("context setup", rv);
		}
	}

	uint64_t start = now_ns();
	run.start_ns   = start + (uint64_t) (warmup * 1e9);
	run.end_ns     = run.start_ns + (uint64_t) (duration * 1e9);

	for (unsigned long i = 0; i < inflight; i++) {
		nng_msg *msg;
		if ((rv = nng_msg_alloc(&msg, size)) != 0) {
			fatal("nng_msg_alloc", rv);
		}
		memset(nng_msg_body(msg), 'x', size);
		caller_send(&callers[i], msg);
	}

	// Callers stop by themselves on their first reply after end_ns. Wait
	// for that instead of closing the socket under in-flight calls: with
	// nng 1.5.2, nng_close() racing live traffic can hang forever.
	sleep_until_ns(run.end_ns);
	uint64_t give_up = run.end_ns + DRAIN_TIMEOUT_NS;
	while (atomic_load_explicit(&run.active, memory_order_acquire) != 0 && now_ns() < give_up) {
		sleep_until_ns(now_ns() + 1000000); // 1 ms; only runs for one round trip
	}
	unsigned stuck = atomic_load_explicit(&run.active, memory_order_acquire);
	if (stuck != 0) {
		// The server stopped answering. Closing the socket now could hang
		// (see above) and the stuck callers may still write to their
		// histograms, so report and let exit() tear everything down.
		fprintf(stderr, "error: %u calls still unanswered %.0f s after the run\n", stuck,
		    (double) DRAIN_TIMEOUT_NS / 1e9);
		return 1;
	}

	// All callers are done: nothing is in flight and every histogram is
	// complete and visible (the acquire above pairs with caller_done).
	struct histogram *all = calloc(1, sizeof(*all));
	if (all == NULL) {
		fatal("calloc", NNG_ENOMEM);
	}
	int      first_error = 0;
	unsigned failed      = 0;
	for (unsigned long i = 0; i < inflight; i++) {
		hist_merge(all, &callers[i].hist);
		if (callers[i].error != 0) {
			failed++;
			first_error = first_error != 0 ? first_error : callers[i].error;
		}
	}
	printf("calls=%llu seconds=%.3f throughput=%.1f p50_us=%.1f p99_us=%.1f\n",
	    (unsigned long long) all->total, duration, (double) all->total / duration,
	    hist_quantile(all, 0.50) / 1e3, hist_quantile(all, 0.99) / 1e3);
	fflush(stdout);
	free(all);

	for (unsigned long i = 0; i < inflight; i++) {
		nng_ctx_close(callers[i].ctx);
		nng_aio_free(callers[i].aio);
	}
	close_bounded(sock);
	free(callers);

	if (failed > 0) {
		fprintf(stderr, "error: %u of %lu contexts failed, first: %s\n", failed, inflight,
		    nng_strerror(first_error));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "server") == 0) {
		return run_server(argc, argv);
	}
	if (argc >= 3 && strcmp(argv[1], "client") == 0) {
		return run_client(argc, argv);
	}
	return usage();
}
