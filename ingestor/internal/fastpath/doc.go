// Package fastpath serves one request shape of HTTP/1.1 itself, the
// ingest endpoint's, and hands every connection that sends anything else
// to a net/http server, which serves it from then on.
//
// Why: with net/http, a 100-event ingest request cost the server about
// 34 µs of CPU in the HTTP layer and its system calls, against 22 µs for
// the same traffic to a handler that answers at once. Ours waits for a
// group commit before it answers, and net/http starts a one-byte
// background read of the next request as soon as the body is read, which
// finds nothing while the request waits and must then be aborted; it
// reads the head through a 4 KiB buffer and the rest of the body with a
// second read, and allocates headers, a context and a response writer per
// request. Here a connection reads a whole request of up to 32 KiB with
// one system call, never reads while its handler runs, and writes the
// response with one system call.
//
// What is served here: exactly the request line given by Config (for
// ingest, "POST /v1/events HTTP/1.1") with a Host header, a decimal
// Content-Length, and header names and values that net/http would accept.
// A connection whose next request is anything else — another path or
// method, a query string, HTTP/1.0, a chunked body, Expect, Connection or
// Upgrade headers, a duplicated Content-Length, Content-Type,
// Content-Encoding or Host, a head that does not fit 32 KiB, the HTTP/2
// preface of an h2c client — is handed over before a byte of that request
// is consumed, with the bytes already read, to Config.Fallback, which
// answers it exactly as it would have anyway. So the fast path needs to
// be right only for the requests it accepts, and a fuzz test checks that
// net/http parses every head the fast path accepts to the same request.
//
// Handlers on the fast path see the method, path, Host, ContentLength,
// Content-Type and Content-Encoding of the request; its other headers are
// not copied. Request.Context is never cancelled: a handler bounds its
// own waits. A handler must not keep the Request or the ResponseWriter
// after it returns. The response is buffered and written when the handler
// returns, with Content-Length and Date headers.
//
// Lifecycle: Serve accepts on a listener (retrying temporary accept
// errors such as EMFILE, as net/http does) and serves the fallback from a
// listener of handed-over connections; Shutdown closes idle connections,
// waits for requests being served (both kinds) and returns. The
// fallback's IdleTimeout, ReadHeaderTimeout, ReadTimeout and WriteTimeout
// apply to fast-path connections as net/http applies them: the first
// request's head must arrive within the header timeout of the accept, a
// kept-alive connection may wait the idle timeout for its next request. As
// net/http, the fast path drops up to four CR/LF bytes after a body, closes
// after a response whose request body was left unread beyond 256 KiB
// (half-closing first and waiting 500 ms, so that a reset cannot destroy
// the response), and answers with Connection: close while shutting down.
//
// Not mirrored: the fallback's ConnState hook and SetKeepAlivesEnabled do
// not apply to fast-path connections; response headers are written as the
// handler set them (CR and LF replaced by spaces), without net/http's
// checks of their names. A connection keeps a read buffer as large as its
// largest request up to 32 KiB (net/http keeps 4 KiB each way), so 2,000
// connections sending 8 KiB requests hold 32 MiB.
package fastpath
