// Package event parses ingest request bodies into events.
//
// # Formats
//
// A body is a single JSON object, a JSON array of objects
// (application/json), or NDJSON (application/x-ndjson or application/jsonl:
// one object per line, blank lines ignored, CRLF line ends allowed, the last
// newline optional), optionally gzip-compressed (Content-Encoding: gzip).
//
// # Scanning, not decoding
//
// Events are not decoded into maps. A scanner validates the JSON syntax of
// every event completely — strings and their escapes, numbers per RFC 8259,
// literals, nesting depth — so that what is stored is valid JSON, and
// materialises only two fields: the id and the partition key. [Event.Raw]
// is the event exactly as received, a subslice of the body, never
// re-encoded.
//
// The scanner is stricter than RFC 8259 in two ways that protect the sinks:
// strings must be valid UTF-8, and \u escapes must not encode lone UTF-16
// surrogates; both are rejected with invalid_utf8. A UTF-8 byte order mark is
// not allowed.
//
// # Id and key
//
// The key field (Config.KeyField) is required: a string (its decoded
// content, which must not be empty), a number or a boolean (their literal
// text). The id field (Config.IDField, default "id") is optional: a
// non-empty string or a number; if it is missing or null the event gets a
// generated UUIDv7 in [Event.ID] and [Event.IDGenerated] is set, while
// [Event.Raw] stays as received. Either field may be a dotted path into
// nested objects, such as "device.serial".
//
// Field names are compared after decoding their escapes, so "user\u005fid"
// is the field user_id. If a name occurs more than once in an object, the
// first occurrence wins, both for the id and key fields and for the objects
// on their paths.
//
// # Errors
//
// A batch is validated whole: if any event is bad, no event is returned and
// the *[Error] names the first bad event by its 0-based index, with a stable
// reason and the HTTP status to answer: 400 for malformed or semantically
// invalid content, 413 when the body, an event or the batch is too large,
// 415 for an unsupported media type or content encoding.
//
// # Allocations
//
// [Parser.ParseBytes] allocates the event slice once (sized by a cheap count
// of the body), one string holding the IDs of all events (each ID is a
// substring of it), a decoded copy of a key only when it contains escape
// sequences, and, inside github.com/google/uuid, a few bytes per generated
// id. [Parser.Parse] also allocates the body buffer; a server that pools
// buffers reads bodies with [Parser.ReadBody] instead.
package event
